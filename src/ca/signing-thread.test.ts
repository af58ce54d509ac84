import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey, randomBytes, verify } from 'node:crypto';
import { createBulkSigner } from './signing-thread.js';
import { createKeySigner, generateKeyPair, type Signer } from './signer.js';

for (const algorithm of ['ecdsa-p256', 'rsa-2048'] as const) {
  test(`${algorithm}: signatures from the thread verify, in the order asked, over several requests at once`, async () => {
    const key = await generateKeyPair(algorithm);
    const bulk = createBulkSigner(createKeySigner(key), 2);
    try {
      const batches = [0, 1, 2].map(() => Array.from({ length: 50 }, (_, i) => randomBytes(40 + i)));
      const signed = await Promise.all(batches.map((b) => bulk.signMany(b)));
      const pub = createPublicKey(key);
      batches.forEach((tbs, k) => {
        assert.equal(signed[k]!.length, tbs.length);
        tbs.forEach((t, i) => assert.ok(verify('sha256', t, { key: pub, dsaEncoding: 'der' }, signed[k]![i]!)));
      });
      assert.deepEqual(await bulk.signMany([]), []);
    } finally {
      await bulk.close();
    }
    await assert.rejects(bulk.signMany([Buffer.from('late')]), /closed/);
  });
}

test('a signer whose key cannot leave it (no threadKey) signs on this thread', async () => {
  const inner = createKeySigner(await generateKeyPair('ecdsa-p256'));
  const calls: Buffer[] = [];
  const hsm: Signer = {
    algorithm: inner.algorithm,
    spki: inner.spki,
    signatureAlgorithm: inner.signatureAlgorithm,
    sign: (tbs) => (calls.push(tbs), inner.sign(tbs)),
  };
  const bulk = createBulkSigner(hsm, 2);
  const sigs = await bulk.signMany([Buffer.from('a'), Buffer.from('b')]);
  assert.equal(sigs.length, 2);
  assert.equal(calls.length, 2);
  await bulk.close();
});
