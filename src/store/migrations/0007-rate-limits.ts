// 0007: per-account request counters: one row per (window, account,
// action), counted by an upsert, so every process sharing the database counts against the
// same limit. Rows live a few seconds; src/api/cas/throttle.ts purges old windows.
import { sql, type Kysely } from 'kysely';
import type { MigrationContext } from './context.js';

export async function up(db: Kysely<unknown>, { kind }: MigrationContext): Promise<void> {
  let table = db.schema
    .createTable('rate_counters')
    .addColumn('window_start', 'bigint', (c) => c.notNull())
    // No foreign key to accounts: the counter is written on every request, and a row that
    // outlives its account by a few seconds does no harm.
    .addColumn('account_id', 'bigint', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('count', 'integer', (c) => c.notNull())
    // window_start first: the same index serves the upsert's conflict target and the purge's
    // `window_start < ?` range.
    .addPrimaryKeyConstraint('rate_counters_pk', ['window_start', 'account_id', 'action']);
  // The counters are worth nothing after a few seconds. PostgreSQL: UNLOGGED skips the WAL
  // (a crash empties the table, which only resets the current window). SQLite: WITHOUT ROWID
  // stores the rows in the primary-key b-tree, one b-tree to write instead of two.
  table = kind === 'postgres' ? table.modifyFront(sql`unlogged`) : table.modifyEnd(sql`without rowid`);
  await table.execute();
}
