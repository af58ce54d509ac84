// 0006: notices to customers: an outbox of e-mails and webhook calls,
// one row per (event, channel, target), and the per-account secret webhooks are signed with.
import type { Kysely } from 'kysely';
import { idColumn, primaryKey, type MigrationContext } from './context.js';

export async function up(db: Kysely<unknown>, { kind }: MigrationContext): Promise<void> {
  await db.schema
    .createTable('notices')
    .addColumn('id', idColumn(kind), primaryKey(kind))
    .addColumn('account_id', 'bigint', (c) => c.notNull().references('accounts.id'))
    .addColumn('order_id', 'bigint')
    .addColumn('certificate_id', 'bigint')
    .addColumn('event', 'text', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('target', 'text', (c) => c.notNull())
    // UNIQUE: the same event announced twice (a retried transaction, two processes) is one notice.
    .addColumn('dedupe_key', 'text', (c) => c.notNull().unique())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('due_at', 'bigint', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('last_error', 'text')
    .addColumn('lease_owner', 'text')
    .addColumn('lease_until', 'bigint')
    .addColumn('sent_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('notices_order').on('notices').columns(['order_id']).execute();
  await db.schema.createIndex('notices_account').on('notices').columns(['account_id', 'id']).execute();
  await db.schema
    .createTable('webhook_secrets')
    .addColumn('account_id', 'bigint', (c) => c.primaryKey().references('accounts.id'))
    .addColumn('secret_sealed', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
}
