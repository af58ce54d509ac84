// Pre-signed OCSP responses (migrations/0005-ocsp.ts), and the reads of the certificates
// table that decide what a response must say. Only certificates that were signed
// (state 'issued', never an intent) are read: any other serial is answered 'unknown'
// (BR 4.9, 4.10, 7.2; RFC 5280, RFC 6960: never "good" for a serial that was not issued).
import { sql, type CompiledQuery, type Insertable, type SqlBool } from 'kysely';
import type { Db, StoreKind } from '../store.js';
import { jsonRecordset } from './json-rows.js';
import type { OcspResponsesTable } from '../schema.js';

/** An issued certificate's status, with its stored response when there is one. */
export interface OcspCertificateState {
  issuer_id: number;
  serial: string;
  revoked_at: number | null;
  revocation_reason: number | null;
  not_after: number;
  /** The stored response (null: none stored yet). */
  der: Buffer | null;
  this_update: number | null;
  next_update: number | null;
  /** What the stored response says: its revocation time, or null for good. */
  response_revoked_at: number | null;
}

export type NewOcspResponse = Insertable<OcspResponsesTable>;

// Stand-ins compiled into the lookup query once, replaced by the real values per call.
const ISSUER_SLOT = -7_340_033;
const SERIAL_SLOT = '\u0000serial';

export function ocspResponseRepo(db: Db, kind: StoreKind) {
  const withResponse = () =>
    db
      .selectFrom('certificates as c')
      .leftJoin('ocsp_responses as r', (j) =>
        j.onRef('r.issuer_id', '=', 'c.issuer_id').onRef('r.serial', '=', 'c.serial'),
      )
      .select([
        'c.issuer_id',
        'c.serial',
        'c.revoked_at',
        'c.revocation_reason',
        'c.not_after',
        'r.der',
        'r.this_update',
        'r.next_update',
        'r.revoked_at as response_revoked_at',
      ])
      .where('c.state', '=', 'issued');

  // The OCSP serving path runs this on every cache miss: building and compiling it with
  // Kysely costs twice what executing it does, so it is compiled once per repository.
  let findQuery: CompiledQuery | undefined;

  return {
    /** The issued certificate (issuer, serial) with its stored response; undefined if never issued. */
    async find(issuerId: number, serial: string): Promise<OcspCertificateState | undefined> {
      findQuery ??= withResponse().where('c.issuer_id', '=', ISSUER_SLOT).where('c.serial', '=', SERIAL_SLOT).compile();
      const parameters = findQuery.parameters.map((p) =>
        p === ISSUER_SLOT ? issuerId : p === SERIAL_SLOT ? serial : p,
      );
      const { rows } = await db.executeQuery<OcspCertificateState>({ ...findQuery, parameters });
      return rows[0];
    },
    /** Same, for several serials at once; serials never issued are simply absent. */
    async findMany(issuerId: number, serials: readonly string[]): Promise<OcspCertificateState[]> {
      if (serials.length === 0) return [];
      return (await withResponse()
        .where('c.issuer_id', '=', issuerId)
        .where('c.serial', 'in', [...serials])
        .execute()) as OcspCertificateState[];
    },
    /** How fresh the issuer's stored responses are: how many, and the oldest thisUpdate. */
    async freshness(issuerId: number): Promise<{ count: number; oldestThisUpdate: number | null }> {
      const r = await db
        .selectFrom('ocsp_responses')
        .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.min('this_update').as('oldest')])
        .where('issuer_id', '=', issuerId)
        .executeTakeFirstOrThrow();
      return { count: Number(r.n), oldestThisUpdate: r.oldest === null ? null : Number(r.oldest) };
    },
    async findByCertificateId(certificateId: number): Promise<OcspCertificateState | undefined> {
      return (await withResponse().where('c.id', '=', certificateId).executeTakeFirst()) as
        OcspCertificateState | undefined;
    },
    /** findByCertificateId for many certificates (a mass revocation's batch). */
    async findByCertificateIds(certificateIds: readonly number[]): Promise<OcspCertificateState[]> {
      if (certificateIds.length === 0) return [];
      return (await withResponse()
        .where('c.id', 'in', [...certificateIds])
        .execute()) as OcspCertificateState[];
    },
    /**
     * Unexpired certificates of the issuer whose response must be (re-)signed: none stored,
     * the stored one's nextUpdate before `refreshBefore`, or the stored one not stating the
     * certificate's revocation. Keyset-paged by serial (pass the last serial seen).
     */
    async needingResponse(
      issuerId: number,
      opts: { now: number; refreshBefore: number; afterSerial: string; limit: number },
    ): Promise<OcspCertificateState[]> {
      return (await withResponse()
        .where('c.issuer_id', '=', issuerId)
        .where('c.not_after', '>', opts.now)
        .where('c.serial', '>', opts.afterSerial)
        .where((eb) =>
          eb.or([
            eb('r.serial', 'is', null),
            eb('r.next_update', '<', opts.refreshBefore),
            eb.and([
              eb('c.revoked_at', 'is not', null),
              eb.or([eb('r.revoked_at', 'is', null), eb('r.revoked_at', '!=', eb.ref('c.revoked_at'))]),
            ]),
          ]),
        )
        .orderBy('c.serial')
        .limit(opts.limit)
        .execute()) as OcspCertificateState[];
    },
    async get(issuerId: number, serial: string) {
      return db
        .selectFrom('ocsp_responses')
        .selectAll()
        .where('issuer_id', '=', issuerId)
        .where('serial', '=', serial)
        .executeTakeFirst();
    },
    /**
     * Stores responses. A stored response is replaced only by one at least as recent, and a
     * response saying revoked is never replaced by one saying good: revocation is final
     * (BR §4.9.13: no suspension), so a refresh that read the status before a revocation
     * committed cannot undo it.
     */
    async save(rows: readonly NewOcspResponse[]): Promise<void> {
      if (rows.length === 0) return;
      // PostgreSQL, several rows: one statement with one parameter (json-rows.ts).
      const many = kind === 'postgres' && rows.length > 1 ? jsonRecordset('ocsp_responses', rows) : undefined;
      const insert = many
        ? db.insertInto('ocsp_responses').columns(many.columns).expression(many.select)
        : db.insertInto('ocsp_responses').values([...rows]);
      await insert
        .onConflict((oc) =>
          oc
            .columns(['issuer_id', 'serial'])
            .doUpdateSet((eb) => ({
              der: eb.ref('excluded.der'),
              this_update: eb.ref('excluded.this_update'),
              next_update: eb.ref('excluded.next_update'),
              revoked_at: eb.ref('excluded.revoked_at'),
            }))
            .where(
              sql<SqlBool>`excluded.this_update >= ocsp_responses.this_update and (ocsp_responses.revoked_at is null or excluded.revoked_at is not null)`,
            ),
        )
        .execute();
    },
    /** Drops responses that expired before `before` (certificates past their notAfter are no longer refreshed). */
    async deleteExpired(issuerId: number, before: number): Promise<number> {
      const r = await db
        .deleteFrom('ocsp_responses')
        .where('issuer_id', '=', issuerId)
        .where('next_update', '<', before)
        .executeTakeFirst();
      return Number(r.numDeletedRows);
    },
  };
}
