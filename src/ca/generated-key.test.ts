import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createECDH, createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import { generateKeyDer, p256KeyDer } from './generated-key.js';
import { detectKeyAlgorithm, KEY_ALGORITHMS } from './signer.js';

/** The DER node writes for the same key: what certdesk sealed before keys were written by hand. */
function nodeDer(pkcs8: Buffer) {
  const key = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
  return {
    key,
    pkcs8: key.export({ format: 'der', type: 'pkcs8' }),
    spki: createPublicKey(key).export({ format: 'der', type: 'spki' }),
  };
}

describe('generateKeyDer', () => {
  for (const algorithm of KEY_ALGORITHMS) {
    test(`${algorithm}: DER that node reads back byte for byte, a key pair that signs and verifies`, async () => {
      const g = await generateKeyDer(algorithm);
      assert.equal(g.algorithm, algorithm);
      const n = nodeDer(g.pkcs8);
      assert.equal(detectKeyAlgorithm(n.key), algorithm);
      assert.deepEqual(g.pkcs8, n.pkcs8);
      assert.deepEqual(g.spki, n.spki);
      const data = Buffer.from('tbs');
      const signature = sign('sha256', data, n.key);
      assert.ok(verify('sha256', data, createPublicKey({ key: g.spki, format: 'der', type: 'spki' }), signature));
    });
  }

  test('two P-256 keys differ', async () => {
    const [a, b] = await Promise.all([generateKeyDer('ecdsa-p256'), generateKeyDer('ecdsa-p256')]);
    assert.notDeepEqual(a.pkcs8, b.pkcs8);
    assert.notDeepEqual(a.spki, b.spki);
  });
});

describe('p256KeyDer', () => {
  test('a scalar with leading zero bytes is padded to 32 bytes, as OpenSSL writes it (RFC 5915 §3)', () => {
    const d = Buffer.alloc(32, 0x5a);
    d[0] = 0;
    d[1] = 0;
    const ecdh = createECDH('prime256v1');
    ecdh.setPrivateKey(d);
    const short = ecdh.getPrivateKey();
    assert.ok(short.length < 32, 'node drops the leading zeros this test is about');
    const g = p256KeyDer(short, ecdh.getPublicKey());
    const n = nodeDer(g.pkcs8);
    assert.deepEqual(g.pkcs8, n.pkcs8);
    assert.deepEqual(g.spki, n.spki);
    assert.deepEqual(n.key.export({ format: 'jwk' }).d, d.toString('base64url'));
  });

  test('refuses a compressed point and an oversized scalar', () => {
    const ecdh = createECDH('prime256v1');
    ecdh.generateKeys();
    assert.throws(() => p256KeyDer(ecdh.getPrivateKey(), ecdh.getPublicKey(null, 'compressed')));
    assert.throws(() => p256KeyDer(Buffer.alloc(33, 1), ecdh.getPublicKey()));
  });
});
