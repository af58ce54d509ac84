// `certdesk store copy`: moves an installation's data between stores ("Moving up"),
// typically from SQLite to PostgreSQL. See docs/operations.md for the procedure around it.
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { CertError, isCertError } from '../domain/errors.js';
import { Store, type StoreLocation } from '../store/store.js';
import { copyStore, type CopyReport } from '../store/copy.js';
import { optionalFlag, requireFlag, type Flags } from './args.js';
import { createPrivateFile, PRIVATE_DIR_MODE } from '../app/data-dir.js';
import type { Command } from './command.js';
import { printerFor, table } from './output.js';

const SEALED_NOTE =
  'Secrets (AccessKey secrets, CA and certificate keys, webhook secrets) were copied sealed, not re-encrypted: ' +
  'run certdesk on the target with the same master key (copy <data-dir>/master.key, or set CERTDESK_MASTER_KEY) ' +
  'and the same admin token (<data-dir>/admin-token or CERTDESK_ADMIN_TOKEN).';

// The same rule Store.open applies: a plain lower-case identifier.
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** `sqlite:PATH` or a postgres:// URL, with an optional PostgreSQL schema. */
export function parseStoreLocation(flag: string, value: string, schema: string | undefined): StoreLocation {
  if (value.startsWith('sqlite:')) {
    const path = value.slice('sqlite:'.length);
    if (path === '')
      throw new CertError('invalid_parameter', `--${flag}: sqlite: needs a file path, e.g. sqlite:./data/certdesk.db`);
    if (schema !== undefined) throw new CertError('invalid_parameter', `--${flag}-schema applies to PostgreSQL only`);
    return { kind: 'sqlite', target: resolve(path) };
  }
  if (/^postgres(ql)?:\/\//.test(value)) {
    try {
      new URL(value);
    } catch {
      throw new CertError('invalid_parameter', `--${flag}: not a valid URL`);
    }
    if (schema !== undefined && !SCHEMA_NAME.test(schema)) {
      throw new CertError('invalid_parameter', `--${flag}-schema: expected a lower-case name (letters, digits, _)`);
    }
    return { kind: 'postgres', target: value, postgres: schema ? { schema } : {} };
  }
  throw new CertError('invalid_parameter', `--${flag}: expected sqlite:PATH or postgres://...`);
}

function sameLocation(a: StoreLocation, b: StoreLocation): boolean {
  return a.kind === b.kind && a.target === b.target && (a.postgres?.schema ?? '') === (b.postgres?.schema ?? '');
}

function view(report: CopyReport) {
  return {
    From: report.from,
    To: report.to,
    Verified: report.verified,
    Tables: report.tables.map((t) => ({
      Table: t.table,
      Rows: t.rows,
      Checksum: t.checksum,
      TargetRows: t.targetRows,
      TargetChecksum: t.targetChecksum,
      IdCounter: t.idCounter,
    })),
    TotalRows: report.tables.reduce((n, t) => n + t.rows, 0),
    Note: SEALED_NOTE,
  };
}

function human(v: ReturnType<typeof view>): string {
  const rows = v.Tables.map((t) => ({
    ...t,
    Match: t.Rows === t.TargetRows && t.Checksum === t.TargetChecksum ? 'yes' : 'NO',
  }));
  const columns = v.Verified
    ? ['Table', 'Rows', 'Checksum']
    : ['Table', 'Rows', 'TargetRows', 'Checksum', 'TargetChecksum', 'Match'];
  const verdict = v.Verified
    ? `verified: ${v.Tables.length} tables, ${v.TotalRows} rows copied from ${v.From} to ${v.To}; row counts and checksums are equal on both sides.`
    : 'NOT verified: row counts or checksums differ (marked NO); the target was rolled back.';
  return `${table(rows, columns)}\n${verdict}\n${v.Verified ? SEALED_NOTE : ''}`.trimEnd();
}

async function copy(flags: Flags): Promise<void> {
  const json = flags.json === true;
  const from = parseStoreLocation('from', requireFlag(flags, 'from'), optionalFlag(flags, 'from-schema'));
  const to = parseStoreLocation('to', requireFlag(flags, 'to'), optionalFlag(flags, 'to-schema'));
  if (sameLocation(from, to)) throw new CertError('invalid_parameter', '--from and --to name the same store');
  // Store.open would create a missing SQLite file, and the copy would then move nothing.
  if (from.kind === 'sqlite' && !existsSync(from.target))
    throw new CertError('invalid_parameter', `--from: no SQLite database at ${from.target}`);
  // A new data directory for the target, as `certdesk serve` creates its own.
  // A backup holds sealed keys and credentials: private directory and file, like the data directory.
  if (to.kind === 'sqlite') {
    mkdirSync(dirname(to.target), { recursive: true, mode: PRIVATE_DIR_MODE });
    if (!existsSync(to.target)) createPrivateFile(to.target);
  }

  const print = printerFor(json);
  const source = await Store.open(from);
  try {
    const target = await Store.open(to);
    try {
      const report = await copyStore(source, target, {
        onTable: json ? undefined : (name, rows) => void process.stderr.write(`copied ${name}: ${rows} rows\n`),
      });
      const v = view(report);
      print(v, () => human(v));
    } catch (e) {
      // A failed verification: show the per-table comparison, then fail (exit status 1).
      const report = isCertError(e) ? (e.detail?.report as CopyReport | undefined) : undefined;
      if (report) {
        const v = view(report);
        print(v, () => human(v));
      }
      throw e;
    } finally {
      await target.close();
    }
  } finally {
    await source.close();
  }
}

export const storeCopyCommand: Command = {
  name: 'store copy',
  args: '--from SRC --to DST [--from-schema NAME] [--to-schema NAME]',
  summary: 'copy every table into an empty store and verify it; SRC, DST: sqlite:PATH or postgres://...',
  details:
    'The target is migrated first; ids are kept; row counts and checksums are compared on both\n' +
    'sides. Secrets stay sealed: run certdesk on the target with the same master key.',
  options: {
    from: { type: 'string' },
    to: { type: 'string' },
    'from-schema': { type: 'string' },
    'to-schema': { type: 'string' },
  },
  config: [],
  run: ({ flags }) => copy(flags),
};
