// The one way certdesk signs (docs/ARCHITECTURE.md: "Signing goes through a Signer
// interface (key file today, HSM later)"). A Signer knows its public key and the
// AlgorithmIdentifier to put in certificates; the key itself never leaves it.
// Algorithms are the Web PKI set (BR 6.1.1.3, 6.1.5, 6.1.6: RSA ≥2048, ECDSA P-256/P-384).

import { createPublicKey, generateKeyPair as generateKeyPairCb, sign as cryptoSign, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { CertError } from '../domain/errors.js';
import { nullValue, oid, sequence } from '../crypto/der-writer.js';

export type KeyAlgorithm = 'ecdsa-p256' | 'ecdsa-p384' | 'rsa-2048' | 'rsa-3072' | 'rsa-4096';

export const KEY_ALGORITHMS: readonly KeyAlgorithm[] = ['ecdsa-p256', 'ecdsa-p384', 'rsa-2048', 'rsa-3072', 'rsa-4096'];

export interface Signer {
  readonly algorithm: KeyAlgorithm;
  /** SubjectPublicKeyInfo DER. */
  readonly spki: Buffer;
  /** AlgorithmIdentifier DER for certificates and CRLs this signer signs. */
  readonly signatureAlgorithm: Buffer;
  sign(tbs: Buffer): Buffer;
  /**
   * The key for a worker thread of this process (ca/signing-thread.ts: postMessage clones a
   * KeyObject without exporting it); absent where the key cannot leave the signer (an HSM).
   */
  threadKey?(): ThreadKey;
}

/** What a signing thread needs: the private key and the digest this signer pairs with it. */
export interface ThreadKey {
  key: KeyObject;
  hash: 'sha256' | 'sha384';
}

export const OID_ECDSA_WITH_SHA256 = '1.2.840.10045.4.3.2';
export const OID_ECDSA_WITH_SHA384 = '1.2.840.10045.4.3.3';
export const OID_SHA256_WITH_RSA = '1.2.840.113549.1.1.11';

// RFC 5758 §3.2: ecdsa-with-SHA* AlgorithmIdentifiers MUST omit parameters.
// RFC 4055 §5 / RFC 5280 §4.1.1.2: sha256WithRSAEncryption carries NULL parameters.
const SIGNATURE_ALGORITHMS = {
  'ecdsa-with-SHA256': sequence(oid(OID_ECDSA_WITH_SHA256)),
  'ecdsa-with-SHA384': sequence(oid(OID_ECDSA_WITH_SHA384)),
  sha256WithRSAEncryption: sequence(oid(OID_SHA256_WITH_RSA), nullValue()),
};

interface AlgorithmProfile {
  /** Hash matched to the key strength (P-384 pairs with SHA-384, BR §7.1.3.2.2). */
  hash: 'sha256' | 'sha384';
  signatureAlgorithm: Buffer;
}

function profileOf(algorithm: KeyAlgorithm): AlgorithmProfile {
  switch (algorithm) {
    case 'ecdsa-p256':
      return { hash: 'sha256', signatureAlgorithm: SIGNATURE_ALGORITHMS['ecdsa-with-SHA256'] };
    case 'ecdsa-p384':
      return { hash: 'sha384', signatureAlgorithm: SIGNATURE_ALGORITHMS['ecdsa-with-SHA384'] };
    default:
      return { hash: 'sha256', signatureAlgorithm: SIGNATURE_ALGORITHMS.sha256WithRSAEncryption };
  }
}

/** Which of the supported algorithms a private (or public) key is; CertError bad_key otherwise. */
export function detectKeyAlgorithm(key: KeyObject): KeyAlgorithm {
  const details = key.asymmetricKeyDetails;
  if (key.asymmetricKeyType === 'ec') {
    if (details?.namedCurve === 'prime256v1') return 'ecdsa-p256';
    if (details?.namedCurve === 'secp384r1') return 'ecdsa-p384';
  } else if (key.asymmetricKeyType === 'rsa') {
    if (details?.modulusLength === 2048) return 'rsa-2048';
    if (details?.modulusLength === 3072) return 'rsa-3072';
    if (details?.modulusLength === 4096) return 'rsa-4096';
  }
  throw new CertError('bad_key', 'unsupported CA key: use ECDSA P-256/P-384 or RSA 2048/3072/4096');
}

/** A Signer over a private KeyObject held in memory (the KeyObject is reused: no re-parsing per signature). */
export function createKeySigner(privateKey: KeyObject): Signer {
  if (privateKey.type !== 'private') throw new CertError('bad_key', 'a signer needs a private key');
  const algorithm = detectKeyAlgorithm(privateKey);
  const { hash, signatureAlgorithm } = profileOf(algorithm);
  const spki = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
  // ECDSA-Sig-Value is a DER SEQUENCE { r, s } in X.509 (RFC 5758 §3.2), hence dsaEncoding 'der';
  // RSA uses PKCS #1 v1.5 padding, node's default for RSA keys.
  const options = { key: privateKey, dsaEncoding: 'der' as const };
  return {
    algorithm,
    spki,
    signatureAlgorithm,
    sign: (tbs: Buffer): Buffer => cryptoSign(hash, tbs, options),
    threadKey: () => ({ key: privateKey, hash }),
  };
}

const generateKeyPairAsync = promisify(generateKeyPairCb);

/** A fresh private key; node generates it on the libuv thread pool, off the event loop. */
export async function generateKeyPair(algorithm: KeyAlgorithm): Promise<KeyObject> {
  switch (algorithm) {
    case 'ecdsa-p256':
      return (await generateKeyPairAsync('ec', { namedCurve: 'prime256v1' })).privateKey;
    case 'ecdsa-p384':
      return (await generateKeyPairAsync('ec', { namedCurve: 'secp384r1' })).privateKey;
    case 'rsa-2048':
    case 'rsa-3072':
    case 'rsa-4096': {
      const modulusLength = Number(algorithm.slice(4));
      return (await generateKeyPairAsync('rsa', { modulusLength, publicExponent: 0x10001 })).privateKey;
    }
    default:
      throw new CertError('invalid_parameter', 'unsupported key algorithm');
  }
}

// Spellings operators type: canonical names, bare curve/size names, OpenSSL curve names.
const ALIASES: Record<string, KeyAlgorithm> = {
  ecdsap256: 'ecdsa-p256',
  p256: 'ecdsa-p256',
  ec: 'ecdsa-p256',
  ecdsa: 'ecdsa-p256',
  ec256: 'ecdsa-p256',
  ecp256: 'ecdsa-p256',
  ecdsa256: 'ecdsa-p256',
  prime256v1: 'ecdsa-p256',
  secp256r1: 'ecdsa-p256',
  ecdsap384: 'ecdsa-p384',
  p384: 'ecdsa-p384',
  ec384: 'ecdsa-p384',
  ecp384: 'ecdsa-p384',
  ecdsa384: 'ecdsa-p384',
  secp384r1: 'ecdsa-p384',
  rsa: 'rsa-2048',
  rsa2048: 'rsa-2048',
  rsa3072: 'rsa-3072',
  rsa4096: 'rsa-4096',
};

export function parseKeyAlgorithm(s: string): KeyAlgorithm {
  const key = s.trim().toLowerCase().replace(/[-_ ]/g, '');
  const found = Object.hasOwn(ALIASES, key) ? ALIASES[key] : undefined;
  if (!found) {
    throw new CertError('invalid_parameter', 'unknown key algorithm; expected one of ' + KEY_ALGORITHMS.join(', '));
  }
  return found;
}
