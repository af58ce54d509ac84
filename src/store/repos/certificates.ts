import { sql, type SqlBool } from 'kysely';
import type { CertificatesTable } from '../schema.js';
import type { Db, StoreKind } from '../store.js';
import { compiledOnce } from '../compiled-once.js';
import type { Certificate } from '../../domain/certificate.js';
import {
  REVOKED_CERTIFICATE_COLUMNS,
  certificateFromRow,
  certificateToRow,
  revokedCertificateFromRow,
  type NewCertificate,
  type RevokedCertificate,
} from '../mappers.js';
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

/** Which certificates a mass revocation takes (`certdesk admin cert revoke --serials-file/--issued-before/...`). */
export interface RevocationSelector {
  /** certdesk's issuers, current and retired: only certificates they signed are revoked. */
  issuerIds: readonly number[];
  /** Only these serials (normalized hex). */
  serials?: readonly string[];
  /** Only certificates whose notBefore is before this time. */
  issuedBefore?: number;
  /** Only certificates of orders for this product code. */
  productCode?: string;
  accountId?: number;
}

/** A certificate as a mass revocation reads it. */
export interface RevocationCandidate {
  id: number;
  serial: string;
  account_id: number;
  order_id: number | null;
  issuer_id: number;
  revoked_at: number | null;
}

/** Phase 2 of issuance, once per order (certificateRepo.markIssued), compiled once (compiled-once.ts). */
const markIssuedStatement = compiledOnce(
  ['id', 'certDer', 'sha1', 'sha256', 'notBefore', 'notAfter'],
  (db, p: { id: number; certDer: string; sha1: string; sha256: string; notBefore: number; notAfter: number }) =>
    db
      .updateTable('certificates')
      .set({
        state: 'issued',
        tbs_der: null,
        cert_der: p.certDer,
        sha1: p.sha1,
        sha256: p.sha256,
        not_before: p.notBefore,
        not_after: p.notAfter,
      })
      .where('id', '=', p.id)
      .where('state', '=', 'intent'),
);

type CertificateInsertValues = ReturnType<typeof certificateToRow>;
/** Every column of `certificates`, in one order (`satisfies` keeps the list complete when the table
 * grows): the insert below and the order repository's joined read (orders.ts) name them from here. */
export const CERTIFICATE_COLUMNS = Object.keys({
  id: 1,
  account_id: 1,
  order_id: 1,
  source: 1,
  name: 1,
  serial: 1,
  issuer_id: 1,
  state: 1,
  tbs_der: 1,
  cert_der: 1,
  chain_pem: 1,
  key_sealed: 1,
  common_name: 1,
  sans: 1,
  issuer_cn: 1,
  not_before: 1,
  not_after: 1,
  sha1: 1,
  sha256: 1,
  org_name: 1,
  country: 1,
  province: 1,
  city: 1,
  revoked_at: 1,
  revocation_reason: 1,
  deleted_at: 1,
  created_at: 1,
  crl_shard: 1,
} satisfies Record<keyof CertificatesTable, 1>) as (keyof CertificatesTable)[];
// Every column but the id.
const CERTIFICATE_INSERT_COLUMNS = CERTIFICATE_COLUMNS.filter((c) => c !== 'id') as (keyof CertificateInsertValues)[];
/** Once per issued order, every column a value (certificateToRow sets them all), compiled once (compiled-once.ts). */
const insertCertificateRow = compiledOnce(CERTIFICATE_INSERT_COLUMNS, (db, row: CertificateInsertValues) =>
  db.insertInto('certificates').values(row).returningAll(),
);

