// Issuance in two phases:
//   1. prepare the to-be-signed certificate, lint it, and record it with its serial as an
//      intent, in one transaction with the order's state check;
//   2. sign the recorded TBS once, and store the certificate while moving the order on.
// A DV order validated by the worker has phase 1 done in the transaction that approves it
// (run-validation.ts), and phase 2 run right after by the same turn.
// A crash between the two leaves the intent; the next attempt signs that same TBS. The
// certificates table allows one row per order, so an order never gets two certificates,
// and nothing is signed that the database does not already know.
import { isIP } from 'node:net';
import { lintLeafTbs, prepareLeafTbs, signLeaf, type LeafRequest } from '../ca/leaf-profile.js';
import { generateSerial } from '../ca/serial.js';
import { certificateHashes, subjectCommonName, type Certificate } from '../domain/certificate.js';
import type { Order } from '../domain/order.js';
import type { NewCertificate } from '../store/mappers.js';
import { computeLeafValidity } from '../policy/validity.js';
import { getProduct } from '../policy/products.js';
import { checkCaa } from '../validation/index.js';
import type { AttemptOutcome, JobTurn } from '../worker/job-protocol.js';
import type { UseCaseDeps } from './deps.js';
import type { EventRepoReads, EventRepoWrites, OrderEvent } from './events.js';
import { failOrder } from './fail-order.js';

/** BR 3.2.2.8 v2.2.6: CAA is rechecked when more than 8 hours passed since it was last checked. */
export const CAA_RECHECK_MS = 8 * 3_600_000;

export type IssuanceDeps = UseCaseDeps<
  'clock' | 'random' | 'logger' | 'events' | 'ca' | 'validation' | 'afterIntentRecorded',
  'orders' | 'certificates' | EventRepoWrites,
  EventRepoReads
>;

export function leafRequestFor(
  order: Order,
  serial: Buffer,
  signingAt: number,
  issuer: { notBefore: number; notAfter: number },
): LeafRequest {
  const product = getProduct(order.productCode);
  const validity = computeLeafValidity(product, signingAt, order.validityHours);
  // Never outside the issuing CA's own validity (RFC 5280 §6.1.3 path validation checks
  // each certificate's dates; a CA created within the backdating hour would otherwise be younger).
  const notBefore = Math.max(validity.notBefore, issuer.notBefore);
  const notAfter = Math.min(validity.notAfter, issuer.notAfter);
  const ov = product.validation !== 'DV';
  // RFC 8738 §3: an IP identifier goes in an iPAddress SAN, never a dNSName; the commonName is
  // the first DNS name ('' leaves it out: a name over 64 characters, or IP addresses only).
  const dnsNames = order.names.filter((n) => isIP(n) === 0);
  const ipAddresses = order.names.filter((n) => isIP(n) !== 0);
  const commonName = subjectCommonName(dnsNames);
  const company = order.company;
  return {
    serial,
    notBefore,
    notAfter,
    spki: Buffer.from(order.spki, 'base64'),
    dnsNames,
    ...(ipAddresses.length > 0 ? { ipAddresses } : {}),
    policy: ov ? 'ov' : 'dv',
    keyType: order.keyAlgorithm.startsWith('rsa') ? 'rsa' : 'ec',
    subject:
      ov && company
        ? {
            commonName,
            organization: company.name,
            country: company.country,
            province: company.province || undefined,
            locality: company.city || undefined,
          }
        : { commonName },
  };
}

/**
 * Phase 1 without its writes: a new serial, the TBS built and linted (BR 4.3.1.2 v2.2.6:
 * pre-issuance linting, before anything is recorded or signed), as the certificate row the
 * intent is. Throws what the lint refuses.
 */
export function prepareIntent(deps: Pick<IssuanceDeps, 'random' | 'ca'>, order: Order, now: number): NewCertificate {
  const req = leafRequestFor(order, generateSerial(deps.random), now, deps.ca.leaf.issuer);
  // Partitioned CRLs: the serial's last byte picks the partition the certificate names.
  const shard = deps.ca.crlPartitions > 1 ? req.serial[req.serial.length - 1]! % deps.ca.crlPartitions : null;
  const profile = shard === null ? deps.ca.leaf : deps.ca.leafForPartition(shard);
  const tbs = prepareLeafTbs(profile, req);
  lintLeafTbs(tbs, profile);
  const company = order.company;
  return {
    accountId: order.accountId,
    orderId: order.id,
    source: 'issued',
    name: `cert-${order.id}`,
    serial: req.serial.toString('hex').toUpperCase(),
    issuerId: deps.ca.id,
    state: 'intent',
    tbsDer: tbs.toString('base64'),
    certDer: null,
    chainPem: null,
    keySealed: null,
    commonName: req.subject?.commonName ?? '',
    sans: [...req.dnsNames, ...(req.ipAddresses ?? [])],
    issuerCn: deps.ca.commonName,
    notBefore: req.notBefore,
    notAfter: req.notAfter,
    sha1: '',
    sha256: '',
    orgName: company?.name ?? '',
    country: company?.country ?? '',
    province: company?.province ?? '',
    city: company?.city ?? '',
    revokedAt: null,
    revocationReason: null,
    deletedAt: null,
    createdAt: now,
    crlShard: shard,
  };
}

