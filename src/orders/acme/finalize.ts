// ACME finalize (RFC 8555 §7.4): a ready order gets its CSR, turns processing and is issued by
// the same two-phase issuance as a CAS order (issue-certificate.ts). The issue job is enqueued
// in the transaction of the move, then run at once in this request, so a client usually reads
// the order valid in the finalize answer; if this process dies, the worker finishes the job.
import { createPublicKey } from 'node:crypto';
import { isIP } from 'node:net';
import { CertError } from '../../domain/errors.js';
import type { AcmeAccount } from '../../domain/acme.js';
import { parseCsr } from '../../ca/csr.js';
import { checkSubscriberKey, keyAlgorithmName } from '../../policy/key-rules.js';
import { normalizeDomainName } from '../../policy/names.js';
import type { AcmeOrderRecord } from '../../store/repos/acme.js';
import { runIssuance } from '../issue-certificate.js';
import { isIpIdentifier, normalizeIpIdentifier } from '../../validation/index.js';
import { JOB_ISSUE } from '../job-kinds.js';
import { acmeError, type AcmeDeps } from './deps.js';
import { ownAcmeOrder } from './orders.js';

function badCsr(message: string): CertError {
  return acmeError('bad_csr', 'badCSR', message);
}

/** A CSR's CN as a name: an address in its RFC 5952 form (ca/csr.ts writes SANs so), else a DNS name. */
function commonNameOf(cn: string): string {
  return isIpIdentifier(cn) ? (normalizeIpIdentifier(cn) ?? cn) : normalizeDomainName(cn);
}

/**
 * Whether `spki` can hold the account's key: the SPKI of a key contains its EC x coordinate
 * (SEC 1 §2.3.3, in the subjectPublicKey point) or RSA modulus (RFC 8017 §A.1.1, a DER
 * INTEGER), each in big-endian octets. A CSR key without those octets (leading zeros
 * dropped, as a shorter JWK or the INTEGER may drop them) is another key; only one that has
 * them is compared whole, which imports the JWK (about 80 µs, once per finalize otherwise).
 */
function mayBeAccountKey(account: AcmeAccount, spki: Buffer): boolean {
  const member = account.jwk.kty === 'EC' ? account.jwk.x : account.jwk.n;
  if (typeof member !== 'string') return true;
  const octets = Buffer.from(member, 'base64url');
  let i = 0;
  while (i < octets.length && octets[i] === 0) i++;
  return spki.includes(octets.subarray(i));
}

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && [...a].sort().join(',') === [...b].sort().join(',');
}

