import type { Db } from '../store.js';
import type { PlanRow } from '../schema.js';

export function planRepo(db: Db) {
  return {
    async grant(p: { accountId: number; productCode: string; totalCount: number; expiresAt: number | null; now: number }): Promise<PlanRow> {
      return db
        .insertInto('plans')
        .values({ account_id: p.accountId, product_code: p.productCode, total_count: p.totalCount, expires_at: p.expiresAt, created_at: p.now })
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
     * UsedCount: live (not deleted) applications of the product; IssuedCount: certificates
     * issued for them (revoked ones included: they were issued). CAS doc §5.2.
     */
    async usage(accountId: number, productCode: string): Promise<{ used: number; issued: number }> {
      const row = await db
        .selectFrom('orders')
        .leftJoin('certificates', (j) => j.onRef('certificates.order_id', '=', 'orders.id').on('certificates.state', '=', 'issued'))
        .select((eb) => [eb.fn.count<number>('orders.id').as('used'), eb.fn.count<number>('certificates.id').as('issued')])
        .where('orders.account_id', '=', accountId)
        .where('orders.product_code', '=', productCode)
        .where('orders.deleted_at', 'is', null)
        .executeTakeFirstOrThrow();
      return { used: Number(row.used), issued: Number(row.issued) };
    },
  };
}
