// Builds a PKCS#10 certificate signing request (RFC 2986) for a key certdesk generated, as
// CAS CreateCsr does (CAS API reference, CSR actions). The result is what parseCsr (./csr.ts) and
// `openssl req -verify` accept: version 0, the subject Name, the key's SubjectPublicKeyInfo,
// an extensionRequest attribute (PKCS#9, RFC 2985 §5.4.2) carrying subjectAltName dNSNames
// when there are any, and a SHA-256 self-signature (ECDSA, or RSA PKCS#1 v1.5).

import { createPublicKey, sign, type KeyObject } from 'node:crypto';
import { bitString, contextConstructed, integer, nullValue, oid, sequence, setOf } from '../crypto/der-writer.js';
import { CertError } from '../domain/errors.js';
import { encodeName, subjectAltName } from './x509.js';
import { OID_ECDSA_WITH_SHA256, OID_SHA256_WITH_RSA } from './signer.js';

export interface CsrBuildOptions {
  privateKey: KeyObject;
  /** [attribute type OID, value] in subject order, one attribute per RDN (countryName is PrintableString, the rest UTF8String). */
  subject: Array<[string, string]>;
  /** SAN dNSName entries (A-labels); no extensionRequest attribute when empty. */
  dnsNames: string[];
}

const OID_EXTENSION_REQUEST = '1.2.840.113549.1.9.14';

/** PKCS#10 DER of a request for `privateKey`'s public key, signed with that key. */
export function buildCsr(opts: CsrBuildOptions): Buffer {
  const { privateKey } = opts;
  if (privateKey.type !== 'private') throw new CertError('bad_key', 'A CSR must be signed with a private key.');
  const signatureAlgorithm = signatureAlgorithmFor(privateKey);
  const spki = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });

  // attributes [0] IMPLICIT SET OF Attribute: required even when empty (RFC 2986 §4.1).
  const attributes =
    opts.dnsNames.length === 0
      ? contextConstructed(0)
      : contextConstructed(
          0,
          sequence(oid(OID_EXTENSION_REQUEST), setOf([sequence(subjectAltName(opts.dnsNames, false))])),
        );

  // CertificationRequestInfo ::= SEQUENCE { version INTEGER { v1(0) }, subject Name,
  //   subjectPKInfo SubjectPublicKeyInfo, attributes [0] Attributes } (RFC 2986 §4.1)
  const info = sequence(integer(0), encodeName(opts.subject), spki, attributes);

  // ECDSA-Sig-Value is a DER SEQUENCE { r, s } (RFC 5758 §3.2); RSA uses PKCS#1 v1.5, node's
  // default padding for RSA keys.
  const signature = sign('sha256', info, { key: privateKey, dsaEncoding: 'der' });
  return sequence(info, signatureAlgorithm, bitString(signature));
}

function signatureAlgorithmFor(key: KeyObject): Buffer {
  // RFC 5758 §3.2: ecdsa-with-SHA256 without parameters; RFC 4055 §5: sha256WithRSAEncryption
  // with NULL parameters.
  if (key.asymmetricKeyType === 'ec') return sequence(oid(OID_ECDSA_WITH_SHA256));
  if (key.asymmetricKeyType === 'rsa') return sequence(oid(OID_SHA256_WITH_RSA), nullValue());
  throw new CertError('bad_key', 'Only RSA and ECDSA keys can sign a CSR here.');
}
