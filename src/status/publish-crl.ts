// CRL publication, a durable job per issuer (BR 4.9.7, 4.10.1 v2.2.6):
//  - re-signed within minutes of any revocation (crlEventSink schedules the job) and at least
//    every 4 days (each run schedules the next within CRL_REFRESH_MS);
//  - nextUpdate 7 days after thisUpdate (at most 10 allowed);
//  - CRL numbers from one counter per issuer in the store, so they only grow, across
//    restarts and across processes (RFC 5280 §5.2.3);
//  - a full CRL, and with --crl-partitions > 1 one CRL per partition holding exactly the
//    certificates that name it (certificates without a partition are in the full CRL only);
//  - entries stay listed until a day after the certificate expires (BR §4.10.1: "until after").
// The revoked certificates are read in pages and encoded as they come (src/ca/crl.ts), so a
// publication of a million entries keeps about the CRLs' own size in memory.
import { RevokedListWriter, signCrl, type RevokedEntry } from '../ca/crl.js';
import type { Clock, Logger } from '../domain/ports.js';
import type { IssuingCa } from '../orders/deps.js';
import type { EventSink } from '../orders/events.js';
import type { StoreView } from '../store/views.js';
import type { AttemptOutcome, JobKind } from '../worker/job-protocol.js';

/** What CRL publication needs; OrderDeps has all of it. */
export interface CrlDeps {
  store: StoreView<'crls' | 'jobs'>;
  clock: Clock;
  logger: Logger;
  ca: Pick<IssuingCa, 'id' | 'leaf' | 'crlPartitions' | 'leafForPartition'>;
}

/** Job kind; the job's ref id is the issuer id. */
export const JOB_CRL = 'crl' satisfies JobKind;
/** The partition number stored for the full CRL. */
export const FULL_CRL = -1;

const DAY = 86_400_000;
/** nextUpdate - thisUpdate (BR 4.9.7 v2.2.6: at most 10 days). */
export const CRL_VALIDITY_MS = 7 * DAY;
/** The next run after a publication: a CRL is re-signed every 3 days (BR 4.9.7 v2.2.6 asks at least every 7; the margin covers failed runs). */
export const CRL_REFRESH_MS = 3 * DAY;
/** After a revocation, the CRL job runs this much later, so a burst of revocations makes one CRL. */
export const CRL_REVOCATION_DELAY_MS = 60_000;
/** Entries stay this long after the certificate's notAfter. */
export const CRL_KEEP_AFTER_EXPIRY_MS = DAY;

const PAGE = 2000;

/** The scopes to publish: the full CRL, and every partition when certificates name partitions. */
function scopes(deps: CrlDeps): number[] {
  const partitions = deps.ca.crlPartitions > 1 ? Array.from({ length: deps.ca.crlPartitions }, (_, n) => n) : [];
  return [FULL_CRL, ...partitions];
}

