// 0014: an order may carry a shorter certificate lifetime than its product's: an ACME profile
// such as `shortlived` (160 hours, as Let's Encrypt's profile of that name,
// https://letsencrypt.org/docs/profiles/) caps it. Null: the product's validity
// (policy/validity.ts), which is every CAS order.
import type { Kysely } from 'kysely';
import type { MigrationContext } from './context.js';

export async function up(db: Kysely<unknown>, _ctx: MigrationContext): Promise<void> {
  await db.schema.alterTable('orders').addColumn('validity_hours', 'integer').execute();
}
