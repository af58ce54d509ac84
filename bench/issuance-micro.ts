// Micro-benchmark: subscriber certificates per second (prepare TBS + lint + sign) for one
// ECDSA P-256 issuer on one core. Run: node --import tsx bench/issuance-micro.ts [seconds]
// The reference points: a DER-template issuer over node:crypto ~4,200/s per core,
// @peculiar/x509 ~350/s.

import { createPublicKey, randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { createHierarchy, loadIssuer } from '../src/ca/hierarchy.js';
import { lintLeafTbs, prepareLeafTbs, signLeaf, type LeafIssuer, type LeafRequest } from '../src/ca/leaf-profile.js';
import { generateSerial } from '../src/ca/serial.js';
import { generateKeyPair } from '../src/ca/signer.js';

const seconds = Number(process.argv[2] ?? 3);
const random = { bytes: (n: number) => randomBytes(n) };
const now = Date.now();
const { issuing } = await createHierarchy({
  algorithm: 'ecdsa-p256',
  now,
  random,
  publicUrl: 'http://pki.certdesk.test',
});
const leafIssuer: LeafIssuer = {
  issuer: loadIssuer(issuing.certDer, issuing.privateKeyPkcs8Der),
  caIssuersUrl: 'http://pki.certdesk.test/ca/issuing.cer',
  crlUrl: 'http://pki.certdesk.test/crl/e1.crl',
};
const subscriberSpki = createPublicKey(await generateKeyPair('ecdsa-p256')).export({ type: 'spki', format: 'der' });

function request(i: number): LeafRequest {
  return {
    serial: generateSerial(random),
    notBefore: now,
    notAfter: now + 90 * 86_400_000,
    spki: subscriberSpki,
    dnsNames: [`host${i}.example.com`, 'example.com'],
    policy: 'dv',
    keyType: 'ec',
  };
}

function run(label: string, withLint: boolean): void {
  for (let i = 0; i < 500; i++) signLeaf(leafIssuer, prepareLeafTbs(leafIssuer, request(i))); // warm-up
  let n = 0;
  let prepareMs = 0;
  const start = performance.now();
  const deadline = start + seconds * 1000;
  while (performance.now() < deadline) {
    for (let k = 0; k < 100; k++, n++) {
      const t0 = performance.now();
      const tbs = prepareLeafTbs(leafIssuer, request(n));
      if (withLint) lintLeafTbs(tbs, leafIssuer);
      prepareMs += performance.now() - t0;
      signLeaf(leafIssuer, tbs);
    }
  }
  const elapsed = (performance.now() - start) / 1000;
  console.log(
    `${label}: ${Math.round(n / elapsed)} certificates/s (${n} in ${elapsed.toFixed(2)} s; ` +
      `prepare${withLint ? '+lint' : ''} ${((prepareMs * 1000) / n).toFixed(1)} µs/cert)`,
  );
}

run('prepare + sign        ', false);
run('prepare + lint + sign ', true);
