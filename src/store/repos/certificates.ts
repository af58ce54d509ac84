import type { Insertable, Updateable } from 'kysely';
import type { Db } from '../store.js';
import type { CertificateRow, CertificatesTable } from '../schema.js';
import { containsText } from './like.js';

export interface CertificateListQuery {
  accountId: number;
  source?: 'issued' | 'upload';
  keyword?: string;
  /** Only certificates valid at this time (not expired, not revoked). */
  validAt?: number;
  expiredAt?: number;
  notAfterBetween?: [number, number];
  revoked?: boolean;
  offset: number;
  limit: number;
}

export function certificateRepo(db: Db) {
  return {
    async insert(row: Insertable<CertificatesTable>): Promise<CertificateRow> {
      return db.insertInto('certificates').values(row).returningAll().executeTakeFirstOrThrow();
    },
    async forOrder(orderId: number): Promise<CertificateRow | undefined> {
      return db.selectFrom('certificates').selectAll().where('order_id', '=', orderId).executeTakeFirst();
    },
    async forOrders(orderIds: number[]): Promise<CertificateRow[]> {
      if (orderIds.length === 0) return [];
      return db.selectFrom('certificates').selectAll().where('order_id', 'in', orderIds).execute();
    },
    /** A live certificate of this account (issued or uploaded; never an unsigned intent). */
    async get(accountId: number, id: number): Promise<CertificateRow | undefined> {
      return db
        .selectFrom('certificates')
        .selectAll()
        .where('id', '=', id)
        .where('account_id', '=', accountId)
        .where('state', '=', 'issued')
        .where('deleted_at', 'is', null)
        .executeTakeFirst();
    },
    /** A certificate one of certdesk's issuers (current or retired) signed, by serial. */
    async findIssuedBySerial(issuerIds: readonly number[], serial: string): Promise<CertificateRow | undefined> {
      if (issuerIds.length === 0) return undefined;
      return db
        .selectFrom('certificates')
        .selectAll()
        .where('issuer_id', 'in', issuerIds)
        .where('serial', '=', serial)
        .where('state', '=', 'issued')
        .executeTakeFirst();
    },
    /** Phase 2 of issuance: intent -> issued, once. */
    async markIssued(id: number, certDer: string, set: Updateable<CertificatesTable>): Promise<boolean> {
      const r = await db
        .updateTable('certificates')
        .set({ ...set, state: 'issued', cert_der: certDer })
        .where('id', '=', id)
        .where('state', '=', 'intent')
        .executeTakeFirst();
      return Number(r.numUpdatedRows) > 0;
    },
    async update(id: number, set: Updateable<CertificatesTable>): Promise<void> {
      await db.updateTable('certificates').set(set).where('id', '=', id).execute();
    },
    async nameTaken(accountId: number, name: string): Promise<boolean> {
      const r = await db
        .selectFrom('certificates')
        .select('id')
        .where('account_id', '=', accountId)
        .where('name', '=', name)
        .where('deleted_at', 'is', null)
        .executeTakeFirst();
      return r !== undefined;
    },
    async list(q: CertificateListQuery): Promise<{ total: number; rows: CertificateRow[] }> {
      let base = db
        .selectFrom('certificates')
        .where('account_id', '=', q.accountId)
        .where('state', '=', 'issued')
        .where('deleted_at', 'is', null);
      if (q.source) base = base.where('source', '=', q.source);
      if (q.validAt !== undefined) base = base.where('not_after', '>=', q.validAt).where('revoked_at', 'is', null);
      if (q.expiredAt !== undefined) base = base.where('not_after', '<', q.expiredAt);
      if (q.notAfterBetween)
        base = base
          .where('not_after', '>=', q.notAfterBetween[0])
          .where('not_after', '<=', q.notAfterBetween[1])
          .where('revoked_at', 'is', null);
      if (q.revoked !== undefined) base = base.where('revoked_at', q.revoked ? 'is not' : 'is', null);
      if (q.keyword) {
        const kw = q.keyword;
        base = base.where((eb) =>
          eb.or([
            containsText(eb.ref('sans'), kw),
            containsText(eb.ref('name'), kw),
            containsText(eb.cast('id', 'text'), kw),
          ]),
        );
      }
      const { n } = await base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      const rows = await base.selectAll().orderBy('id', 'desc').offset(q.offset).limit(q.limit).execute();
      return { total: Number(n), rows };
    },
  };
}
