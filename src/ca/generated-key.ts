// A key certdesk makes for a customer who sends no CSR (CreateCertificateForPackageRequest
// without Csr; Alibaba Cloud CAS API reference), wanted as DER only: the SubjectPublicKeyInfo
// for the certificate and the PKCS #8 PrivateKeyInfo to seal (orders/submit-application.ts).
//
// ECDSA P-256, the default, is made with OpenSSL's EC key generation through node's ECDH
// object, which hands back the raw scalar and point, and the two DER structures are written
// around them here: one P-256 generation is ~40 µs of CPU, where generateKeyPair, then
// exporting the SPKI and the PKCS #8 through OpenSSL 3's encoders, costs ~0.3 ms of the event
// loop per key (decision 0035). An EC key pair is the same whichever algorithm uses it
// (SEC 1 v2 §3.2.1: d random in [1, n-1], Q = dG). The other algorithms take the thread-pool
// generateKeyPair with DER output (P-384's scalar multiplication has no fast path in OpenSSL
// and RSA takes ~100 ms: neither belongs on the event loop).
import { createECDH, generateKeyPair } from 'node:crypto';
import { CertError } from '../domain/errors.js';
import type { KeyAlgorithm } from './signer.js';

export interface GeneratedKey {
  algorithm: KeyAlgorithm;
  /** SubjectPublicKeyInfo DER (RFC 5280 §4.1.2.7). */
  spki: Buffer;
  /** PrivateKeyInfo DER (RFC 5208 §5), as node's KeyObject.export({ type: 'pkcs8', format: 'der' }) writes it. */
  pkcs8: Buffer;
}

// RFC 5480 §2.1.1: AlgorithmIdentifier { id-ecPublicKey (1.2.840.10045.2.1), secp256r1 (1.2.840.10045.3.1.7) }.
const P256_ALGORITHM = '301306072a8648ce3d020106082a8648ce3d030107';
// RFC 5480 §2: SEQUENCE { algorithm, BIT STRING (no unused bits) { uncompressed point, 65 bytes } }.
const P256_SPKI_PREFIX = Buffer.from(`3059${P256_ALGORITHM}034200`, 'hex');
// RFC 5208 §5: SEQUENCE { version 0, algorithm, OCTET STRING { RFC 5915 §3 ECPrivateKey:
// SEQUENCE { version 1, OCTET STRING privateKey (32 bytes), [1] { BIT STRING publicKey } } } };
// the curve is named in the AlgorithmIdentifier, so ECPrivateKey's [0] parameters are left out
// (RFC 5915 §3, as OpenSSL writes it).
const P256_PKCS8_PREFIX = Buffer.from(`308187020100${P256_ALGORITHM}046d306b0201010420`, 'hex');
const P256_PKCS8_MIDDLE = Buffer.from('a144034200', 'hex');
const P256_SCALAR_BYTES = 32;

/** The two DER structures of a P-256 key from its scalar d and uncompressed point Q (0x04 || X || Y). */
export function p256KeyDer(d: Buffer, point: Buffer): { spki: Buffer; pkcs8: Buffer } {
  if (point.length !== 65 || point[0] !== 0x04) throw new Error('a P-256 point is 65 bytes, uncompressed');
  if (d.length > P256_SCALAR_BYTES) throw new Error('a P-256 scalar is at most 32 bytes');
  // RFC 5915 §3: privateKey is ceiling(log2(n)/8) octets, leading zeros kept; node's
  // ECDH.getPrivateKey() drops them (1 key in 256), so the scalar is padded back here.
  const scalar = Buffer.alloc(P256_SCALAR_BYTES);
  d.copy(scalar, P256_SCALAR_BYTES - d.length);
  return {
    spki: Buffer.concat([P256_SPKI_PREFIX, point]),
    pkcs8: Buffer.concat([P256_PKCS8_PREFIX, scalar, P256_PKCS8_MIDDLE, point]),
  };
}

const DER = {
  publicKeyEncoding: { type: 'spki', format: 'der' },
  privateKeyEncoding: { type: 'pkcs8', format: 'der' },
} as const;

/** generateKeyPair on the thread pool, DER out. */
function generateDer(
  ...args: ['ec', { namedCurve: string }] | ['rsa', { modulusLength: number; publicExponent: number }]
): Promise<{ spki: Buffer; pkcs8: Buffer }> {
  return new Promise((resolve, reject) => {
    const done = (err: Error | null, spki: Buffer, pkcs8: Buffer) => (err ? reject(err) : resolve({ spki, pkcs8 }));
    if (args[0] === 'ec') generateKeyPair('ec', { ...args[1], ...DER }, done);
    else generateKeyPair('rsa', { ...args[1], ...DER }, done);
  });
}

/** A fresh key of `algorithm` as DER. */
export async function generateKeyDer(algorithm: KeyAlgorithm): Promise<GeneratedKey> {
  switch (algorithm) {
    case 'ecdsa-p256': {
      const ecdh = createECDH('prime256v1');
      const point = ecdh.generateKeys();
      return { algorithm, ...p256KeyDer(ecdh.getPrivateKey(), point) };
    }
    case 'ecdsa-p384':
      return { algorithm, ...(await generateDer('ec', { namedCurve: 'secp384r1' })) };
    case 'rsa-2048':
    case 'rsa-3072':
    case 'rsa-4096':
      return {
        algorithm,
        ...(await generateDer('rsa', { modulusLength: Number(algorithm.slice(4)), publicExponent: 0x10001 })),
      };
    default:
      throw new CertError('invalid_parameter', 'unsupported key algorithm');
  }
}
