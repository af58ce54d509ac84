// One certificate, the way certdesk issues it, for the issuance benchmark (bench/issuance.ts):
// CSR parsed and its self-signature verified (src/ca/csr.ts), key checked
// (src/policy/key-rules.ts), TBS prepared and linted, signed (src/ca/leaf-profile.ts), and
// turned into the certificates row runIssuance leaves behind once a certificate is issued
// (src/orders/issue-certificate.ts: the intent's fields plus cert_der, hashes and validity).
// Shared by the single-threaded run and the worker threads so both measure the same work.

import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import type { Insertable } from 'kysely';
import { buildCsr } from '../src/ca/csr-builder.js';
import { parseCsr } from '../src/ca/csr.js';
import { loadIssuer } from '../src/ca/hierarchy.js';
import { lintLeafTbs, prepareLeafTbs, signLeaf, type LeafIssuer, type LeafRequest } from '../src/ca/leaf-profile.js';
import { generateSerial } from '../src/ca/serial.js';
import { OID } from '../src/ca/x509.js';
import { toPem } from '../src/crypto/pem.js';
import { pooledRandom } from '../src/crypto/random-pool.js';
import type { RandomSource } from '../src/domain/ports.js';
import { checkSubscriberKey } from '../src/policy/key-rules.js';
import { getProduct, type Product } from '../src/policy/products.js';
import { computeLeafValidity } from '../src/policy/validity.js';
import type { CertificatesTable } from '../src/store/schema.js';
import { certificateHashes } from '../src/domain/certificate.js';

export type NewCertificateRow = Insertable<CertificatesTable>;

/** What a thread needs to issue: plain data, so it can cross to a worker (workerData). */
export interface IssuanceSetup {
  issuerCertDer: Uint8Array;
  issuerKeyPkcs8Der: Uint8Array;
  caIssuersUrl: string;
  crlUrl: string;
  issuerId: number;
  accountId: number;
  productCode: string;
  /** PEM CSRs, issued from in turn. */
  csrPems: string[];
}

export interface Issuing {
  setup: IssuanceSetup;
  leaf: LeafIssuer;
  product: Product;
  issuerCn: string;
  random: RandomSource;
  next: number;
}

/** Per-stage time, in milliseconds, summed over the certificates issued while it is passed. */
export interface StageTimes {
  csr: number;
  keyCheck: number;
  prepareLint: number;
  sign: number;
  row: number;
}

export function emptyStageTimes(): StageTimes {
  return { csr: 0, keyCheck: 0, prepareLint: 0, sign: 0, row: 0 };
}

export function openIssuing(setup: IssuanceSetup): Issuing {
  const issuer = loadIssuer(Buffer.from(setup.issuerCertDer), Buffer.from(setup.issuerKeyPkcs8Der));
  const subject = new X509Certificate(issuer.certDer).subject;
  return {
    setup,
    leaf: { issuer, caIssuersUrl: setup.caIssuersUrl, crlUrl: setup.crlUrl },
    product: getProduct(setup.productCode),
    // As app/orders-wiring.ts's commonNameOf().
    issuerCn: /CN=([^\n]+)/.exec(subject)?.[1] ?? subject,
    // As app/context.ts's systemRandom.
    random: pooledRandom(),
    next: 0,
  };
}

/** A pool of distinct P-256 CSRs (one fresh key and name each), made before anything is timed. */
export function makeCsrPool(size: number, label: string): string[] {
  const pems: string[] = [];
  for (let i = 0; i < size; i++) {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const name = `www.${label}-${i}.com`;
    pems.push(
      toPem('CERTIFICATE REQUEST', buildCsr({ privateKey, subject: [[OID.commonName, name]], dnsNames: [name] })),
    );
  }
  return pems;
}

/**
 * Issues one certificate from the next CSR of the pool and returns its row, ready to insert.
 * `times`, when given, receives the time of each stage (performance.now() around each).
 */
export async function issueOne(s: Issuing, now: number, times?: StageTimes): Promise<NewCertificateRow> {
  const pem = s.setup.csrPems[s.next % s.setup.csrPems.length]!;
  s.next += 1;
  const t0 = times ? performance.now() : 0;
  const csr = await parseCsr(pem);
  const t1 = times ? performance.now() : 0;
  checkSubscriberKey(csr.key);
  const t2 = times ? performance.now() : 0;

  // As leafRequestFor() in src/orders/issue-certificate.ts, for a DV product.
  const validity = computeLeafValidity(s.product, now);
  const issuer = s.leaf.issuer;
  const names = csr.dnsNames;
  const req: LeafRequest = {
    serial: generateSerial(s.random),
    notBefore: Math.max(validity.notBefore, issuer.notBefore),
    notAfter: Math.min(validity.notAfter, issuer.notAfter),
    spki: csr.spki,
    dnsNames: names,
    policy: 'dv',
    keyType: csr.key.type === 'rsa' ? 'rsa' : 'ec',
    subject: { commonName: names[0] },
  };
  const tbs = prepareLeafTbs(s.leaf, req);
  lintLeafTbs(tbs, s.leaf);
  const t3 = times ? performance.now() : 0;
  const der = signLeaf(s.leaf, tbs);
  const t4 = times ? performance.now() : 0;

  // The row's facts as runIssuance computes them: the fingerprints, and the validity just encoded.
  const facts = { ...certificateHashes(der), notBefore: req.notBefore, notAfter: req.notAfter };
  const serial = req.serial.toString('hex').toUpperCase();
  const row: NewCertificateRow = {
    account_id: s.setup.accountId,
    order_id: null,
    source: 'issued',
    name: `cert-${serial.slice(0, 12)}`,
    serial,
    issuer_id: s.setup.issuerId,
    state: 'issued',
    tbs_der: tbs.toString('base64'),
    cert_der: der.toString('base64'),
    chain_pem: null,
    key_sealed: null,
    common_name: names[0]!,
    sans: names.join(','),
    issuer_cn: s.issuerCn,
    not_before: facts.notBefore,
    not_after: facts.notAfter,
    sha1: facts.sha1,
    sha256: facts.sha256,
    org_name: '',
    country: '',
    province: '',
    city: '',
    revoked_at: null,
    revocation_reason: null,
    deleted_at: null,
    created_at: now,
    // One full CRL (certdesk's default, --crl-partitions 1): no partition.
    crl_shard: null,
  };
  if (times) {
    const t5 = performance.now();
    times.csr += t1 - t0;
    times.keyCheck += t2 - t1;
    times.prepareLint += t3 - t2;
    times.sign += t4 - t3;
    times.row += t5 - t4;
  }
  return row;
}
