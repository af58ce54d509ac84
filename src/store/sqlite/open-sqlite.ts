// The embedded store: one SQLite file in WAL mode (readers never block the writer).
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import type { Database } from '../schema.js';

export function openSqliteKysely(path: string): Kysely<Database> {
  const handle = new BetterSqlite3(path);
  handle.pragma('journal_mode = WAL');
  // NORMAL is durable across application crashes in WAL mode; only an OS crash may lose
  // the last transactions (https://www.sqlite.org/pragma.html#pragma_synchronous).
  handle.pragma('synchronous = NORMAL');
  // `certdesk admin` commands write while `serve` runs: wait for the lock, do not fail.
  handle.pragma('busy_timeout = 5000');
  handle.pragma('foreign_keys = ON');
  return new Kysely<Database>({ dialect: new SqliteDialect({ database: handle }) });
}
