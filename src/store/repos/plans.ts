import { sql } from 'kysely';
import type { Db } from '../store.js';
import type { PlanRow } from '../schema.js';
import { compiledOnce } from '../compiled-once.js';

/**
 * The plan a submission takes its unit from: the account's plan of the product in force at
 * `now` with a free unit (its counter, migration 0016), the one expiring first (use what
 * would otherwise be lost), never-expiring ones last. Twice per submission.
 */
const planWithRoom = compiledOnce(
  ['accountId', 'productCode', 'now'],
  (db, p: { accountId: number; productCode: string; now: number }) =>
    db
      .selectFrom('plans')
      .selectAll()
      .where('account_id', '=', p.accountId)
      .where('product_code', '=', p.productCode)
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', p.now)]))
      .whereRef('used_count', '<', 'total_count')
      // NULLs sort first in SQLite and last in PostgreSQL: the boolean says it for both.
      .orderBy(sql`expires_at is null`)
      .orderBy('expires_at')
      .orderBy('id')
      .limit(1),
);

export function planRepo(db: Db) {
  return {
    async grant(p: {
      accountId: number;
      productCode: string;
      totalCount: number;
      expiresAt: number | null;
      now: number;
    }): Promise<PlanRow> {
      return db
        .insertInto('plans')
        .values({
          account_id: p.accountId,
          product_code: p.productCode,
          total_count: p.totalCount,
          expires_at: p.expiresAt,
          created_at: p.now,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
    },
    async listByAccount(accountId: number): Promise<PlanRow[]> {
      return db.selectFrom('plans').selectAll().where('account_id', '=', accountId).orderBy('id').execute();
    },
    /** Sum of the account's plans for one product that have not expired at `now`. */
    async totalInForce(accountId: number, productCode: string, now: number): Promise<number> {
      const row = await db
        .selectFrom('plans')
        .select((eb) => eb.fn.coalesce(eb.fn.sum<number>('total_count'), eb.lit(0)).as('total'))
        .where('account_id', '=', accountId)
        .where('product_code', '=', productCode)
        .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
        .executeTakeFirstOrThrow();
      return Number(row.total);
    },
    /**
     * For plans in force at `now`: UsedCount = live (not deleted) applications holding a unit,
     * IssuedCount = certificates issued for them (revoked ones included: they were issued).
     * An expired plan takes its units and its orders out of the count (CAS API reference, DescribePackageState).
     */
    async usage(accountId: number, productCode: string, now: number): Promise<{ used: number; issued: number }> {
      const row = await db
        .selectFrom('orders')
        .innerJoin('plans', 'plans.id', 'orders.plan_id')
        .leftJoin('certificates', (j) =>
          j.onRef('certificates.order_id', '=', 'orders.id').on('certificates.state', '=', 'issued'),
        )
        .select((eb) => [
          eb.fn.count<number>('orders.id').as('used'),
          eb.fn.count<number>('certificates.id').as('issued'),
        ])
        .where('orders.account_id', '=', accountId)
        .where('plans.product_code', '=', productCode)
        .where('orders.deleted_at', 'is', null)
        .where((eb) => eb.or([eb('plans.expires_at', 'is', null), eb('plans.expires_at', '>', now)]))
        .executeTakeFirstOrThrow();
      return { used: Number(row.used), issued: Number(row.issued) };
    },
    /**
     * The plan an application should take its unit from (planWithRoom). Callers that then
     * insert the order hold the write lock; orders.insert takes the unit.
     */
    async pickPlanWithRoom(accountId: number, productCode: string, now: number): Promise<PlanRow | undefined> {
      const [row] = (await planWithRoom(db, { accountId, productCode, now })).rows;
      return row;
    },
  };
}
