// 0016: a plan's units in use kept on the plan (`used_count`), changed by the statements that
// take a unit (store/repos/orders.ts insert) and give it back (markDeleted), in the
// transaction that writes the order. Every submission used to count the plan's live orders
// (a join and a group-by over orders, twice per submission) to find a plan with room; the
// counter makes that an index read of the account's plans. Backfilled from the live orders
// so that quota stays exact across the upgrade (CAS API reference, DescribePackageState:
// UsedCount is the applications holding a unit).
import { sql, type Kysely } from 'kysely';
import type { MigrationContext } from './context.js';

export async function up(db: Kysely<unknown>, _ctx: MigrationContext): Promise<void> {
  await db.schema
    .alterTable('plans')
    .addColumn('used_count', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await backfillPlanUsedCount(db);
}

/** Each plan's counter set to its live orders (the store contract test runs it on its own). */
export async function backfillPlanUsedCount(db: Kysely<unknown>): Promise<void> {
  await sql`update plans set used_count = (
      select count(*) from orders where orders.plan_id = plans.id and orders.deleted_at is null)`.execute(db);
}
