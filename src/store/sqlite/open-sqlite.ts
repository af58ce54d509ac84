// The embedded store: one SQLite file in WAL mode (readers never block the writer).
import BetterSqlite3 from 'better-sqlite3';
import { Kysely } from 'kysely';
import type { Database } from '../schema.js';
import { InlineLimitsSqliteDialect } from './inline-limits.js';

export function openSqliteKysely(path: string): Kysely<Database> {
  return openSqlite(path).db;
}

/**
 * The store's database, and `dataVersion`: SQLite's `PRAGMA data_version`, which changes when
 * another connection (another process: `certdesk admin`, or another handle) commits to the
 * file, and not for this connection's own commits (https://www.sqlite.org/pragma.html#pragma_data_version).
 * It tells a cache of rows whether anybody else may have changed them (store/access-key-cache.ts).
 */
export function openSqlite(path: string): { db: Kysely<Database>; dataVersion: () => number; wal: SqliteWal } {
  const handle = new BetterSqlite3(path);
  const journal = handle.pragma('journal_mode = WAL', { simple: true });
  // NORMAL is durable across application crashes in WAL mode; only an OS crash may lose
  // the last transactions (https://www.sqlite.org/pragma.html#pragma_synchronous).
  handle.pragma('synchronous = NORMAL');
  // `certdesk admin` commands write while `serve` runs: wait for the lock, do not fail.
  handle.pragma('busy_timeout = 5000');
  handle.pragma('foreign_keys = ON');
  // Prepared once, before the statement cache wraps prepare(): a few microseconds a call.
  const version = handle.prepare('pragma data_version').pluck();
  return {
    db: new Kysely<Database>({
      dialect: new InlineLimitsSqliteDialect({ database: withStatementCache(handle) }),
    }),
    dataVersion: () => version.get() as number,
    wal: {
      // A file database in WAL mode; ':memory:' and '' (a temporary database) have no WAL to share.
      path: handle.memory || journal !== 'wal' ? undefined : handle.name,
      autocheckpoint: (pages) => void handle.pragma(`wal_autocheckpoint = ${Math.max(0, Math.trunc(pages))}`),
      journalSizeLimit: (bytes) => void handle.pragma(`journal_size_limit = ${Math.trunc(bytes)}`),
    },
  };
}

/** The serving connection's checkpoint settings (store/sqlite/wal-checkpoints.ts). */
export interface SqliteWal {
  /** The database file another connection can open; undefined for an in-memory database. */
  path: string | undefined;
  /** PRAGMA wal_autocheckpoint: 0 = this connection never checkpoints on commit. */
  autocheckpoint(pages: number): void;
  /**
   * PRAGMA journal_size_limit: when the WAL starts over (after a complete checkpoint), the
   * file is truncated to this size if it grew larger (https://www.sqlite.org/pragma.html#pragma_journal_size_limit).
   */
  journalSizeLimit(bytes: number): void;
}

/** Distinct statements kept prepared (certdesk's queries, and `in (...)` lists of a few lengths). */
const STATEMENT_CACHE_SIZE = 1000;

/**
 * Kysely's SQLite driver prepares every query anew (sqlite3_prepare_v2 parses and plans the
 * text each time); under the order pipeline's load that was the largest single cost per
 * order (docs/decisions/0022-validation-nudge-schedule.md). The same text gets the same
 * prepared statement back: better-sqlite3 runs a statement to completion synchronously, so
 * reuse is safe, except while one is being iterated (a streamed query): then a fresh one.
 */
function withStatementCache(handle: BetterSqlite3.Database): BetterSqlite3.Database {
  const cache = new Map<string, BetterSqlite3.Statement>();
  const prepare = handle.prepare.bind(handle);
  handle.prepare = ((source: string) => {
    const cached = cache.get(source);
    if (cached !== undefined && !cached.busy) return cached;
    const stmt = prepare(source);
    if (cached === undefined) {
      if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value!);
      cache.set(source, stmt);
    }
    return stmt;
  }) as typeof handle.prepare;
  return handle;
}
