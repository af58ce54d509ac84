// Mass revocation (`certdesk admin cert revoke --serials-file FILE | --issued-before T |
// --product P | --account A`): a CA that finds a mis-issuance must revoke every affected
// certificate within 24 hours, or 5 days for the lesser reasons (BR §4.9.1.1), which can mean
// millions of certificates at once. The certificates are revoked in batches, each batch one
// transaction: its certificates marked revoked in one guarded statement that returns what the
// sinks need of them, their orders moved to revoked in another, and one 'revoked_batch' event
// for the sinks (OCSP responses stored together, one CRL counter bump, notices queued together
// under their dedupe keys). The batch's OCSP responses are signed before its transaction
// begins (deps.presignRevocations), so on PostgreSQL, where two batches are in flight, one
// batch's signing overlaps the other's statements.
// The caller re-signs the CRLs once at the end (src/cli; the sinks' CRL job is the fallback).
//
// Crash-safe and idempotent by construction: a batch commits wholly or not at all, and a
// certificate is only ever taken while not revoked (revoked_at is null, checked again in the
// UPDATE), so running the same command again after a crash revokes what is left and nothing
// twice; certificates a run finds already revoked are counted, not touched.
import { CertError } from '../domain/errors.js';
import { normalizeSerial } from '../domain/revocation.js';
import type { RevocationSelector } from '../store/repos/certificates.js';
import type { RevokedCertificate } from '../store/mappers.js';
import type { UseCaseDeps } from './deps.js';
import type { EventRepoReads, EventRepoWrites, RevokedInBatch } from './events.js';

type MassRevokeWrites = 'orders' | 'certificates' | EventRepoWrites;
export type MassRevokeDeps = UseCaseDeps<
  'clock' | 'events' | 'ca' | 'afterRevocationBatch' | 'presignRevocations',
  MassRevokeWrites,
  EventRepoReads
>;

/** Which certificates to revoke; the criteria given all apply (AND). */
export interface MassRevocationRequest {
  /** Serials (hex, as `openssl x509 -serial` or our listings print them). */
  serials?: readonly string[];
  issuedBefore?: number;
  productCode?: string;
  accountId?: number;
}

export interface MassRevocationProgress {
  /** Certificates to revoke when the run started (not revoked yet and selected). */
  total: number;
  revoked: number;
}

export interface MassRevocationSummary {
  /** Certificates this run revoked. */
  revoked: number;
  /** Selected certificates that were revoked already (by an earlier run or otherwise): left as they were. */
  alreadyRevoked: number;
  /** Serials of the file that name no certificate certdesk issued (or none matching the other criteria). */
  notFound: string[];
  /** Orders that ended as revoked. */
  ordersRevoked: number;
  batches: number;
  /** The issuers whose CRLs list new entries: the caller re-signs their CRLs. */
  issuerIds: number[];
}

export const MASS_REVOCATION_BATCH = 1000;
/** Batches in flight at once on PostgreSQL (each on its own connection of the pool). */
export const MASS_REVOCATION_PG_LANES = 4;
/** SQLite: one batch writing, the next one being signed. */
export const MASS_REVOCATION_SQLITE_LANES = 2;

