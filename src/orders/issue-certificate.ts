// Issuance in two phases (principle 4; issue 3, Issuance):
//   1. prepare the to-be-signed certificate, lint it, and record it with its serial as an
//      intent, in one transaction with the order's state check;
//   2. sign the recorded TBS once, and store the certificate while moving the order on.
// A crash between the two leaves the intent; the next attempt signs that same TBS. The
// certificates table allows one row per order, so an order never gets two certificates,
// and nothing is signed that the database does not already know.
import { createHash, X509Certificate } from 'node:crypto';
import { lintLeafTbs, prepareLeafTbs, signLeaf, type LeafRequest } from '../ca/leaf-profile.js';
import { generateSerial } from '../ca/serial.js';
import { computeLeafValidity } from '../policy/validity.js';
import { getProduct } from '../policy/products.js';
import { checkCaa } from '../validation/index.js';
import type { CertificateRow, OrderRow } from '../store/schema.js';
import type { OrderDeps } from './deps.js';
import { failOrder, type AttemptOutcome } from './run-validation.js';
import type { CompanySnapshot } from './submit-application.js';

/** BR §3.2.2.8: CAA is rechecked when more than 8 hours passed since it was last checked. */
export const CAA_RECHECK_MS = 8 * 3_600_000;

function leafRequestFor(
  order: OrderRow,
  serial: Buffer,
  signingAt: number,
  issuer: { notBefore: number; notAfter: number },
): LeafRequest {
  const product = getProduct(order.product_code);
  const validity = computeLeafValidity(product, signingAt);
  // Never outside the issuing CA's own validity (RFC 5280 §6.1.3 path validation checks
  // each certificate's dates; a CA created within the backdating hour would otherwise be younger).
  const notBefore = Math.max(validity.notBefore, issuer.notBefore);
  const notAfter = Math.min(validity.notAfter, issuer.notAfter);
  const names = order.domains.split(',');
  const ov = product.validation !== 'DV';
  const company = order.company ? (JSON.parse(order.company) as CompanySnapshot) : undefined;
  return {
    serial,
    notBefore,
    notAfter,
    spki: Buffer.from(order.spki, 'base64'),
    dnsNames: names,
    policy: ov ? 'ov' : 'dv',
    keyType: order.key_algorithm.startsWith('rsa') ? 'rsa' : 'ec',
    subject:
      ov && company
        ? {
            commonName: names[0],
            organization: company.name,
            country: company.country,
            province: company.province || undefined,
            locality: company.city || undefined,
          }
        : { commonName: names[0] },
  };
}

/** SHA-1 and SHA-256 fingerprints, as CAS lists them (Fingerprint, Sha2). */
export function certificateHashes(der: Buffer): { sha1: string; sha256: string } {
  return {
    sha1: createHash('sha1').update(der).digest('hex').toUpperCase(),
    sha256: createHash('sha256').update(der).digest('hex').toUpperCase(),
  };
}

/** Fingerprints and validity of a certificate DER from elsewhere (uploads), for listing without parsing it again. */
export function certificateFacts(der: Buffer): { sha1: string; sha256: string; notBefore: number; notAfter: number } {
  const x = new X509Certificate(der);
  return { ...certificateHashes(der), notBefore: Date.parse(x.validFrom), notAfter: Date.parse(x.validTo) };
}