export async function finalizeAcmeOrder(
  deps: AcmeDeps,
  account: AcmeAccount,
  urlId: string,
  payload: { csr?: unknown },
): Promise<AcmeOrderRecord> {
  const rec = await ownAcmeOrder(deps, account, urlId);
  const now = deps.clock.now();
  // RFC 8555 §7.1.3: past `expires` the order is invalid, ready or not (the minutely sweep
  // deletes it later); Boulder's WFE also refuses an expired order before looking at its status.
  if (now > rec.link.expiresAt) throw acmeError('not_found', 'malformed', 'The order has expired.');
  if (rec.order.state !== 'ready' || rec.deleted)
    throw acmeError('illegal_state', 'orderNotReady', `The order is not ready to be finalized.`);
  if (typeof payload.csr !== 'string' || !/^[A-Za-z0-9_-]+$/.test(payload.csr))
    throw acmeError('invalid_parameter', 'malformed', 'csr must be base64url DER.');
  let csr;
  try {
    csr = await parseCsr(Buffer.from(payload.csr, 'base64url'));
    checkSubscriberKey(csr.key);
  } catch (e) {
    if (e instanceof CertError) throw badCsr(e.message);
    throw e;
  }
  // §11.1: the certificate key must not be the account key.
  if (mayBeAccountKey(account, csr.spki)) {
    const accountSpki = createPublicKey({ key: account.jwk, format: 'jwk' }).export({ format: 'der', type: 'spki' });
    if (accountSpki.equals(csr.spki)) throw badCsr('The CSR key is the account key; use a separate key.');
  }
  if (csr.otherSanTypes.length > 0) throw badCsr('The CSR asks for names of other types than the order identifiers.');
  let sans: string[];
  let cn: string | undefined;
  try {
    // iPAddress SANs come in RFC 5952 text (ca/csr.ts), the form the order stores (RFC 8738 §3).
    sans = [...new Set([...csr.dnsNames.map(normalizeDomainName), ...csr.ipAddresses])];
    cn = csr.commonName ? commonNameOf(csr.commonName) : undefined;
  } catch (e) {
    if (e instanceof CertError) throw badCsr(e.message);
    throw e;
  }
  // A CN, if any, must repeat one of the order's DNS names (BR 7.1.4.3). An address is named
  // only in an iPAddress SAN: the leaf of an IP-only order has an empty subject (RFC 8738 §3
  // asks for the SAN; Let's Encrypt's IP certificates carry no CN either), so a CN holding an
  // address is refused rather than silently dropped.
  if (cn !== undefined && isIP(cn) !== 0)
    throw badCsr(`The CSR's common name ${cn} is an IP address; name addresses only as iPAddress SANs (send no CN).`);
  if (cn !== undefined && !sans.includes(cn)) sans.push(cn);
  if (!sameNames(sans, rec.order.names))
    throw badCsr(`The CSR names (${sans.join(', ').slice(0, 200)}) differ from the order's identifiers.`);
  // The issue job is written leased to this process (deps.challenges' owner) and run here at
  // once: the worker neither claims it nor runs it again to find it done. If this process
  // dies, the lease ends and a worker takes it over.
  const inline = deps.challenges;
  let leased: number | undefined;
  const moved = await deps.store.writeTransaction(async (tx) => {
    const ok = await tx.orders.moveOrder(
      rec.order.id,
      { to: 'process', from: ['ready'] },
      {
        spki: csr.spki.toString('base64'),
        keyAlgorithm: keyAlgorithmName(csr.key),
        csrDer: csr.der.toString('base64'),
        approvedAt: now,
        updatedAt: now,
      },
    );
    if (ok && inline) leased = await tx.jobs.enqueueLeased(JOB_ISSUE, rec.order.id, inline.owner, now, inline.leaseMs);
    else if (ok) await tx.jobs.enqueue(JOB_ISSUE, rec.order.id, now, now);
    return ok;
  });
  if (!moved) throw acmeError('illegal_state', 'orderNotReady', 'The order is not ready to be finalized.');
  try {
    const turn =
      inline && leased !== undefined ? { jobId: leased, owner: inline.owner, leaseMs: inline.leaseMs } : undefined;
    const outcome = await runIssuance(deps, rec.order.id, turn);
    if (turn && outcome.kind === 'retry') await inline!.handBack(turn.jobId, outcome.reason);
    else if (turn && outcome.kind === 'done' && !outcome.completed)
      await deps.store.repos.jobs.complete(turn.jobId, turn.owner);
  } catch (e) {
    // The job enqueued with the move retries it; the client polls the order meanwhile.
    deps.logger.log('warn', 'acme inline issuance failed; the worker retries', {
      orderId: rec.order.id,
      error: String(e),
    });
    if (inline && leased !== undefined) await inline.handBack(leased, 'internal error');
    else deps.wake();
  }
  // The order as issuance left it, with the authorizations read with it above: they were all
  // valid then (the order was ready, which the state machine allows only after every one is),
  // and validation no longer writes them; their expiry is judged against now as before. Only a
  // deactivation racing this request would show one poll later. Reading them again was one
  // more statement per finalize.
  const after = (await deps.store.repos.acme.orderByUrlId(urlId))!;
  return rec.authorizations ? { ...after, authorizations: rec.authorizations } : after;
}