async function recordIntent(
  deps: IssuanceDeps,
  orderId: number,
): Promise<Certificate | 'stale' | { caaRefused: string }> {
  const now = deps.clock.now();
  const first = await intentTransaction(deps, orderId, now, false);
  if (typeof first !== 'object' || !('caaStale' in first)) return first;
  // Recheck CAA outside the transaction (it does network I/O) when the last check is old,
  // then record the intent: the usual order (validated a moment ago) needs one transaction.
  for (const name of first.caaStale.names) {
    const caa = await checkCaa(
      { resolver: deps.validation.resolver },
      { name, issuerDomain: deps.validation.caaIdentity },
    );
    if (!caa.ok) return { caaRefused: caa.reason };
  }
  await deps.store.repos.orders.update(orderId, { caaCheckedAt: now });
  const second = await intentTransaction(deps, orderId, now, true);
  if (typeof second === 'object' && 'caaStale' in second) throw new Error('CAA recheck not recorded');
  return second;
}

async function intentTransaction(
  deps: IssuanceDeps,
  orderId: number,
  now: number,
  caaJustChecked: boolean,
): Promise<Certificate | 'stale' | { caaStale: Order }> {
  return deps.store.writeTransaction(async (repos) => {
    const locked = await repos.orders.getForUpdate(orderId);
    if (!locked || locked.state !== 'process' || locked.approvedAt === null) return 'stale' as const;
    if (!caaJustChecked && (locked.caaCheckedAt === null || now - locked.caaCheckedAt > CAA_RECHECK_MS))
      return { caaStale: locked };
    const existing = await repos.certificates.forOrder(orderId);
    if (existing) return existing;
    return repos.certificates.insert(prepareIntent(deps, locked, now));
  });
}

/**
 * The `issue` job: phase 1 if it has not happened, then phase 2. `turn` (the worker's): the
 * job is completed in the transaction that stores the certificate and moves the order on.
 */
export async function runIssuance(deps: IssuanceDeps, orderId: number, turn?: JobTurn): Promise<AttemptOutcome> {
  const intent = await recordIntent(deps, orderId);
  if (intent === 'stale') return { kind: 'done' };
  if ('caaRefused' in intent) {
    const order = await deps.store.repos.orders.getById(orderId);
    if (order) await failOrder(deps, order, intent.caaRefused, ['process']);
    return { kind: 'done' };
  }
  if (intent.state === 'issued') {
    // Signed and stored by an earlier attempt that died before moving the order on.
    const now = deps.clock.now();
    await deps.store.writeTransaction(async (repos) => {
      if (await repos.orders.moveOrder(orderId, { to: 'certificate' }, { updatedAt: now }))
        await deps.events(repos, issuedEvent(intent, orderId), now);
      if (turn) await repos.jobs.complete(turn.jobId, turn.owner);
    });
    return doneWith(turn);
  }
  deps.afterIntentRecorded?.(orderId);
  return signRecordedIntent(deps, orderId, intent, turn);
}

/**
 * Phase 2: signs the recorded intent's TBS once, stores the certificate and moves the order
 * on, with the job of `turn` completed in that transaction. Also run by run-validation.ts
 * for an intent it recorded in the transaction that approved the order.
 */
export async function signRecordedIntent(
  deps: IssuanceDeps,
  orderId: number,
  intent: Certificate,
  turn: JobTurn | undefined,
): Promise<AttemptOutcome> {
  const der = signLeaf(
    intent.crlShard === null ? deps.ca.leaf : deps.ca.leafForPartition(intent.crlShard),
    Buffer.from(intent.tbsDer!, 'base64'),
  );
  // The validity is the one just encoded (recorded with the intent); only the hashes are new.
  const facts = { ...certificateHashes(der), notBefore: intent.notBefore, notAfter: intent.notAfter };
  const now = deps.clock.now();
  await deps.store.writeTransaction(async (repos) => {
    await repos.certificates.markIssued(intent.id, der.toString('base64'), facts);
    if (await repos.orders.moveOrder(orderId, { to: 'certificate' }, { failReason: null, updatedAt: now }))
      await deps.events(repos, issuedEvent(intent, orderId), now);
    if (turn) await repos.jobs.complete(turn.jobId, turn.owner);
  });
  deps.logger.log('info', 'certificate issued', { orderId, serial: intent.serial });
  return doneWith(turn);
}

/** The event of an issuance, with the facts its sinks record (recorded with the intent, unchanged by signing). */
function issuedEvent(intent: Certificate, orderId: number): OrderEvent {
  return {
    kind: 'issued',
    accountId: intent.accountId,
    orderId,
    certificateId: intent.id,
    serial: intent.serial,
    sans: intent.sans,
    notAfter: intent.notAfter,
  };
}

function doneWith(turn: JobTurn | undefined): AttemptOutcome {
  return turn ? { kind: 'done', completed: true } : { kind: 'done' };
}