/** Job handler: builds, signs and stores the issuer's CRLs, then schedules the next run. */
export async function runCrlPublication(deps: CrlDeps, issuerId: number): Promise<AttemptOutcome> {
  const { store, clock, logger, ca } = deps;
  if (issuerId !== ca.id) {
    // Only the active issuing CA's key is loaded; an old issuer's job has nothing to sign with.
    logger.log('warn', 'CRL job for an issuer without a loaded key: dropped', { issuer: issuerId });
    return { kind: 'done' };
  }
  // The number and the revocation count are taken together, before the certificates are
  // read: this CRL lists at least every revocation counted in `revision`.
  const { number: crlNumber, revision } = await store.repos.crls.allocateNumber(issuerId);
  const thisUpdate = Math.floor(clock.now() / 1000) * 1000; // CRL times carry whole seconds
  const nextUpdate = thisUpdate + CRL_VALIDITY_MS;

  const writers = new Map(scopes(deps).map((p) => [p, new RevokedListWriter()]));
  const full = writers.get(FULL_CRL)!;
  let stray = 0;
  for (let afterId = 0; ;) {
    const page = await store.repos.crls.revokedPage(issuerId, thisUpdate - CRL_KEEP_AFTER_EXPIRY_MS, afterId, PAGE);
    for (const c of page) {
      const entry: RevokedEntry = { serialHex: c.serial, revokedAt: Number(c.revoked_at), reason: c.revocation_reason };
      full.add(entry);
      if (c.crl_shard === null) continue;
      const partition = writers.get(c.crl_shard);
      if (partition) partition.add(entry);
      else stray++;
    }
    if (page.length < PAGE) break;
    afterId = page[page.length - 1]!.id;
  }
  if (stray > 0) {
    // --crl-partitions was lowered after these were issued: their partition is no longer published.
    logger.log('error', 'revoked certificates name a CRL partition beyond --crl-partitions', {
      issuer: issuerId,
      count: stray,
    });
  }

  const built = [...writers].map(([partition, writer]) => {
    const count = writer.count;
    const der = signCrl(
      {
        issuer: ca.leaf.issuer,
        thisUpdate,
        nextUpdate,
        crlNumber,
        ...(partition === FULL_CRL ? {} : { partitionUrl: ca.leafForPartition(partition).crlUrl }),
      },
      writer,
    );
    return { partition, der, count };
  });

  const now = clock.now();
  const outcome = await store.writeTransaction(async (repos) => {
    // Locked first, as the revocation's sink does: a revocation commits wholly before or after this.
    const current = await repos.crls.lockRevision(issuerId);
    let stored = 0;
    for (const b of built) {
      const saved = await repos.crls.save({
        issuer_id: issuerId,
        partition: b.partition,
        crl_number: crlNumber,
        this_update: thisUpdate,
        next_update: nextUpdate,
        der: b.der,
      });
      if (saved) stored++;
    }
    // The worker deletes a finished job by its id; replacing the row (new id) keeps the next run.
    // A revocation that arrived while this ran (current > revision) is published soon.
    const again = current > revision ? now + CRL_REVOCATION_DELAY_MS : thisUpdate + CRL_REFRESH_MS;
    await repos.jobs.cancel(JOB_CRL, issuerId);
    await repos.jobs.enqueue(JOB_CRL, issuerId, again, now);
    return { stored, again };
  });
  logger.log('info', 'CRL published', {
    issuer: issuerId,
    crlNumber,
    entries: full.count,
    partitions: built.length - 1,
    // Fewer than built: a concurrent run (another process) stored a higher number first.
    stored: outcome.stored,
    nextRun: new Date(outcome.again).toISOString(),
  });
  return { kind: 'done' };
}

/**
 * On a revocation, in its transaction: counts it and schedules the issuer's CRL job at
 * now + delayMs (an earlier scheduled run stays: jobs.enqueue only pulls a job earlier).
 */
export function crlEventSink(delayMs: number): EventSink {
  return async (repos, event, now) => {
    if (event.kind === 'revoked_batch') {
      // One bump and one job per issuer for the whole batch.
      const perIssuer = new Map<number, number>();
      for (const c of event.certificates) perIssuer.set(c.issuerId, (perIssuer.get(c.issuerId) ?? 0) + 1);
      for (const [issuerId, count] of perIssuer) {
        await repos.crls.bumpRevision(issuerId, count);
        await repos.jobs.enqueue(JOB_CRL, issuerId, now + delayMs, now);
      }
      return;
    }
    if (event.kind !== 'revoked') return;
    const issuerId = await repos.crls.issuerOfCertificate(event.certificateId);
    if (issuerId === null) return; // an uploaded certificate: another CA's to list
    await repos.crls.bumpRevision(issuerId);
    await repos.jobs.enqueue(JOB_CRL, issuerId, now + delayMs, now);
  };
}

/**
 * At worker start: publishes now when a scope has no CRL yet (first start, or more partitions
 * configured), else makes sure a refresh is scheduled (it normally is, by the last run).
 */
export async function ensureCrlScheduled(deps: CrlDeps): Promise<void> {
  const { store, clock, ca } = deps;
  const stored = new Map((await store.repos.crls.headers(ca.id)).map((h) => [h.partition, h]));
  const now = clock.now();
  let runAt = now;
  const wanted = scopes(deps);
  if (wanted.every((p) => stored.has(p)))
    runAt = Math.min(...wanted.map((p) => stored.get(p)!.this_update + CRL_REFRESH_MS));
  await store.repos.jobs.enqueue(JOB_CRL, ca.id, runAt, now);
}
