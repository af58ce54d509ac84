// Copies one store into another ("Moving up": SQLite to PostgreSQL, or any direction
// between two Stores). The source is read inside one transaction, so a running installation
// is copied as of one moment (SQLite WAL: readers see a snapshot while the writer goes on;
// PostgreSQL: REPEATABLE READ). The target is written inside one transaction too: the copy,
// the id counters and the verification either all commit or leave the target empty.
// Rows are copied as stored: sealed secrets stay sealed under the source's master key, and
// ids are kept exactly, because each sealed value names its row's id as associated data
// (src/crypto/secret-box.ts) and customers hold ids (OrderId, CertId, CsrId).
import { createHash } from 'node:crypto';
import { DEFAULT_MIGRATION_LOCK_TABLE, DEFAULT_MIGRATION_TABLE, sql, type Kysely } from 'kysely';
import { CertError } from '../domain/errors.js';
import type { Db, Store, StoreKind } from './store.js';

type Row = Record<string, unknown>;

export interface TableInfo {
  name: string;
  /** Column names in table order. */
  columns: string[];
  /** Primary key columns in key order (keyset pagination runs on them). */
  primaryKey: string[];
  /** Tables this one references by a declared foreign key (itself excluded). */
  references: string[];
  /** The single id column whose values a counter hands out (AUTOINCREMENT / bigserial), if any. */
  generatedId: string | null;
}

export interface TableCopyReport {
  table: string;
  /** Rows and checksum read from the source. */
  rows: number;
  checksum: string;
  /** The same, read back from the target before the copy committed. */
  targetRows: number;
  targetChecksum: string;
  /** For tables with a generated id: the last id handed out, where the target's counter continues. */
  idCounter: number | null;
}

export interface CopyReport {
  from: StoreKind;
  to: StoreKind;
  /** In copy order: referenced tables before the tables that reference them. */
  tables: TableCopyReport[];
  /** Every table has equal row counts and checksums on both sides. */
  verified: boolean;
}

export interface CopyOptions {
  /** Most rows per page read and per INSERT (tests use a small number to cross page boundaries). */
  maxBatchRows?: number;
  /** Called after each table is copied (progress for the CLI); the copy waits for it. */
  onTable?: (table: string, rows: number) => void | Promise<void>;
}

// Kysely's migration bookkeeping: the target has its own, written by Store.open.
const SKIPPED_TABLES = new Set([DEFAULT_MIGRATION_TABLE, DEFAULT_MIGRATION_LOCK_TABLE]);

// Bound parameters per statement: SQLite's SQLITE_MAX_VARIABLE_NUMBER defaults to 32766
// (https://www.sqlite.org/limits.html, §9); PostgreSQL's Bind message counts them in 16 bits.
const MAX_PARAMS: Record<StoreKind, number> = { sqlite: 32_000, postgres: 65_000 };
const MAX_ROWS_PER_BATCH = 5_000;
// Pages are sized to about this many bytes: a CRL of a million entries is tens of MB.
const PAGE_BYTES = 16 * 1024 * 1024;
const FIRST_PAGE_ROWS = 16;

/**
 * Copies every table of `from` into `to` (already migrated to the same schema by Store.open),
 * preserving ids, then verifies row counts and checksums on both sides. Refuses a target that
 * holds any row; on a mismatch it rolls the target back and throws, the report in `detail`.
 */
export async function copyStore(from: Store, to: Store, opts: CopyOptions = {}): Promise<CopyReport> {
  if (from === to) throw new CertError('invalid_parameter', 'the source and the target are the same store');
  return from.db.connection().execute(async (src) => {
    // SQLite: a deferred BEGIN takes its snapshot at the first read and keeps it until COMMIT.
    await sql.raw(from.kind === 'postgres' ? 'begin isolation level repeatable read read only' : 'begin').execute(src);
    try {
      const report = await copyInSnapshot(src, from.kind, to, opts);
      await sql`commit`.execute(src);
      return report;
    } catch (e) {
      await sql`rollback`.execute(src).catch(() => {});
      throw e;
    }
  });
}