export function certificateRepo(db: Db, kind: StoreKind) {
  const candidates = (q: RevocationSelector) =>
    db
      .selectFrom('certificates')
      .where('issuer_id', 'in', [...q.issuerIds])
      .where('state', '=', 'issued')
      .where('source', '=', 'issued')
      .$if(q.serials !== undefined, (b) => b.where('serial', 'in', [...q.serials!]))
      .$if(q.issuedBefore !== undefined, (b) => b.where('not_before', '<', q.issuedBefore!))
      .$if(q.accountId !== undefined, (b) => b.where('account_id', '=', q.accountId!))
      .$if(q.productCode !== undefined, (b) =>
        b.where('order_id', 'in', (eb) =>
          eb.selectFrom('orders').select('id').where('product_code', '=', q.productCode!),
        ),
      );

  /**
   * Revokes the issued, not yet revoked certificates among `ids` in one statement, each
   * once: those it revoked (a certificate revoked meanwhile is left as it is).
   */
  async function markRevokedMany(
    ids: readonly number[],
    at: number,
    reason: number | null,
  ): Promise<RevokedCertificate[]> {
    if (ids.length === 0) return [];
    const rows = await db
      .updateTable('certificates')
      .set({ revoked_at: at, revocation_reason: reason })
      // PostgreSQL: the ids as one array parameter, not one parameter each.
      .where((eb) => (kind === 'postgres' ? sql<SqlBool>`id = any(${[...ids]}::bigint[])` : eb('id', 'in', [...ids])))
      .where('state', '=', 'issued')
      .where('revoked_at', 'is', null)
      .returning(REVOKED_CERTIFICATE_COLUMNS)
      .execute();
    return rows.map(revokedCertificateFromRow);
  }

  return {
    async insert(cert: NewCertificate): Promise<Certificate> {
      return certificateFromRow((await insertCertificateRow(db, certificateToRow(cert))).rows[0]!);
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
    /**
     * Phase 2 of issuance: intent -> issued, once. The intent's TBS goes (it is inside the
     * certificate now, RFC 5280 §4.1.1.1, and only an intent is signed from it): the row then
     * grows by the signature and hashes instead of by the whole certificate, so issuing seldom
     * splits the certificates table's page (fewer pages written per issuance: docs/decisions/0032).
     */
    async markIssued(
      id: number,
      certDer: string,
      facts: { sha1: string; sha256: string; notBefore: number; notAfter: number },
    ): Promise<boolean> {
      const { sha1, sha256, notBefore, notAfter } = facts;
      const r = await markIssuedStatement(db, { id, certDer, sha1, sha256, notBefore, notAfter });
      return Number(r.numAffectedRows ?? 0) > 0;
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
    /**
     * One page (by id, after `afterId`) of the selected certificates: with `unrevokedOnly`,
     * those not revoked yet (a selector's page); without, every match (serials, to tell the
     * already revoked from the unknown).
     */
    async revocationCandidates(
      q: RevocationSelector,
      page: { afterId: number; limit: number; unrevokedOnly: boolean },
    ): Promise<RevocationCandidate[]> {
      if (q.issuerIds.length === 0 || (q.serials !== undefined && q.serials.length === 0)) return [];
      const rows = await candidates(q)
        .select(['id', 'serial', 'account_id', 'order_id', 'issuer_id', 'revoked_at'])
        .where('id', '>', page.afterId)
        .$if(page.unrevokedOnly, (b) => b.where('revoked_at', 'is', null))
        .orderBy('id')
        .limit(page.limit)
        .execute();
      return rows.map((r) => ({
        id: Number(r.id),
        serial: r.serial,
        account_id: Number(r.account_id),
        order_id: r.order_id === null ? null : Number(r.order_id),
        issuer_id: Number(r.issuer_id),
        revoked_at: r.revoked_at === null ? null : Number(r.revoked_at),
      }));
    },
    /** How many selected certificates are not revoked yet (a mass revocation's progress total). */
    async countUnrevoked(q: RevocationSelector): Promise<number> {
      if (q.issuerIds.length === 0) return 0;
      const r = await candidates(q)
        .where('revoked_at', 'is', null)
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      return Number(r.n);
    },
    markRevokedMany,
    /**
     * Revokes the selected certificates (`q.serials` names them) that are issued and not
     * revoked yet, each once: those it revoked. A serial it does not return was revoked
     * already, or names no certificate the selector takes.
     *
     * Two statements, each of which can be planned one way only: the selected ids through the
     * (issuer_id, serial) index, then those rows revoked by id (markRevokedMany's guard). As
     * one UPDATE, SQLite (no statistics) and PostgreSQL (none yet on a freshly filled table)
     * both chose the (issuer_id, revoked_at) index for `revoked_at is null` (EXPLAIN), so every
     * batch read every unrevoked certificate of the issuer: quadratic in the run's size.
     */
    async revokeSerials(
      q: RevocationSelector & { serials: readonly string[] },
      at: number,
      reason: number | null,
    ): Promise<RevokedCertificate[]> {
      if (q.issuerIds.length === 0 || q.serials.length === 0) return [];
      const rows = await candidates({ ...q, serials: undefined })
        // PostgreSQL: the serials as one array parameter, not one parameter each.
        .where((eb) =>
          kind === 'postgres'
            ? sql<SqlBool>`serial = any(${[...q.serials]}::text[])`
            : eb('serial', 'in', [...q.serials]),
        )
        .select('id')
        .execute();
      return markRevokedMany(
        rows.map((r) => Number(r.id)),
        at,
        reason,
      );
    },
    /** Live certificates by id, whichever account holds them (event sinks of a batch). */
    async getMany(ids: readonly number[]): Promise<Certificate[]> {
      if (ids.length === 0) return [];
      return (
        await db
          .selectFrom('certificates')
          .selectAll()
          .where('id', 'in', [...ids])
          .where('state', '=', 'issued')
          .where('deleted_at', 'is', null)
          .execute()
      ).map(certificateFromRow);
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
