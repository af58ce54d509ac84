// Published CRLs and the per-issuer CRL counter (migrations/0004-crls.ts), and the reads a
// CRL publication makes of the certificates table.
import type { Insertable } from 'kysely';
import type { Db, StoreKind } from '../store.js';
import type { CrlRow, CrlsTable } from '../schema.js';

/** A revoked certificate as a CRL lists it. */
export interface RevokedCertificate {
  id: number;
  serial: string;
  revoked_at: number;
  revocation_reason: number | null;
  crl_shard: number | null;
}

/** A stored CRL without its bytes. */
export type CrlHeader = Omit<CrlRow, 'der'>;

const HEADER = ['issuer_id', 'partition', 'crl_number', 'this_update', 'next_update'] as const;

export function crlRepo(db: Db, kind: StoreKind) {
  return {
    /**
     * The next CRL number of the issuer, with the issuer's revocation count at that moment:
     * one statement (upsert ... RETURNING), so two publications, in this process or another,
     * never get the same number, and numbers never go back (RFC 5280 §5.2.3).
     */
    async allocateNumber(issuerId: number): Promise<{ number: number; revision: number }> {
      const r = await db
        .insertInto('crl_counters')
        .values({ issuer_id: issuerId, last_number: 1, revision: 0 })
        .onConflict((oc) =>
          oc.column('issuer_id').doUpdateSet((eb) => ({ last_number: eb('crl_counters.last_number', '+', 1) })),
        )
        .returning(['last_number', 'revision'])
        .executeTakeFirstOrThrow();
      return { number: Number(r.last_number), revision: Number(r.revision) };
    },
    /** Counts `count` more revocations of the issuer (in the revocations' own transaction). */
    async bumpRevision(issuerId: number, count = 1): Promise<void> {
      await db
        .insertInto('crl_counters')
        .values({ issuer_id: issuerId, last_number: 0, revision: count })
        .onConflict((oc) =>
          oc.column('issuer_id').doUpdateSet((eb) => ({ revision: eb('crl_counters.revision', '+', count) })),
        )
        .execute();
    },
    /**
     * The issuer's revocation count, its counter row locked until the transaction ends
     * (PostgreSQL FOR UPDATE; on SQLite the write transaction holds the database), so a
     * revocation cannot commit between this read and what the caller decides from it.
     */
    async lockRevision(issuerId: number): Promise<number> {
      const r = await db
        .selectFrom('crl_counters')
        .select('revision')
        .where('issuer_id', '=', issuerId)
        .$if(kind === 'postgres', (q) => q.forUpdate())
        .executeTakeFirst();
      return Number(r?.revision ?? 0);
    },
    /** Stores a CRL unless one with the same or a higher number is stored for its scope; true when stored. */
    async save(row: Insertable<CrlsTable>): Promise<boolean> {
      const r = await db
        .insertInto('crls')
        .values(row)
        .onConflict((oc) =>
          oc
            .columns(['issuer_id', 'partition'])
            .doUpdateSet((eb) => ({
              crl_number: eb.ref('excluded.crl_number'),
              this_update: eb.ref('excluded.this_update'),
              next_update: eb.ref('excluded.next_update'),
              der: eb.ref('excluded.der'),
            }))
            .where((eb) => eb('crls.crl_number', '<', eb.ref('excluded.crl_number'))),
        )
        .executeTakeFirst();
      return Number(r.numInsertedOrUpdatedRows ?? 0n) > 0;
    },
    async latest(issuerId: number, partition: number): Promise<CrlRow | undefined> {
      return db
        .selectFrom('crls')
        .selectAll()
        .where('issuer_id', '=', issuerId)
        .where('partition', '=', partition)
        .executeTakeFirst();
    },
    async header(issuerId: number, partition: number): Promise<CrlHeader | undefined> {
      return db
        .selectFrom('crls')
        .select(HEADER)
        .where('issuer_id', '=', issuerId)
        .where('partition', '=', partition)
        .executeTakeFirst();
    },
    async headers(issuerId: number): Promise<CrlHeader[]> {
      return db.selectFrom('crls').select(HEADER).where('issuer_id', '=', issuerId).orderBy('partition').execute();
    },
    /**
     * One page (by id) of the issuer's revoked certificates whose notAfter is at or after
     * `notAfterFrom`: a CRL keeps an entry until after the certificate expires (BR §4.10.1).
     */
    async revokedPage(
      issuerId: number,
      notAfterFrom: number,
      afterId: number,
      limit: number,
    ): Promise<RevokedCertificate[]> {
      const rows = await db
        .selectFrom('certificates')
        .select(['id', 'serial', 'revoked_at', 'revocation_reason', 'crl_shard'])
        .where('issuer_id', '=', issuerId)
        .where('state', '=', 'issued')
        .where('revoked_at', 'is not', null)
        .where('not_after', '>=', notAfterFrom)
        .where('id', '>', afterId)
        .orderBy('id')
        .limit(limit)
        .execute();
      return rows as RevokedCertificate[];
    },
    /** The certdesk issuer of a certificate (null for uploads or an unknown id). */
    async issuerOfCertificate(certificateId: number): Promise<number | null> {
      const r = await db
        .selectFrom('certificates')
        .select('issuer_id')
        .where('id', '=', certificateId)
        .executeTakeFirst();
      return r?.issuer_id ?? null;
    },
  };
}