async function copyInSnapshot(src: Db, fromKind: StoreKind, to: Store, opts: CopyOptions): Promise<CopyReport> {
  const tables = orderByReferences(await describeTables(src, fromKind));
  return to.writeTransaction(async (_repos, dst) => {
    const targetTables = await describeTables(dst, to.kind);
    assertSameSchema(tables, targetTables);
    await lockAndCheckEmpty(dst, to.kind, tables);
    const copied: Array<{ rows: number; checksum: string; idCounter: number | null }> = [];
    for (const t of tables) {
      const c = await copyTable(src, dst, t, to.kind, opts);
      const idCounter = t.generatedId === null ? null : await carryIdCounter(src, fromKind, dst, to.kind, t, c.maxId);
      copied.push({ rows: c.rows, checksum: c.checksum, idCounter });
      await opts.onTable?.(t.name, c.rows);
    }
    // Read back once everything is written: what the target holds at commit is what is verified.
    const report: TableCopyReport[] = [];
    for (const [i, t] of tables.entries()) {
      const back = await checksumTable(dst, t, opts.maxBatchRows);
      const c = copied[i]!;
      report.push({
        table: t.name,
        rows: c.rows,
        checksum: c.checksum,
        targetRows: back.rows,
        targetChecksum: back.checksum,
        idCounter: c.idCounter,
      });
    }
    const result: CopyReport = { from: fromKind, to: to.kind, tables: report, verified: report.every(matches) };
    if (!result.verified) {
      const bad = report.filter((r) => !matches(r)).map((r) => r.table);
      // Thrown inside the target transaction: it rolls back, the target stays empty.
      throw new CertError(
        'internal',
        `the copy did not verify (${bad.join(', ')}): row counts or checksums differ; the target was rolled back`,
        { detail: { report: result } },
      );
    }
    return result;
  });
}

function matches(r: TableCopyReport): boolean {
  return r.rows === r.targetRows && r.checksum === r.targetChecksum;
}

// ---------------------------------------------------------------------------------------
// Introspection: the tables come from the database, not from a list in code, so tables that
// later migrations add are copied too.

export async function describeTables(db: Db, kind: StoreKind): Promise<TableInfo[]> {
  return kind === 'postgres' ? describePostgres(db) : describeSqlite(db);
}

async function describeSqlite(db: Db): Promise<TableInfo[]> {
  const { rows: tables } = await sql<{ name: string; sql: string }>`
    select name, sql from sqlite_master where type = 'table' and name not like 'sqlite\\_%' escape '\\' order by name`.execute(
    db,
  );
  const out: TableInfo[] = [];
  for (const { name, sql: ddl } of tables) {
    if (SKIPPED_TABLES.has(name)) continue;
    const { rows: cols } = await sql<{
      name: string;
      pk: number;
    }>`select name, pk from pragma_table_info(${name}) order by cid`.execute(db);
    const { rows: fks } = await sql<{
      table: string;
    }>`select distinct "table" from pragma_foreign_key_list(${name})`.execute(db);
    const primaryKey = cols
      .filter((c) => c.pk > 0)
      .sort((a, b) => a.pk - b.pk)
      .map((c) => c.name);
    // AUTOINCREMENT keeps its counter in sqlite_sequence (https://www.sqlite.org/autoinc.html).
    const generatedId = primaryKey.length === 1 && /\bautoincrement\b/i.test(ddl) ? primaryKey[0]! : null;
    out.push({
      name,
      columns: cols.map((c) => c.name),
      primaryKey,
      references: fks.map((f) => f.table).filter((t) => t !== name),
      generatedId,
    });
  }
  return out;
}

async function describePostgres(db: Db): Promise<TableInfo[]> {
  // current_schema(): the first schema of the search path, where Store.open created the tables.
  const { rows: cols } = await sql<{ table_name: string; column_name: string; seq: string | null }>`
    select table_name, column_name,
           pg_get_serial_sequence(quote_ident(table_schema) || '.' || quote_ident(table_name), column_name) as seq
      from information_schema.columns
     where table_schema = current_schema()
       and table_name in (select table_name from information_schema.tables where table_schema = current_schema() and table_type = 'BASE TABLE')
     order by table_name, ordinal_position`.execute(db);
  const { rows: keys } = await sql<{ table_name: string; column_name: string }>`
    select t.relname as table_name, a.attname as column_name
      from pg_constraint c
      join pg_class t on t.oid = c.conrelid
      join pg_namespace n on n.oid = t.relnamespace
      cross join lateral unnest(c.conkey) with ordinality as k(attnum, ord)
      join pg_attribute a on a.attrelid = c.conrelid and a.attnum = k.attnum
     where c.contype = 'p' and n.nspname = current_schema()
     order by t.relname, k.ord`.execute(db);
  const { rows: fks } = await sql<{ table_name: string; ref: string }>`
    select distinct t.relname as table_name, r.relname as ref
      from pg_constraint c
      join pg_class t on t.oid = c.conrelid
      join pg_class r on r.oid = c.confrelid
      join pg_namespace n on n.oid = t.relnamespace
     where c.contype = 'f' and n.nspname = current_schema()`.execute(db);
  const byName = new Map<string, TableInfo & { serial: string[] }>();
  for (const c of cols) {
    if (SKIPPED_TABLES.has(c.table_name)) continue;
    let t = byName.get(c.table_name);
    if (!t)
      byName.set(
        c.table_name,
        (t = { name: c.table_name, columns: [], primaryKey: [], references: [], generatedId: null, serial: [] }),
      );
    t.columns.push(c.column_name);
    if (c.seq !== null) t.serial.push(c.column_name);
  }
  for (const k of keys) byName.get(k.table_name)?.primaryKey.push(k.column_name);
  for (const f of fks) {
    const t = byName.get(f.table_name);
    if (t && f.ref !== f.table_name) t.references.push(f.ref);
  }
  return [...byName.values()]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map(({ serial, ...t }) => ({
      ...t,
      generatedId: t.primaryKey.length === 1 && serial.includes(t.primaryKey[0]!) ? t.primaryKey[0]! : null,
    }));
}

