// 0013: ACME renewal by replacement (RFC 9773 §5). An order's `replaces` certID is kept as the
// client sent it (the order echoes it); the certificate it names is recorded as well, so that
// "already replaced by another order" is one indexed look-up whatever form the certID took.
import type { Kysely } from 'kysely';
import type { MigrationContext } from './context.js';

export async function up(db: Kysely<unknown>, _ctx: MigrationContext): Promise<void> {
  await db.schema
    .alterTable('acme_orders')
    .addColumn('replaces_certificate_id', 'bigint', (c) => c.references('certificates.id'))
    .execute();
  await db.schema.createIndex('acme_orders_replaces').on('acme_orders').column('replaces_certificate_id').execute();
}