async function recordIntent(
  deps: OrderDeps,
  orderId: number,
): Promise<CertificateRow | 'stale' | { caaRefused: string }> {
  const now = deps.clock.now();
  const order = await deps.store.repos.orders.getById(orderId);
  if (!order || order.state !== 'process' || order.approved_at === null) return 'stale';
  // Recheck CAA outside the transaction (it does network I/O) when the last check is old.
  if (order.caa_checked_at === null || now - order.caa_checked_at > CAA_RECHECK_MS) {
    for (const name of order.domains.split(',')) {
      const caa = await checkCaa(
        { resolver: deps.validation.resolver },
        { name, issuerDomain: deps.validation.caaIdentity },
      );
      if (!caa.ok) return { caaRefused: caa.reason };
    }
    await deps.store.repos.orders.update(orderId, { caa_checked_at: now });
  }
  return deps.store.writeTransaction(async (repos) => {
    const locked = await repos.orders.getForUpdate(orderId);
    if (!locked || locked.state !== 'process' || locked.approved_at === null) return 'stale' as const;
    const existing = await repos.certificates.forOrder(orderId);
    if (existing) return existing;
    const req = leafRequestFor(locked, generateSerial(deps.random), now, deps.ca.leaf.issuer);
    // Partitioned CRLs: the serial's last byte picks the partition the certificate names (issue 4).
    const shard = deps.ca.crlPartitions > 1 ? req.serial[req.serial.length - 1]! % deps.ca.crlPartitions : null;
    const profile = shard === null ? deps.ca.leaf : deps.ca.leafForPartition(shard);
    const tbs = prepareLeafTbs(profile, req);
    // BR §8 / SC-075: lint before anything is recorded or signed.
    lintLeafTbs(tbs, profile);
    const names = req.dnsNames;
    const company = locked.company ? (JSON.parse(locked.company) as CompanySnapshot) : undefined;
    return repos.certificates.insert({
      account_id: locked.account_id,
      order_id: locked.id,
      source: 'issued',
      name: `cert-${locked.id}`,
      serial: req.serial.toString('hex').toUpperCase(),
      issuer_id: deps.ca.id,
      state: 'intent',
      tbs_der: tbs.toString('base64'),
      cert_der: null,
      chain_pem: null,
      key_sealed: null,
      common_name: names[0]!,
      sans: names.join(','),
      issuer_cn: issuerCommonName(deps),
      not_before: req.notBefore,
      not_after: req.notAfter,
      sha1: '',
      sha256: '',
      org_name: company?.name ?? '',
      country: company?.country ?? '',
      province: company?.province ?? '',
      city: company?.city ?? '',
      revoked_at: null,
      revocation_reason: null,
      deleted_at: null,
      created_at: now,
      crl_shard: shard,
    });
  });
}

let issuerCnCache: { der: Buffer; cn: string } | undefined;
function issuerCommonName(deps: OrderDeps): string {
  const der = deps.ca.leaf.issuer.certDer;
  if (issuerCnCache?.der !== der) {
    const subject = new X509Certificate(der).subject;
    issuerCnCache = { der, cn: /CN=([^\n]+)/.exec(subject)?.[1] ?? subject };
  }
  return issuerCnCache.cn;
}

export async function runIssuance(deps: OrderDeps, orderId: number): Promise<AttemptOutcome> {
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
      if (await repos.orders.transition(orderId, ['process'], { state: 'certificate', updated_at: now })) {
        await deps.events(
          repos,
          {
            kind: 'issued',
            accountId: intent.account_id,
            orderId,
            certificateId: intent.id,
            notAfter: intent.not_after,
          },
          now,
        );
      }
    });
    return { kind: 'done' };
  }
  deps.afterIntentRecorded?.(orderId);
  const der = signLeaf(
    intent.crl_shard === null ? deps.ca.leaf : deps.ca.leafForPartition(intent.crl_shard),
    Buffer.from(intent.tbs_der!, 'base64'),
  );
  // The validity is the one just encoded (recorded with the intent); only the hashes are new.
  const facts = { ...certificateHashes(der), notBefore: intent.not_before, notAfter: intent.not_after };
  const now = deps.clock.now();
  await deps.store.writeTransaction(async (repos) => {
    await repos.certificates.markIssued(intent.id, der.toString('base64'), {
      sha1: facts.sha1,
      sha256: facts.sha256,
      not_before: facts.notBefore,
      not_after: facts.notAfter,
    });
    if (
      await repos.orders.transition(orderId, ['process'], { state: 'certificate', fail_reason: null, updated_at: now })
    ) {
      await deps.events(
        repos,
        { kind: 'issued', accountId: intent.account_id, orderId, certificateId: intent.id, notAfter: facts.notAfter },
        now,
      );
    }
  });
  deps.logger.log('info', 'certificate issued', { orderId, serial: intent.serial });
  return { kind: 'done' };
}