/** Referenced tables first (accounts before everything that names an account); ties by name. */
export function orderByReferences(tables: TableInfo[]): TableInfo[] {
  const known = new Set(tables.map((t) => t.name));
  const placed = new Set<string>();
  const out: TableInfo[] = [];
  const pending = [...tables].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  while (pending.length > 0) {
    const i = pending.findIndex((t) => t.references.every((r) => placed.has(r) || !known.has(r)));
    if (i < 0)
      throw new CertError('internal', `foreign keys form a cycle between ${pending.map((t) => t.name).join(', ')}`);
    const [t] = pending.splice(i, 1);
    placed.add(t!.name);
    out.push(t!);
  }
  return out;
}

function assertSameSchema(source: TableInfo[], target: TableInfo[]): void {
  const shape = (t: TableInfo) => `${[...t.columns].sort().join(',')} pk(${t.primaryKey.join(',')})`;
  const targetBy = new Map(target.map((t) => [t.name, t]));
  const problems: string[] = [];
  for (const s of source) {
    const t = targetBy.get(s.name);
    if (!t) problems.push(`${s.name} is missing in the target`);
    else if (shape(s) !== shape(t)) problems.push(`${s.name} has other columns in the target`);
    targetBy.delete(s.name);
  }
  for (const name of targetBy.keys()) problems.push(`${name} is missing in the source`);
  if (problems.length > 0) {
    throw new CertError(
      'illegal_state',
      `the source and target schemas differ (${problems.join('; ')}); run the same certdesk version on both`,
    );
  }
  for (const s of source) {
    if (s.primaryKey.length === 0)
      throw new CertError('internal', `table ${s.name} has no primary key; it cannot be copied in pages`);
  }
}

async function lockAndCheckEmpty(dst: Db, kind: StoreKind, tables: TableInfo[]): Promise<void> {
  if (kind === 'postgres' && tables.length > 0) {
    // EXCLUSIVE: a certdesk process started on the target meanwhile waits for the copy
    // instead of writing (its first start would create a CA and a master key check).
    await sql`set local lock_timeout = '10s'`.execute(dst);
    try {
      await sql`lock table ${sql.join(tables.map((t) => sql.table(t.name)))} in exclusive mode`.execute(dst);
    } catch (e) {
      // 55P03 lock_not_available (https://www.postgresql.org/docs/current/errcodes-appendix.html).
      if ((e as { code?: string }).code !== '55P03') throw e;
      throw new CertError(
        'unavailable',
        'the target tables are in use (no lock within 10 s); stop the certdesk processes on the target',
        { cause: e },
      );
    }
  }
  for (const t of tables) {
    const { rows } = await sql`select 1 as one from ${sql.table(t.name)} limit 1`.execute(dst);
    if (rows.length > 0) {
      throw new CertError(
        'illegal_state',
        `the target is not empty (table ${t.name} has rows): copy only into a new database, schema or file ` +
          '(certdesk writes a master key check, and serve a CA, the first time it opens a store)',
      );
    }
  }
}

// ---------------------------------------------------------------------------------------
// Copying and checksums.

async function copyTable(src: Db, dst: Db, t: TableInfo, toKind: StoreKind, opts: CopyOptions) {
  const rowsPerInsert = Math.max(
    1,
    Math.min(opts.maxBatchRows ?? MAX_ROWS_PER_BATCH, Math.floor(MAX_PARAMS[toKind] / t.columns.length)),
  );
  const sum = new TableChecksum();
  let maxId = 0;
  for await (const page of readPages(src, t, rowsPerInsert)) {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the table is chosen at run time
    await (dst as unknown as Kysely<any>).insertInto(t.name).values(page).execute();
    for (const row of page) {
      sum.add(row);
      if (t.generatedId !== null) maxId = Math.max(maxId, Number(row[t.generatedId]));
    }
  }
  return { rows: sum.rows, checksum: sum.digest(), maxId };
}

async function checksumTable(db: Db, t: TableInfo, maxBatchRows = MAX_ROWS_PER_BATCH) {
  const sum = new TableChecksum();
  for await (const page of readPages(db, t, maxBatchRows)) for (const row of page) sum.add(row);
  return { rows: sum.rows, checksum: sum.digest() };
}

