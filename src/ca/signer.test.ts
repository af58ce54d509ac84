import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync, verify } from 'node:crypto';
import { createKeySigner, generateKeyPair, parseKeyAlgorithm, type KeyAlgorithm } from './signer.js';
import { CertError } from '../domain/errors.js';

describe('parseKeyAlgorithm', () => {
  const cases: Array<[string, KeyAlgorithm]> = [
    ['ecdsa-p256', 'ecdsa-p256'],
    ['P256', 'ecdsa-p256'],
    ['ec', 'ecdsa-p256'],
    ['prime256v1', 'ecdsa-p256'],
    ['ECDSA_P384', 'ecdsa-p384'],
    ['p-384', 'ecdsa-p384'],
    ['secp384r1', 'ecdsa-p384'],
    ['rsa', 'rsa-2048'],
    ['rsa2048', 'rsa-2048'],
    ['RSA-3072', 'rsa-3072'],
    [' rsa_4096 ', 'rsa-4096'],
  ];
  for (const [input, want] of cases)
    test(`${JSON.stringify(input)} -> ${want}`, () => assert.equal(parseKeyAlgorithm(input), want));
  for (const bad of ['ed25519', 'rsa1024', 'p521', '', 'toString', 'constructor']) {
    test(`rejects ${JSON.stringify(bad)}`, () =>
      assert.throws(
        () => parseKeyAlgorithm(bad),
        (e: unknown) => e instanceof CertError && e.kind === 'invalid_parameter',
      ));
  }
});

describe('createKeySigner', () => {
  // RSA-4096 is exercised once, in hierarchy.test.ts (slow to generate).
  const cases: Array<[KeyAlgorithm, 'sha256' | 'sha384', string]> = [
    ['ecdsa-p256', 'sha256', '300a06082a8648ce3d040302'],
    ['ecdsa-p384', 'sha384', '300a06082a8648ce3d040303'],
    ['rsa-2048', 'sha256', '300d06092a864886f70d01010b0500'],
    ['rsa-3072', 'sha256', '300d06092a864886f70d01010b0500'],
  ];
  for (const [algorithm, hash, algId] of cases) {
    test(`${algorithm}: detects the key, names the algorithm, signs verifiably`, async () => {
      const key = await generateKeyPair(algorithm);
      const signer = createKeySigner(key);
      assert.equal(signer.algorithm, algorithm);
      assert.equal(signer.signatureAlgorithm.toString('hex'), algId);
      assert.deepEqual(signer.spki, createPublicKey(key).export({ type: 'spki', format: 'der' }));
      const data = Buffer.from('to be signed');
      const sig = signer.sign(data);
      const publicKey = createPublicKey({ key: signer.spki, format: 'der', type: 'spki' });
      assert.ok(verify(hash, data, { key: publicKey, dsaEncoding: 'der' }, sig));
      assert.ok(!verify(hash, Buffer.from('other'), { key: publicKey, dsaEncoding: 'der' }, sig));
      if (algorithm.startsWith('ecdsa')) assert.equal(sig[0], 0x30, 'ECDSA-Sig-Value is a DER SEQUENCE');
    });
  }

  const unsupported: Array<[string, () => Parameters<typeof createKeySigner>[0]]> = [
    ['Ed25519', () => generateKeyPairSync('ed25519').privateKey],
    ['RSA-1024', () => generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey],
    ['P-521', () => generateKeyPairSync('ec', { namedCurve: 'secp521r1' }).privateKey],
    ['RSA-PSS', () => generateKeyPairSync('rsa-pss', { modulusLength: 2048 }).privateKey],
    ['a public key', () => generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey],
  ];
  for (const [name, make] of unsupported) {
    test(`rejects ${name} as bad_key`, () =>
      assert.throws(
        () => createKeySigner(make()),
        (e: unknown) => e instanceof CertError && e.kind === 'bad_key',
      ));
  }
});
