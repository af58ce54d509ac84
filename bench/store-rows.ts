// The storing side of the issuance benchmark: a SQLite store (WAL, as certdesk opens it) in a
// temporary directory, an account to own the rows, and batched inserts of certificate rows.

import { mkdtempSync, rmSync } from 'node:fs';
import { CompiledQuery } from 'kysely';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Store } from '../src/store/store.js';
import type { NewCertificateRow } from './issue-one.js';

/**
 * How rows are written, always several per transaction (BEGIN IMMEDIATE ... COMMIT):
 * - 'row': repos.certificates.insert() once per row, the statement runIssuance uses;
 * - 'multi': one multi-row INSERT per batch (same table, same columns, no RETURNING), its text
 *   written once per row count and kept (see multiRowInsert).
 */
export type InsertMode = 'row' | 'multi';

export interface BenchStore {
  store: Store;
  accountId: number;
  dir: string;
  close(): Promise<void>;
}

export async function openBenchStore(): Promise<BenchStore> {
  const dir = mkdtempSync(join(tmpdir(), 'certdesk-bench-'));
  const store = await Store.open({ kind: 'sqlite', target: join(dir, 'certdesk.db') });
  const account = await store.repos.accounts.create('bench', Date.now());
  return {
    store,
    accountId: account.id,
    dir,
    async close() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// SQLite allows 32,766 bound parameters per statement (SQLITE_MAX_VARIABLE_NUMBER since
// 3.32); a certificates row binds 27, so a multi-row INSERT takes at most this many rows.
const MAX_ROWS_PER_INSERT = 500;

// Kysely's insertInto(...).values(rows) builds and compiles a node per value (27 per row) each
// time, and then the driver's statement cache hashes the same text again: about 10 µs per
// row (bench: 58 -> 43 µs of CPU per row stored). The statement's text depends only on the row
// count, so it is written once per count, and each batch binds its values in column order.
// What runs is the same SQL Kysely would send, through the same transaction and driver.
const insertTexts = new Map<string, string>();

/** SQLite's placeholders ('?'): the bench store is SQLite. */
function multiRowInsert(rows: readonly NewCertificateRow[]): CompiledQuery {
  const columns = Object.keys(rows[0]!) as Array<keyof NewCertificateRow>;
  const key = `${rows.length}:${columns.join(',')}`;
  let text = insertTexts.get(key);
  if (text === undefined) {
    const one = `(${columns.map(() => '?').join(', ')})`;
    text =
      `insert into "certificates" (${columns.map((c) => `"${c}"`).join(', ')}) values ` +
      Array<string>(rows.length).fill(one).join(', ');
    insertTexts.set(key, text);
  }
  const parameters: unknown[] = [];
  // issueOne() makes every row with the same keys; a missing one binds undefined, which
  // better-sqlite3 refuses.
  for (const row of rows) for (const c of columns) parameters.push(row[c]);
  return CompiledQuery.raw(text, parameters);
}

/** Writes `rows` in one transaction. */
export async function storeRows(store: Store, rows: NewCertificateRow[], mode: InsertMode): Promise<void> {
  if (rows.length === 0) return;
  await store.writeTransaction(async (_repos, tx) => {
    if (mode === 'row') {
      // One statement per row, as issuance's repos.certificates.insert makes it.
      for (const row of rows) await tx.insertInto('certificates').values(row).returningAll().executeTakeFirstOrThrow();
      return;
    }
    for (let i = 0; i < rows.length; i += MAX_ROWS_PER_INSERT) {
      await tx.executeQuery(multiRowInsert(rows.slice(i, i + MAX_ROWS_PER_INSERT)));
    }
  });
}

export async function countCertificates(store: Store): Promise<number> {
  const r = await store.db
    .selectFrom('certificates')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(r.n);
}
