import type { Db } from '../store.js';
import type { Certificate } from '../../domain/certificate.js';
import { certificateFromRow, certificateToRow, type NewCertificate } from '../mappers.js';
import { containsText } from './like.js';

function decode(row: Parameters<typeof certificateFromRow>[0] | undefined): Certificate | undefined {
  return row && certificateFromRow(row);
}

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
    async insert(cert: NewCertificate): Promise<Certificate> {
      return certificateFromRow(
        await db.insertInto('certificates').values(certificateToRow(cert)).returningAll().executeTakeFirstOrThrow(),
      );
    },
    async forOrder(orderId: number): Promise<Certificate | undefined> {
      return decode(await db.selectFrom('certificates').selectAll().where('order_id', '=', orderId).executeTakeFirst());
    },
    async forOrders(orderIds: number[]): Promise<Certificate[]> {
      if (orderIds.length === 0) return [];
      return (await db.selectFrom('certificates').selectAll().where('order_id', 'in', orderIds).execute()).map(
        certificateFromRow,
      );
    },
    /** A live certificate of this account (issued or uploaded; never an unsigned intent). */
    async get(accountId: number, id: number): Promise<Certificate | undefined> {
      return decode(
        await db
          .selectFrom('certificates')
          .selectAll()
          .where('id', '=', id)
          .where('account_id', '=', accountId)
          .where('state', '=', 'issued')
          .where('deleted_at', 'is', null)
          .executeTakeFirst(),
      );
    },
    /** A certificate one of certdesk's issuers (current or retired) signed, by serial. */
    async findIssuedBySerial(issuerIds: readonly number[], serial: string): Promise<Certificate | undefined> {
      if (issuerIds.length === 0) return undefined;
      return decode(
        await db
          .selectFrom('certificates')
          .selectAll()
          .where('issuer_id', 'in', issuerIds)
          .where('serial', '=', serial)
          .where('state', '=', 'issued')
          .executeTakeFirst(),
      );
    },
    /** Phase 2 of issuance: intent -> issued, once. */
    async markIssued(
      id: number,
      certDer: string,
      facts: { sha1: string; sha256: string; notBefore: number; notAfter: number },
    ): Promise<boolean> {
      const r = await db
        .updateTable('certificates')
        .set({
          state: 'issued',
          cert_der: certDer,
          sha1: facts.sha1,
          sha256: facts.sha256,
          not_before: facts.notBefore,
          not_after: facts.notAfter,
        })
        .where('id', '=', id)
        .where('state', '=', 'intent')
        .executeTakeFirst();
      return Number(r.numUpdatedRows) > 0;
    },
    /** Revokes an issued certificate once: false when it was revoked already (or is not issued). */
    async markRevoked(id: number, at: number, reason: number | null): Promise<boolean> {
      const r = await db
        .updateTable('certificates')
        .set({ revoked_at: at, revocation_reason: reason })
        .where('id', '=', id)
        .where('state', '=', 'issued')
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      return Number(r.numUpdatedRows) > 0;
    },
    async setKeySealed(id: number, keySealed: string): Promise<void> {
      await db.updateTable('certificates').set({ key_sealed: keySealed }).where('id', '=', id).execute();
    },
    async markDeleted(id: number, at: number): Promise<void> {
      await db.updateTable('certificates').set({ deleted_at: at }).where('id', '=', id).execute();
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
    async list(q: CertificateListQuery): Promise<{ total: number; certificates: Certificate[] }> {
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
      return { total: Number(n), certificates: rows.map(certificateFromRow) };
    },
  };
}
