import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { buildCsr } from './csr-builder.js';
import { parseCsr } from './csr.js';
import { generateKeyPair, type KeyAlgorithm } from './signer.js';
import { toPem } from '../crypto/pem.js';
import { CertError } from '../domain/errors.js';

const SUBJECT: Array<[string, string]> = [
  ['2.5.4.6', 'CN'],
  ['2.5.4.8', '浙江'],
  ['2.5.4.7', 'Hangzhou'],
  ['2.5.4.10', 'Example & Co.'],
  ['2.5.4.11', 'IT'],
  ['2.5.4.3', 'www.example.com'],
];

/**
 * `openssl req -noout -verify -subject` on the PEM (stdin). openssl exits non-zero when the
 * self-signature does not verify (execFileSync then throws); stderr says "verify OK".
 */
function opensslVerify(der: Buffer): { verified: string; subject: string } {
  const r = spawnSync('openssl', ['req', '-noout', '-verify', '-subject', '-nameopt', 'RFC2253,-esc_msb'], {
    input: toPem('CERTIFICATE REQUEST', der),
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  return { verified: r.stderr + r.stdout, subject: r.stdout };
}

describe('buildCsr', () => {
  const cases: Array<{ alg: KeyAlgorithm; dnsNames: string[]; sigAlg: string; keyType: 'rsa' | 'ec' }> = [
    {
      alg: 'rsa-2048',
      dnsNames: ['www.example.com', 'example.com'],
      sigAlg: 'sha256WithRSAEncryption',
      keyType: 'rsa',
    },
    {
      alg: 'ecdsa-p256',
      dnsNames: ['www.example.com', '*.example.org', 'xn--fiqs8s.example'],
      sigAlg: 'ecdsa-with-SHA256',
      keyType: 'ec',
    },
    { alg: 'ecdsa-p384', dnsNames: [], sigAlg: 'ecdsa-with-SHA256', keyType: 'ec' },
  ];
  for (const c of cases) {
    test(`${c.alg}, ${c.dnsNames.length} SANs: parseCsr and openssl accept it, names and key survive`, async () => {
      const key = await generateKeyPair(c.alg);
      const der = buildCsr({ privateKey: key, subject: SUBJECT, dnsNames: c.dnsNames });

      const parsed = await parseCsr(der);
      assert.equal(parsed.signatureAlgorithm, c.sigAlg);
      assert.equal(parsed.key.type, c.keyType);
      assert.deepEqual(parsed.spki, createPublicKey(key).export({ type: 'spki', format: 'der' }));
      assert.equal(parsed.commonName, 'www.example.com');
      assert.deepEqual(parsed.dnsNames, c.dnsNames);
      assert.deepEqual(
        parsed.subject.map((a) => [a.oid, a.value]),
        SUBJECT,
      );
      // The PEM form parses to the same request.
      assert.deepEqual((await parseCsr(toPem('CERTIFICATE REQUEST', der))).der, der);

      const ossl = opensslVerify(der);
      assert.match(ossl.verified, /verify OK/);
      assert.equal(ossl.subject.trim(), 'subject=CN=www.example.com,OU=IT,O=Example & Co.,L=Hangzhou,ST=浙江,C=CN');
    });
  }

  test('without SANs the attributes field is present and empty (RFC 2986 §4.1)', async () => {
    const key = await generateKeyPair('ecdsa-p256');
    const der = buildCsr({ privateKey: key, subject: [['2.5.4.3', 'a.example.com']], dnsNames: [] });
    assert.deepEqual((await parseCsr(der)).dnsNames, []);
    // The certificationRequestInfo ends with the empty [0] IMPLICIT SET (a0 00), right before
    // the ecdsa-with-SHA256 AlgorithmIdentifier.
    const sigAlg = der.indexOf(Buffer.from('300a06082a8648ce3d040302', 'hex'));
    assert.deepEqual(der.subarray(sigAlg - 2, sigAlg), Buffer.from([0xa0, 0x00]));
  });

  test('a tampered request no longer verifies', async () => {
    const key = await generateKeyPair('ecdsa-p256');
    const der = Buffer.from(
      buildCsr({ privateKey: key, subject: [['2.5.4.3', 'a.example.com']], dnsNames: ['a.example.com'] }),
    );
    const at = der.indexOf(Buffer.from('a.example.com', 'latin1'));
    der[at] = 'b'.charCodeAt(0);
    await assert.rejects(
      async () => parseCsr(der),
      (e: unknown) => e instanceof CertError && e.kind === 'bad_csr',
    );
  });

  test('RSA PKCS#1 v1.5 is deterministic: the same inputs give the same DER', async () => {
    const key = await generateKeyPair('rsa-2048');
    const a = buildCsr({ privateKey: key, subject: SUBJECT, dnsNames: ['x.example.com'] });
    const b = buildCsr({ privateKey: key, subject: SUBJECT, dnsNames: ['x.example.com'] });
    assert.equal(createHash('sha256').update(a).digest('hex'), createHash('sha256').update(b).digest('hex'));
  });

  const refused: Array<[string, () => Parameters<typeof buildCsr>[0]['privateKey']]> = [
    ['an Ed25519 key', () => generateKeyPairSync('ed25519').privateKey],
    ['a public key', () => generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey],
  ];
  for (const [what, make] of refused) {
    test(`refuses ${what} with bad_key`, async () => {
      assert.throws(
        () => buildCsr({ privateKey: make(), subject: [['2.5.4.3', 'a.example.com']], dnsNames: [] }),
        (e: unknown) => e instanceof CertError && e.kind === 'bad_key',
      );
    });
  }
});