/**
 * The table in pages, by keyset on its primary key (`where (pk) > (last) order by pk`): each
 * page is an index range scan, however deep into the table. Page sizes follow the row size.
 */
async function* readPages(db: Db, t: TableInfo, maxRows: number): AsyncGenerator<Row[]> {
  const cols = sql.join(t.columns.map((c) => sql.ref(c)));
  const key = sql.join(t.primaryKey.map((c) => sql.ref(c)));
  let after: unknown[] | undefined;
  let limit = Math.min(FIRST_PAGE_ROWS, maxRows);
  for (;;) {
    const where = after ? sql`where (${key}) > (${sql.join(after)})` : sql``;
    const { rows } =
      await sql<Row>`select ${cols} from ${sql.table(t.name)} ${where} order by ${key} limit ${limit}`.execute(db);
    if (rows.length > 0) yield rows;
    if (rows.length < limit) return;
    const last = rows[rows.length - 1]!;
    after = t.primaryKey.map((c) => last[c]);
    const bytes = rows.reduce<number>((n, r) => n + approximateSize(r), 0);
    limit = Math.max(1, Math.min(maxRows, Math.floor(PAGE_BYTES / Math.max(1, bytes / rows.length))));
  }
}

function approximateSize(row: Row): number {
  let n = 0;
  for (const v of Object.values(row))
    n += typeof v === 'string' ? v.length * 2 : v instanceof Uint8Array ? v.length : 8;
  return n;
}

/**
 * A row in one canonical text, the same whichever store it was read from: columns sorted by
 * name, numbers in decimal, binary values as base64 (`{"base64":…}`), null as null.
 */
export function canonicalRow(row: Row): string {
  const keys = Object.keys(row).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalValue(k, row[k])}`).join(',')}}`;
}

function canonicalValue(column: string, v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new CertError('internal', `column ${column} holds a number that is not finite`);
    return Number.isInteger(v) ? BigInt(v).toString() : String(v);
  }
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (v instanceof Uint8Array)
    return `{"base64":"${Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64')}"}`;
  throw new CertError('internal', `column ${column} holds a value of a type the copy does not know`);
}

/**
 * The checksum of a table: the sum modulo 2^256 of the SHA-256 of every canonical row. A sum
 * does not depend on the order rows are read in, so each side reads in its own primary key
 * order, by its own index: SQLite orders text by bytes, PostgreSQL by the database collation,
 * and sorting PostgreSQL's text keys by bytes would need a full sort per page.
 */
export class TableChecksum {
  private sum = 0n;
  rows = 0;
  add(row: Row): void {
    this.sum =
      (this.sum + BigInt(`0x${createHash('sha256').update(canonicalRow(row)).digest('hex')}`)) & ((1n << 256n) - 1n);
    this.rows += 1;
  }
  digest(): string {
    return this.sum.toString(16).padStart(64, '0');
  }
}

// ---------------------------------------------------------------------------------------
// Id counters: the target continues where the source's counter stood, not at max(id) + 1,
// so an id the source handed out once (a deleted contact, CSR or job) is never handed out again.

async function carryIdCounter(
  src: Db,
  fromKind: StoreKind,
  dst: Db,
  toKind: StoreKind,
  t: TableInfo,
  maxId: number,
): Promise<number> {
  const last = Math.max(maxId, await readIdCounter(src, fromKind, t));
  const column = t.generatedId!;
  if (toKind === 'postgres') {
    // setval(seq, n, true): the next nextval() returns n + 1; (1, false): it returns 1.
    await sql`select setval(pg_get_serial_sequence(${quoteIdent(t.name)}, ${column}), ${Math.max(last, 1)}, ${last > 0})`.execute(
      dst,
    );
  } else {
    const r = await sql`update sqlite_sequence set seq = max(seq, ${last}) where name = ${t.name}`.execute(dst);
    if (Number(r.numAffectedRows ?? 0n) === 0 && last > 0)
      await sql`insert into sqlite_sequence (name, seq) values (${t.name}, ${last})`.execute(dst);
  }
  return last;
}

async function readIdCounter(db: Db, kind: StoreKind, t: TableInfo): Promise<number> {
  if (kind === 'postgres') {
    const { rows } = await sql<{ v: number | null }>`
      select pg_sequence_last_value(pg_get_serial_sequence(${quoteIdent(t.name)}, ${t.generatedId})::regclass) as v`.execute(
      db,
    );
    return Number(rows[0]?.v ?? 0);
  }
  const { rows } = await sql<{ seq: number }>`select seq from sqlite_sequence where name = ${t.name}`.execute(db);
  return Number(rows[0]?.seq ?? 0);
}

/** pg_get_serial_sequence parses its first argument as an identifier: quote it as one. */
function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
