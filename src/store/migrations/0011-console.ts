// 0011: the web console's sign-in state, kept in the store so that it holds across processes
// sharing one database. Only SHA-256 digests of the session and link tokens are stored: a
// copy of the table signs nobody in (OWASP Session Management Cheat Sheet, "Session ID").
import type { Kysely } from 'kysely';
import type { MigrationContext } from './context.js';

export async function up(db: Kysely<unknown>, _ctx: MigrationContext): Promise<void> {
  await db.schema
    .createTable('console_sessions')
    .addColumn('id', 'text', (c) => c.primaryKey()) // hex SHA-256 of the cookie's token
    .addColumn('kind', 'text', (c) => c.notNull()) // customer | operator
    .addColumn('account_id', 'bigint') // null for operators
    .addColumn('access_key_id', 'text') // the key signed in with: its policy applies to the session
    .addColumn('scope_order_id', 'bigint') // a notice's link: this order only
    .addColumn('csrf', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('console_sessions_expiry').on('console_sessions').column('expires_at').execute();
  await db.schema
    .createTable('console_links')
    .addColumn('id', 'text', (c) => c.primaryKey()) // hex SHA-256 of the link's token
    .addColumn('account_id', 'bigint', (c) => c.notNull())
    .addColumn('scope_order_id', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('used_at', 'bigint')
    .execute();
}