/** Normalizes the serials (upper-case hex), once each; a line that is not a serial is refused with its number. */
export function parseSerialList(text: string): string[] {
  const out = new Set<string>();
  text.split(/\r?\n/).forEach((line, i) => {
    const t = line.replace(/#.*/, '').trim();
    if (t === '') return;
    try {
      // Stored serials are the INTEGER's content octets in hex (src/ca/serial.ts: never a
      // leading zero octet), so an even number of digits; listings print them with or without
      // a leading zero digit.
      const hex = normalizeSerial(t).replace(/^0+(?=.)/, '');
      out.add(hex.length % 2 === 1 ? `0${hex}` : hex);
    } catch {
      throw new CertError('invalid_parameter', `line ${i + 1} of the serials file is not a hexadecimal serial.`);
    }
  });
  return [...out];
}

export async function revokeCertificatesInBulk(
  deps: MassRevokeDeps,
  request: MassRevocationRequest,
  reason: number | null,
  opts: { batchSize?: number; onProgress?: (p: MassRevocationProgress) => void } = {},
): Promise<MassRevocationSummary> {
  const batchSize = opts.batchSize ?? MASS_REVOCATION_BATCH;
  const base: RevocationSelector = {
    issuerIds: deps.ca.issuerIds,
    ...(request.issuedBefore !== undefined ? { issuedBefore: request.issuedBefore } : {}),
    ...(request.productCode !== undefined ? { productCode: request.productCode } : {}),
    ...(request.accountId !== undefined ? { accountId: request.accountId } : {}),
  };
  if (request.serials === undefined && Object.keys(base).length === 1)
    throw new CertError('missing_parameter', 'name the certificates to revoke: a serials file or a selector.');
  const summary: MassRevocationSummary = {
    revoked: 0,
    alreadyRevoked: 0,
    notFound: [],
    ordersRevoked: 0,
    batches: 0,
    issuerIds: [],
  };
  const issuers = new Set<number>();
  const serials = request.serials;
  const total = serials ? serials.length : await deps.store.repos.certificates.countUnrevoked(base);
  const progress = () => opts.onProgress?.({ total, revoked: summary.revoked + summary.alreadyRevoked });
  progress();

  type Repos = Parameters<Parameters<MassRevokeDeps['store']['writeTransaction']>[0]>[0];
  /**
   * One batch in one transaction: `revoke` marks the batch's certificates revoked (each once,
   * in one guarded statement) and returns those it revoked. `serials`: the OCSP responses of
   * those named are signed before the transaction begins.
   */
  const runBatch = async (
    serials: readonly string[] | undefined,
    revoke: (repos: Repos, now: number) => Promise<{ revoked: RevokedCertificate[]; skipped: number }>,
  ) => {
    const now = deps.clock.now();
    const presigned =
      serials && deps.presignRevocations ? await deps.presignRevocations(serials, now, reason) : undefined;
    return deps.store.writeTransaction(async (repos) => {
      const { revoked, skipped } = await revoke(repos, now);
      const orderIds = revoked.flatMap((c) => (c.orderId === null ? [] : [c.orderId]));
      const orders = await repos.orders.moveOrders(
        orderIds,
        { to: 'revoked', from: ['certificate'] },
        { updatedAt: now },
      );
      const certificates: RevokedInBatch[] = revoked.map((c) => ({
        accountId: c.accountId,
        orderId: c.orderId,
        certificateId: c.id,
        issuerId: c.issuerId,
        serial: c.serial,
        sans: c.sans,
        notBefore: c.notBefore,
        notAfter: c.notAfter,
      }));
      if (certificates.length > 0)
        await deps.events(
          repos,
          {
            kind: 'revoked_batch',
            reason,
            revokedAt: now,
            certificates,
            ...(presigned ? { presigned } : {}),
          },
          now,
        );
      return { revoked: revoked.length, skipped, orders, issuers: revoked.map((c) => c.issuerId) };
    });
  };

  const account = (r: Awaited<ReturnType<typeof runBatch>>) => {
    summary.revoked += r.revoked;
    summary.alreadyRevoked += r.skipped;
    summary.ordersRevoked += r.orders;
    summary.batches += 1;
    for (const i of r.issuers) issuers.add(i);
    deps.afterRevocationBatch?.(summary.batches);
    progress();
  };

  if (serials) {
    const one = async (chunk: readonly string[]) => {
      const notFound: string[] = [];
      const r = await runBatch(chunk, async (repos, now) => {
        const revoked = await repos.certificates.revokeSerials({ ...base, serials: chunk }, now, reason);
        if (revoked.length === chunk.length) return { revoked, skipped: 0 };
        // Some not revoked now: revoked already (an earlier run), or not a certificate we take.
        const done = new Set(revoked.map((c) => c.serial));
        const rest = chunk.filter((s) => !done.has(s));
        const known = await repos.certificates.revocationCandidates(
          { ...base, serials: rest },
          { afterId: 0, limit: rest.length, unrevokedOnly: false },
        );
        const found = new Set(known.map((c) => c.serial));
        notFound.length = 0;
        for (const s of rest) if (!found.has(s)) notFound.push(s);
        return { revoked, skipped: known.length };
      });
      summary.notFound.push(...notFound);
      account(r);
    };
    // Several batches at once: PostgreSQL runs them on as many connections, so that this
    // process encodes one while the server works on the others' statements and commits (the
    // batches' serials are disjoint; they meet only on the issuer's CRL counter and job rows,
    // taken late in each and in the same order). With two, this process still waited on the
    // server a third of the time (a CPU profile of the bench). SQLite has one writer: its
    // second lane has the next batch's responses signed (on the signing thread) while the
    // first writes, then waits for the connection.
    const lanes = deps.store.kind === 'postgres' ? MASS_REVOCATION_PG_LANES : MASS_REVOCATION_SQLITE_LANES;
    let next = 0;
    let failed = false;
    const settled = await Promise.allSettled(
      Array.from({ length: lanes }, async () => {
        while (next < serials.length && !failed) {
          const chunk = serials.slice(next, next + batchSize);
          next += batchSize;
          try {
            await one(chunk);
          } catch (e) {
            failed = true; // the other lanes stop after their batch: a rerun goes on from here
            throw e;
          }
        }
      }),
    );
    const error = settled.find((r) => r.status === 'rejected');
    if (error) throw error.reason;
  } else {
    for (let afterId = 0; ;) {
      let last = 0;
      let n = 0;
      const r = await runBatch(undefined, async (repos, now) => {
        const rows = await repos.certificates.revocationCandidates(base, {
          afterId,
          limit: batchSize,
          unrevokedOnly: true,
        });
        n = rows.length;
        last = rows[rows.length - 1]?.id ?? afterId;
        const revoked = await repos.certificates.markRevokedMany(
          rows.map((c) => c.id),
          now,
          reason,
        );
        return { revoked, skipped: rows.length - revoked.length };
      });
      if (n === 0) break;
      account(r);
      afterId = last;
      if (n < batchSize) break;
    }
  }
  summary.issuerIds = [...issuers].sort((a, b) => a - b);
  return summary;
}
