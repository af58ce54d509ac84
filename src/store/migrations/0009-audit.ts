// 0009: the audit trail (domain/audit.ts): append-only events, written in the transaction of
// the change they record. Triggers refuse UPDATE and DELETE on both stores, so no code path,
// ours or a mistaken one, can rewrite history through certdesk's connection.
import { sql, type Kysely } from 'kysely';
import { idColumn, primaryKey, type MigrationContext } from './context.js';

export async function up(db: Kysely<unknown>, { kind }: MigrationContext): Promise<void> {
  await db.schema
    .createTable('audit_events')
    .addColumn('id', idColumn(kind), primaryKey(kind))
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('actor_kind', 'text', (c) => c.notNull())
    .addColumn('actor_id', 'text')
    .addColumn('remote_address', 'text')
    // No foreign keys: the record outlives what it names (a deleted key, order or account).
    .addColumn('account_id', 'bigint')
    .addColumn('order_id', 'bigint')
    .addColumn('certificate_id', 'bigint')
    .addColumn('detail', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('audit_events_at').on('audit_events').columns(['at']).execute();
  await db.schema.createIndex('audit_events_account').on('audit_events').columns(['account_id', 'at']).execute();
  await db.schema.createIndex('audit_events_order').on('audit_events').columns(['order_id', 'at']).execute();
  if (kind === 'postgres') {
    await sql`create function audit_events_append_only() returns trigger language plpgsql as $$
      begin raise exception 'audit_events is append-only'; end $$`.execute(db);
    await sql`create trigger audit_events_append_only before update or delete on audit_events
      for each row execute function audit_events_append_only()`.execute(db);
  } else {
    for (const op of ['update', 'delete'])
      await sql
        .raw(
          `create trigger audit_events_no_${op} before ${op} on audit_events
           begin select raise(abort, 'audit_events is append-only'); end`,
        )
        .execute(db);
  }
}
