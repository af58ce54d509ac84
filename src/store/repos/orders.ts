import type { Insertable, Updateable } from 'kysely';
import type { Db, StoreKind } from '../store.js';
import type { CertificateRow, OrderRow, OrdersTable } from '../schema.js';
import { containsText } from './like.js';
import { createBatcher } from '../batcher.js';
import type { PreparedQuery } from '../postgres/open-postgres.js';

export interface OrderListQuery {
  accountId: number;
  /** Only orders whose issued certificate matches these date bounds (derived statuses). */
  certificate?: { validAt?: number; expiredAt?: number; notAfterBetween?: [number, number] };
  keyword?: string;
  states?: readonly string[];
  offset: number;
  limit: number;
}

export interface OrderWithCertificate {
  order: OrderRow;
  certificate: CertificateRow | undefined;
}

export function orderRepo(db: Db, kind: StoreKind, prepared?: PreparedQuery) {
  // The busiest API path (DescribeCertificateState) reads one order and its certificate.
  // Concurrent calls are grouped (store/batcher.ts): one `id IN (...)` query for the orders
  // and, beside it on another connection, one `order_id IN (...)` for their certificates.
  const getWithCertificate = createBatcher(async (keys: { accountId: number; id: number }[]): Promise<(OrderWithCertificate | undefined)[]> => {
    const ids = [...new Set(keys.map((k) => k.id))];
    const [orders, certificates] = await Promise.all(
      prepared
        ? [
            prepared<OrderRow>('certdesk_orders_by_ids', 'select * from orders where id = any($1::bigint[]) and deleted_at is null', [ids]),
            prepared<CertificateRow>('certdesk_certificates_by_orders', 'select * from certificates where order_id = any($1::bigint[])', [ids]),
          ]
        : [
            db.selectFrom('orders').selectAll().where('id', 'in', ids).where('deleted_at', 'is', null).execute(),
            db.selectFrom('certificates').selectAll().where('order_id', 'in', ids).execute(),
          ],
    );
    const byId = new Map(orders.map((r) => [r.id, r]));
    const certByOrder = new Map(certificates.map((c) => [c.order_id, c]));
    return keys.map((k) => {
      const order = byId.get(k.id);
      return order && order.account_id === k.accountId ? { order, certificate: certByOrder.get(order.id) } : undefined;
    });
  });

  return {
    /**
     * A live order of this account with its certificate row (if any), read together with
     * the concurrent calls: for read paths outside transactions.
     */
    getWithCertificate(accountId: number, id: number): Promise<OrderWithCertificate | undefined> {
      return getWithCertificate({ accountId, id });
    },
    async insert(row: Insertable<OrdersTable>): Promise<OrderRow> {
      return db.insertInto('orders').values(row).returningAll().executeTakeFirstOrThrow();
    },
    /** A live (not deleted) order of this account. */
    async get(accountId: number, id: number): Promise<OrderRow | undefined> {
      return db.selectFrom('orders').selectAll().where('id', '=', id).where('account_id', '=', accountId).where('deleted_at', 'is', null).executeTakeFirst();
    },
    /** For the worker and operators: any live order by id. */
    async getById(id: number): Promise<OrderRow | undefined> {
      return db.selectFrom('orders').selectAll().where('id', '=', id).where('deleted_at', 'is', null).executeTakeFirst();
    },
    /**
     * The same, locking the row until the transaction ends (PostgreSQL; SQLite's write
     * transaction already excludes every other writer).
     */
    async getForUpdate(id: number): Promise<OrderRow | undefined> {
      let q = db.selectFrom('orders').selectAll().where('id', '=', id).where('deleted_at', 'is', null);
      if (kind === 'postgres') q = q.forUpdate();
      return q.executeTakeFirst();
    },
    /**
     * Moves an order from one state to another only if it is still in `from`: the
     * compare-and-set that keeps two writers (API and worker, two processes) from both acting.
     */
    async transition(id: number, from: readonly string[], set: Updateable<OrdersTable> & { state?: string }): Promise<boolean> {
      const r = await db.updateTable('orders').set(set).where('id', '=', id).where('state', 'in', from as string[]).where('deleted_at', 'is', null).executeTakeFirst();
      return Number(r.numUpdatedRows) > 0;
    },
    async update(id: number, set: Updateable<OrdersTable>): Promise<void> {
      await db.updateTable('orders').set(set).where('id', '=', id).execute();
    },
    async list(q: OrderListQuery): Promise<{ total: number; rows: OrderRow[] }> {
      let base = db.selectFrom('orders').where('account_id', '=', q.accountId).where('deleted_at', 'is', null);
      if (q.states && q.states.length > 0) base = base.where('state', 'in', q.states as string[]);
      const c = q.certificate;
      if (c) {
        base = base.where('id', 'in', (eb) => {
          let sub = eb.selectFrom('certificates').select('order_id').where('account_id', '=', q.accountId).where('state', '=', 'issued').where('order_id', 'is not', null);
          if (c.validAt !== undefined) sub = sub.where('not_after', '>=', c.validAt);
          if (c.expiredAt !== undefined) sub = sub.where('not_after', '<', c.expiredAt);
          if (c.notAfterBetween) sub = sub.where('not_after', '>=', c.notAfterBetween[0]).where('not_after', '<=', c.notAfterBetween[1]);
          return sub as any;
        });
      }
      if (q.keyword) {
        const kw = q.keyword;
        base = base.where((eb) => eb.or([containsText(eb.ref('domains'), kw), containsText(eb.cast('id', 'text'), kw)]));
      }
      const { n } = await base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      const rows = await base.selectAll().orderBy('id', 'desc').offset(q.offset).limit(q.limit).execute();
      return { total: Number(n), rows };
    },
    async listForOperator(q: { state?: string; accountId?: number; limit: number }): Promise<OrderRow[]> {
      let base = db.selectFrom('orders').selectAll().where('deleted_at', 'is', null);
      if (q.state) base = base.where('state', '=', q.state);
      if (q.accountId !== undefined) base = base.where('account_id', '=', q.accountId);
      return base.orderBy('id').limit(q.limit).execute();
    },
    async lockAccount(accountId: number): Promise<void> {
      // Serializes submissions of one account across processes (PostgreSQL), so that the
      // quota check and the insert cannot interleave with another submission's.
      if (kind === 'postgres') await db.selectFrom('accounts').select('id').where('id', '=', accountId).forUpdate().execute();
    },
  };
}
