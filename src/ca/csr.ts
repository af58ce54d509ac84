// Reads and checks a PKCS#10 certificate signing request (RFC 2986) as CAS clients send it in
// the `Csr` parameter (CAS API reference, certificate order actions: a PEM CSR; DER and bare base64 are tolerated too).
//
// parseCsr() proves possession of the private key (the self-signature must verify), refuses
// weak signature hashes, and extracts what the name and key policies decide on: the subject CN,
// the subjectAltName entries of the extensionRequest attribute, and the public key. It does
// not judge the key (policy/key-rules.ts: checkSubscriberKey) nor the names (the name policy).
//
// Cost (bench/csr-micro.ts): parsing walks the DER by offsets (crypto/der-reader.ts). What
// remains is node:crypto: building the KeyObject, done exactly once (importSpki explains how it
// is kept cheap) and shared by the signature check and describePublicKey(), and the
// signature verification itself.

import crypto from 'node:crypto';
import { CertError } from '../domain/errors.js';
import { formatIpv6 } from '../domain/ip-text.js';
import {
  DerError,
  UniversalTag,
  decodeAsciiString,
  decodeBitString,
  decodeBoolean,
  decodeNull,
  decodeOctetString,
  decodeOid,
  decodeSmallInteger,
  decodeString,
  decodeUnsignedInteger,
  encodingOf,
  expectUniversal,
  isContext,
  isStringTag,
  isUniversal,
  readChildren,
  readDer,
  readExplicit,
  valueOf,
  type Tlv,
} from '../crypto/der-reader.js';
import { describePublicKey, type PublicKeyInfo } from '../policy/key-rules.js';

export interface ParsedCsr {
  /** The CertificationRequest DER. */
  der: Buffer;
  /** SubjectPublicKeyInfo DER, exactly as in the CSR. */
  spki: Buffer;
  key: PublicKeyInfo;
  /** Subject CN (the last one if several), as text. */
  commonName: string | undefined;
  subject: Array<{ oid: string; value: string }>;
  /** SAN dNSName entries from the extensionRequest attribute, in order, as written. */
  dnsNames: string[];
  /** SAN iPAddress entries as text (so the name policy can refuse them). */
  ipAddresses: string[];
  /** Other SAN types present, each named once: 'email', 'URI', 'otherName', ... */
  otherSanTypes: string[];
  /** e.g. 'sha256WithRSAEncryption', 'ecdsa-with-SHA256', 'rsassa-pss', 'Ed25519'. */
  signatureAlgorithm: string;
}

/** Far above any real CSR (an RSA-8192 CSR with 100 SANs is under 8 KiB of PEM). */
export const MAX_CSR_BYTES = 64 * 1024;

const NOT_PEM_OR_DER = 'The CSR is not valid PEM or DER.';

export async function parseCsr(input: string | Buffer): Promise<ParsedCsr> {
  const der = decodeCsrInput(input);
  try {
    return await parseCsrDer(der);
  } catch (e) {
    if (e instanceof DerError) throw new CertError('bad_csr', `The CSR is malformed: ${e.message}.`, { cause: e });
    throw e;
  }
}

// ---- Un-armouring --------------------------------------------------------------------------

// RFC 7468 §7 ("CERTIFICATE REQUEST"; "NEW CERTIFICATE REQUEST" is the label older Netscape and
// Microsoft tools write). Whitespace of any kind may separate the lines, or be missing: web
// forms often turn newlines into spaces or drop them.
const PEM_CSR = /^-----BEGIN ((?:NEW )?CERTIFICATE REQUEST)-----([\s\S]*?)-----END \1-----$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

function decodeCsrInput(input: string | Buffer): Buffer {
  if (Buffer.isBuffer(input)) {
    if (input.length > MAX_CSR_BYTES * 2) throw new CertError('bad_csr', 'The CSR is too large.');
    // A DER CertificationRequest starts with a SEQUENCE tag; anything else is read as text.
    if (input[0] === 0x30) {
      if (input.length > MAX_CSR_BYTES) throw new CertError('bad_csr', 'The CSR is too large.');
      return Buffer.from(input); // our own copy: the result must not change under the caller
    }
    return decodeCsrText(input.toString('utf8')); // trim() below also drops a byte-order mark
  }
  if (typeof input !== 'string') throw new CertError('bad_csr', NOT_PEM_OR_DER);
  return decodeCsrText(input);
}

function decodeCsrText(text: string): Buffer {
  // Base64 and PEM add a third, plus line breaks; twice the DER limit is generous.
  if (text.length > MAX_CSR_BYTES * 2) throw new CertError('bad_csr', 'The CSR is too large.');
  const trimmed = text.trim();
  let body: string;
  if (trimmed.startsWith('-----BEGIN ')) {
    const m = PEM_CSR.exec(trimmed);
    if (m === null) {
      if (!/^-----BEGIN (NEW )?CERTIFICATE REQUEST-----/.test(trimmed)) {
        throw new CertError('bad_csr', 'The PEM block is not a CERTIFICATE REQUEST.');
      }
      throw new CertError('bad_csr', NOT_PEM_OR_DER);
    }
    body = m[2]!;
  } else {
    body = trimmed;
  }
  const b64 = body.replace(/\s+/g, '');
  if (b64.length === 0 || b64.length % 4 !== 0 || !BASE64.test(b64)) throw new CertError('bad_csr', NOT_PEM_OR_DER);
  const der = Buffer.from(b64, 'base64');
  if (der.length > MAX_CSR_BYTES) throw new CertError('bad_csr', 'The CSR is too large.');
  return der;
}

// ---- Algorithms ----------------------------------------------------------------------------

interface SignatureAlgorithm {
  name: string;
  /** node:crypto digest name; null for EdDSA, which hashes internally. */
  digest: string | null;
  /** KeyObject.asymmetricKeyType values this algorithm can be used with. */
  keyTypes: readonly string[];
  /** Parameters field: RFC 4055 §5 allows NULL or absent for PKCS#1 v1.5; RFC 5758 §3.2 and RFC 8410 §3 require absent. */
  params: 'null-or-absent' | 'absent' | 'pss';
}

const OID = {
  rsaEncryption: '1.2.840.113549.1.1.1',
  rsassaPss: '1.2.840.113549.1.1.10',
  mgf1: '1.2.840.113549.1.1.8',
  ecPublicKey: '1.2.840.10045.2.1',
  ed25519: '1.3.101.112',
  ed448: '1.3.101.113',
  commonName: '2.5.4.3',
  extensionRequest: '1.2.840.113549.1.9.14',
  subjectAltName: '2.5.29.17',
} as const;

// RFC 4055 §5 and RFC 8017 (RSA), RFC 5758 §3.2 (ECDSA, DSA), RFC 8410 §3 (EdDSA). DSA and
// EdDSA are read only so that such a CSR gets the clearer 'bad_key' refusal afterwards.
const SIGNATURE_ALGORITHMS: Record<string, SignatureAlgorithm> = {
  '1.2.840.113549.1.1.11': {
    name: 'sha256WithRSAEncryption',
    digest: 'sha256',
    keyTypes: ['rsa'],
    params: 'null-or-absent',
  },
  '1.2.840.113549.1.1.12': {
    name: 'sha384WithRSAEncryption',
    digest: 'sha384',
    keyTypes: ['rsa'],
    params: 'null-or-absent',
  },
  '1.2.840.113549.1.1.13': {
    name: 'sha512WithRSAEncryption',
    digest: 'sha512',
    keyTypes: ['rsa'],
    params: 'null-or-absent',
  },
  [OID.rsassaPss]: { name: 'rsassa-pss', digest: null, keyTypes: ['rsa', 'rsa-pss'], params: 'pss' },
  '1.2.840.10045.4.3.2': { name: 'ecdsa-with-SHA256', digest: 'sha256', keyTypes: ['ec'], params: 'absent' },
  '1.2.840.10045.4.3.3': { name: 'ecdsa-with-SHA384', digest: 'sha384', keyTypes: ['ec'], params: 'absent' },
  '1.2.840.10045.4.3.4': { name: 'ecdsa-with-SHA512', digest: 'sha512', keyTypes: ['ec'], params: 'absent' },
  [OID.ed25519]: { name: 'Ed25519', digest: null, keyTypes: ['ed25519'], params: 'absent' },
  [OID.ed448]: { name: 'Ed448', digest: null, keyTypes: ['ed448'], params: 'absent' },
  '2.16.840.1.101.3.4.3.2': { name: 'dsa-with-SHA256', digest: 'sha256', keyTypes: ['dsa'], params: 'absent' },
  '2.16.840.1.101.3.4.3.3': { name: 'dsa-with-SHA384', digest: 'sha384', keyTypes: ['dsa'], params: 'absent' },
  '2.16.840.1.101.3.4.3.4': { name: 'dsa-with-SHA512', digest: 'sha512', keyTypes: ['dsa'], params: 'absent' },
};

// Signature hashes that are broken for collision resistance (MD5) or no longer accepted
// (SHA-1: BR §7.1.3.2 allows only SHA-256/384/512 for certificates, and a CSR signed with a
// broken hash proves nothing), named so the refusal can say which.
const WEAK_SIGNATURE_HASHES: Record<string, string> = {
  '1.2.840.113549.1.1.2': 'MD2',
  '1.2.840.113549.1.1.3': 'MD4',
  '1.2.840.113549.1.1.4': 'MD5',
  '1.2.840.113549.1.1.5': 'SHA-1',
  '1.3.14.3.2.29': 'SHA-1',
  '1.2.840.10045.4.1': 'SHA-1',
  '1.2.840.10040.4.3': 'SHA-1',
  '2.16.840.1.101.3.4.3.1': 'SHA-224',
  '1.2.840.113549.1.1.14': 'SHA-224',
  '1.2.840.10045.4.3.1': 'SHA-224',
  '1.2.840.113549.2.5': 'MD5',
  '1.3.14.3.2.26': 'SHA-1',
  '2.16.840.1.101.3.4.2.4': 'SHA-224',
};

const PSS_HASHES: Record<string, string> = {
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};

function refuseWeakHash(hash: string): never {
  throw new CertError(
    'bad_csr',
    `The CSR is signed with ${hash}, which is not accepted; sign it with SHA-256, SHA-384 or SHA-512.`,
  );
}

/** Splits an AlgorithmIdentifier (RFC 5280 §4.1.1.2) into its OID and optional parameters. */
function readAlgorithmIdentifier(tlv: Tlv | undefined, what: string): { oid: string; params: Tlv | undefined } {
  const seq = expectUniversal(tlv, UniversalTag.SEQUENCE, what);
  const parts = readChildren(seq);
  if (parts.length < 1 || parts.length > 2) throw new DerError(`invalid ${what}`);
  return { oid: decodeOid(expectUniversal(parts[0], UniversalTag.OBJECT_IDENTIFIER, what)), params: parts[1] };
}

function checkNullOrAbsent(params: Tlv | undefined, what: string): void {
  if (params !== undefined) decodeNull(expectUniversal(params, UniversalTag.NULL, `${what} parameters`));
}

interface VerifyPlan {
  name: string;
  digest: string | null;
  keyTypes: readonly string[];
  saltLength?: number;
}

function planSignatureCheck(algorithm: { oid: string; params: Tlv | undefined }): VerifyPlan {
  const weak = WEAK_SIGNATURE_HASHES[algorithm.oid];
  if (weak !== undefined) refuseWeakHash(weak);
  const alg = SIGNATURE_ALGORITHMS[algorithm.oid];
  if (alg === undefined) {
    throw new CertError(
      'bad_csr',
      'The CSR signature algorithm is not supported; sign it with RSA or ECDSA and SHA-256, SHA-384 or SHA-512.',
    );
  }
  if (alg.params === 'null-or-absent') {
    checkNullOrAbsent(algorithm.params, 'signatureAlgorithm');
  } else if (alg.params === 'absent') {
    if (algorithm.params !== undefined) throw new DerError('signatureAlgorithm must not have parameters');
  } else {
    const pss = readPssParams(algorithm.params);
    return { name: alg.name, digest: pss.digest, keyTypes: alg.keyTypes, saltLength: pss.saltLength };
  }
  return { name: alg.name, digest: alg.digest, keyTypes: alg.keyTypes };
}

/**
 * RSASSA-PSS-params (RFC 4055 §3.1). Absent fields take the defaults (SHA-1, MGF1-SHA-1, salt
 * 20, trailer 1), so a missing hash means SHA-1 and is refused. node:crypto uses the signature
 * hash for MGF1 too, which is also what RFC 4055 §3.1 recommends, so a different MGF1 hash is
 * refused rather than verified wrongly.
 */
function readPssParams(params: Tlv | undefined): { digest: string; saltLength: number } {
  if (params === undefined) refuseWeakHash('SHA-1');
  const fields = readChildren(expectUniversal(params, UniversalTag.SEQUENCE, 'RSASSA-PSS parameters'));
  let hashOid = '1.3.14.3.2.26';
  let mgfHashOid = '1.3.14.3.2.26';
  let saltLength = 20;
  let lastTag = -1;
  for (const f of fields) {
    if (f.cls !== 2 || f.tag <= lastTag || f.tag > 3 || !f.constructed)
      throw new DerError('invalid RSASSA-PSS parameters');
    lastTag = f.tag;
    const inner = readExplicit(f);
    if (f.tag === 0) {
      const h = readAlgorithmIdentifier(inner, 'RSASSA-PSS hashAlgorithm');
      checkNullOrAbsent(h.params, 'hashAlgorithm');
      hashOid = h.oid;
    } else if (f.tag === 1) {
      const mgf = readAlgorithmIdentifier(inner, 'RSASSA-PSS maskGenAlgorithm');
      if (mgf.oid !== OID.mgf1)
        throw new CertError('bad_csr', 'The CSR uses an RSASSA-PSS mask generation function other than MGF1.');
      const h = readAlgorithmIdentifier(mgf.params, 'MGF1 hash algorithm');
      checkNullOrAbsent(h.params, 'MGF1 hash algorithm');
      mgfHashOid = h.oid;
    } else if (f.tag === 2) {
      saltLength = decodeSmallInteger(expectUniversal(inner, UniversalTag.INTEGER, 'RSASSA-PSS saltLength'));
    } else if (decodeSmallInteger(expectUniversal(inner, UniversalTag.INTEGER, 'RSASSA-PSS trailerField')) !== 1) {
      throw new DerError('RSASSA-PSS trailerField must be 1');
    }
  }
  const digest = PSS_HASHES[hashOid];
  if (digest === undefined) refuseWeakHash(WEAK_SIGNATURE_HASHES[hashOid] ?? 'an unsupported hash');
  if (mgfHashOid !== hashOid) {
    throw new CertError(
      'bad_csr',
      'The CSR RSASSA-PSS signature must use the same hash for MGF1 as for the signature.',
    );
  }
  return { digest, saltLength };
}

// ---- The request -----------------------------------------------------------------------------

async function parseCsrDer(der: Buffer): Promise<ParsedCsr> {
  // CertificationRequest ::= SEQUENCE { certificationRequestInfo, signatureAlgorithm, signature BIT STRING }
  let root: Tlv;
  try {
    root = readDer(der);
  } catch (e) {
    throw new CertError('bad_csr', NOT_PEM_OR_DER, { cause: e });
  }
  if (!isUniversal(root, UniversalTag.SEQUENCE) || !root.constructed) throw new CertError('bad_csr', NOT_PEM_OR_DER);
  const top = readChildren(root);
  if (top.length !== 3) throw new DerError('a CertificationRequest has exactly three fields');
  const infoTlv = expectUniversal(top[0], UniversalTag.SEQUENCE, 'certificationRequestInfo');
  const algorithm = readAlgorithmIdentifier(top[1], 'signatureAlgorithm');
  const signature = decodeBitString(expectUniversal(top[2], UniversalTag.BIT_STRING, 'signature'));
  if (signature.unusedBits !== 0) throw new DerError('the signature must be a whole number of octets');

  // CertificationRequestInfo ::= SEQUENCE { version INTEGER { v1(0) }, subject Name,
  //   subjectPKInfo SubjectPublicKeyInfo, attributes [0] IMPLICIT SET OF Attribute }
  // Some old tools omit the (required) attributes field when it is empty; that is tolerated.
  const info = readChildren(infoTlv);
  if (info.length < 3 || info.length > 4) throw new DerError('invalid certificationRequestInfo');
  if (decodeSmallInteger(expectUniversal(info[0], UniversalTag.INTEGER, 'version')) !== 0) {
    throw new CertError('bad_csr', 'The CSR version is not supported (only PKCS#10 v1 is defined).');
  }
  const subject = readName(expectUniversal(info[1], UniversalTag.SEQUENCE, 'subject'));
  const spkiTlv = expectUniversal(info[2], UniversalTag.SEQUENCE, 'subjectPKInfo');
  const attributes = info[3];
  if (attributes !== undefined && (!isContext(attributes, 0) || !attributes.constructed)) {
    throw new DerError('expected [0] for attributes');
  }
  const san = attributes === undefined ? emptySan() : readRequestedSan(attributes);

  // Signature: refuse what we will not verify before paying for the key.
  const plan = planSignatureCheck(algorithm);
  const keyObject = await importSpki(spkiTlv);
  if (!plan.keyTypes.includes(keyObject.asymmetricKeyType ?? '')) {
    throw new CertError('bad_csr', 'The CSR signature algorithm does not match its public key.');
  }
  const signed = encodingOf(infoTlv);
  const key: crypto.KeyObject | crypto.VerifyKeyObjectInput =
    plan.saltLength === undefined
      ? keyObject
      : { key: keyObject, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: plan.saltLength };
  let ok: boolean;
  try {
    ok = crypto.verify(plan.digest, signed, key, signature.bytes);
  } catch {
    ok = false; // e.g. a signature longer than the modulus: as bad as a wrong one
  }
  if (!ok) throw new CertError('bad_csr', 'The CSR signature does not verify.');

  let commonName: string | undefined;
  for (const atv of subject) if (atv.oid === OID.commonName) commonName = atv.value;
  return {
    der,
    spki: encodingOf(spkiTlv),
    key: describePublicKey(keyObject),
    commonName,
    subject,
    dnsNames: san.dnsNames,
    ipAddresses: san.ipAddresses,
    otherSanTypes: san.otherSanTypes,
    signatureAlgorithm: plan.name,
  };
}

// id-ecPublicKey namedCurve for P-256 (RFC 5480 §2.1.1.1).
const P256_OID = '1.2.840.10045.3.1.7';

/**
 * Checks the SPKI's encoding and builds its one KeyObject.
 *
 * The SPKI becomes the certificate's, so its algorithm identifier must be the one PKIX
 * defines: rsaEncryption with NULL parameters (RFC 3279 §2.3.1, BR §7.1.3.1.1) and a DER
 * RSAPublicKey, id-ecPublicKey with a namedCurve (RFC 5480 §2.1.1: implicit and specified
 * curves MUST NOT be used), EdDSA without parameters (RFC 8410 §3). EC points must be
 * uncompressed: RFC 5480 §2.2 makes only that form mandatory for clients to support.
 *
 * Why not createPublicKey({ format: 'der', type: 'spki' }) for everything: with OpenSSL 3,
 * node decodes an SPKI through the generic decoder chain (OSSL_DECODER), about 130 µs, the
 * largest single cost of a CSR (bench/csr-micro.ts). Importing the already-checked parts
 * gives the same key for less: an RSAPublicKey as 'pkcs1' DER (about 15 µs), a P-256 point
 * as WebCrypto 'raw' (about 55 µs, against 75 µs as a JWK: node's JWK import runs OpenSSL's
 * full public-key check, whose n·Q = O step is a scalar multiplication that proves nothing
 * on P-256, a prime-order curve; docs/decisions/0029-csr-p256-raw-import.md). The raw import
 * decodes the point with EC_POINT_oct2point, which refuses coordinates outside the field and
 * points off the curve: the validation SP 800-56A §5.6.2.3.4 asks of a public key, and the
 * one the SPKI decoder makes. For other curves the raw and JWK paths are slower than the
 * SPKI one (no P-256 fast path), so they, and all other algorithms, take the SPKI path.
 */
async function importSpki(spkiTlv: Tlv): Promise<crypto.KeyObject> {
  const parts = readChildren(spkiTlv);
  if (parts.length !== 2) throw new DerError('invalid subjectPKInfo');
  const alg = readAlgorithmIdentifier(parts[0], 'subjectPKInfo algorithm');
  const bits = decodeBitString(expectUniversal(parts[1], UniversalTag.BIT_STRING, 'subjectPublicKey'));
  if (bits.unusedBits !== 0) throw new DerError('the public key must be a whole number of octets');
  if (alg.oid === OID.rsaEncryption) {
    if (alg.params === undefined) throw new DerError('rsaEncryption parameters must be NULL');
    decodeNull(expectUniversal(alg.params, UniversalTag.NULL, 'rsaEncryption parameters'));
    // RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER } (RFC 8017 §A.1.1)
    const rsa = readChildren(expectUniversal(readDer(bits.bytes), UniversalTag.SEQUENCE, 'RSAPublicKey'));
    if (rsa.length !== 2) throw new DerError('invalid RSAPublicKey');
    decodeUnsignedInteger(expectUniversal(rsa[0], UniversalTag.INTEGER, 'RSA modulus'));
    decodeUnsignedInteger(expectUniversal(rsa[1], UniversalTag.INTEGER, 'RSA public exponent'));
    return importKey({ key: bits.bytes, format: 'der', type: 'pkcs1' });
  }
  if (alg.oid === OID.ecPublicKey) {
    if (alg.params === undefined || !isUniversal(alg.params, UniversalTag.OBJECT_IDENTIFIER)) {
      throw new CertError('bad_csr', 'The CSR EC public key must name its curve (RFC 5480 §2.1.1).');
    }
    if (bits.bytes[0] !== 0x04) {
      throw new CertError('bad_csr', 'The CSR EC public key must use the uncompressed point form (RFC 5480 §2.2).');
    }
    if (decodeOid(alg.params) === P256_OID) {
      // 0x04 || x || y, 32 octets each (SEC 1 §2.3.3)
      if (bits.bytes.length !== 65) throw new CertError('bad_csr', 'The CSR public key cannot be read.');
      return importP256Point(bits.bytes);
    }
  } else if (alg.oid === OID.ed25519 || alg.oid === OID.ed448) {
    if (alg.params !== undefined) throw new DerError('EdDSA public keys have no parameters');
  }
  return importKey({ key: encodingOf(spkiTlv), format: 'der', type: 'spki' });
}

const P256_RAW_IMPORT = { name: 'ECDSA', namedCurve: 'P-256' } as const;

async function importP256Point(point: Buffer): Promise<crypto.KeyObject> {
  let key: crypto.webcrypto.CryptoKey;
  try {
    key = await crypto.webcrypto.subtle.importKey('raw', point, P256_RAW_IMPORT, true, ['verify']);
  } catch (e) {
    throw new CertError('bad_csr', 'The CSR public key cannot be read.', { cause: e });
  }
  return crypto.KeyObject.from(key);
}

function importKey(input: crypto.PublicKeyInput | crypto.JsonWebKeyInput): crypto.KeyObject {
  try {
    return crypto.createPublicKey(input);
  } catch (e) {
    throw new CertError('bad_csr', 'The CSR public key cannot be read.', { cause: e });
  }
}

/** Name ::= SEQUENCE OF RelativeDistinguishedName (SET OF AttributeTypeAndValue), RFC 5280 §4.1.2.4. */
function readName(name: Tlv): Array<{ oid: string; value: string }> {
  const out: Array<{ oid: string; value: string }> = [];
  for (const rdn of readChildren(name)) {
    const atvs = readChildren(expectUniversal(rdn, UniversalTag.SET, 'a subject RDN'));
    if (atvs.length === 0) throw new DerError('empty subject RDN');
    for (const atvTlv of atvs) {
      const atv = readChildren(expectUniversal(atvTlv, UniversalTag.SEQUENCE, 'a subject attribute'));
      if (atv.length !== 2) throw new DerError('invalid subject attribute');
      const oid = decodeOid(expectUniversal(atv[0], UniversalTag.OBJECT_IDENTIFIER, 'a subject attribute type'));
      const v = atv[1]!;
      // Non-string values are kept in RFC 4514 §2.4 form ('#' + hex of the encoding).
      const value = isStringTag(v) ? decodeString(v) : '#' + encodingOf(v).toString('hex');
      out.push({ oid, value });
    }
  }
  return out;
}

interface RequestedSan {
  dnsNames: string[];
  ipAddresses: string[];
  otherSanTypes: string[];
}

function emptySan(): RequestedSan {
  return { dnsNames: [], ipAddresses: [], otherSanTypes: [] };
}

/**
 * Attributes (RFC 2986 §4.1): only extensionRequest (PKCS#9, RFC 2985 §5.4.2) matters, and in
 * it only subjectAltName; the CA builds every other extension from its own profile. Other
 * attributes (challengePassword, Microsoft's) are ignored. A repeated extensionRequest or a
 * repeated extension is an error (RFC 5280 §4.2: at most one instance of an extension).
 */
function readRequestedSan(attributes: Tlv): RequestedSan {
  let san = emptySan();
  let sawExtensionRequest = false;
  for (const attrTlv of readChildren(attributes)) {
    const attr = readChildren(expectUniversal(attrTlv, UniversalTag.SEQUENCE, 'an attribute'));
    if (attr.length !== 2) throw new DerError('invalid attribute');
    const type = decodeOid(expectUniversal(attr[0], UniversalTag.OBJECT_IDENTIFIER, 'an attribute type'));
    const values = readChildren(expectUniversal(attr[1], UniversalTag.SET, 'attribute values'));
    if (type !== OID.extensionRequest) continue;
    if (sawExtensionRequest || values.length !== 1) throw new DerError('more than one extensionRequest');
    sawExtensionRequest = true;
    const seen = new Set<string>();
    for (const extTlv of readChildren(expectUniversal(values[0], UniversalTag.SEQUENCE, 'extensionRequest'))) {
      // Extension ::= SEQUENCE { extnID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }
      const ext = readChildren(expectUniversal(extTlv, UniversalTag.SEQUENCE, 'an extension'));
      if (ext.length < 2 || ext.length > 3) throw new DerError('invalid extension');
      const extnId = decodeOid(expectUniversal(ext[0], UniversalTag.OBJECT_IDENTIFIER, 'an extension id'));
      if (seen.has(extnId)) throw new DerError('an extension appears twice');
      seen.add(extnId);
      if (ext.length === 3) decodeBoolean(expectUniversal(ext[1], UniversalTag.BOOLEAN, 'extension criticality'));
      const value = decodeOctetString(
        expectUniversal(ext[ext.length - 1], UniversalTag.OCTET_STRING, 'extension value'),
      );
      if (extnId === OID.subjectAltName) san = readGeneralNames(value);
    }
  }
  return san;
}

const OTHER_GENERAL_NAMES: Record<number, string> = {
  0: 'otherName',
  1: 'email',
  3: 'x400Address',
  4: 'directoryName',
  5: 'ediPartyName',
  6: 'URI',
  8: 'registeredID',
};

/** GeneralNames ::= SEQUENCE SIZE (1..MAX) OF GeneralName (RFC 5280 §4.2.1.6). */
function readGeneralNames(value: Buffer): RequestedSan {
  let seq: Tlv;
  try {
    seq = readDer(value);
  } catch (e) {
    throw new DerError(`invalid subjectAltName (${(e as Error).message})`);
  }
  const names = readChildren(expectUniversal(seq, UniversalTag.SEQUENCE, 'subjectAltName'));
  if (names.length === 0) throw new DerError('empty subjectAltName');
  const out = emptySan();
  for (const gn of names) {
    if (gn.cls !== 2) throw new DerError('invalid GeneralName');
    if (gn.tag === 2) {
      out.dnsNames.push(decodeAsciiString(gn));
    } else if (gn.tag === 7) {
      if (gn.constructed) throw new DerError('invalid iPAddress');
      out.ipAddresses.push(formatIpAddress(valueOf(gn)));
    } else {
      const kind = OTHER_GENERAL_NAMES[gn.tag];
      if (kind === undefined) throw new DerError('unknown GeneralName type');
      if (!out.otherSanTypes.includes(kind)) out.otherSanTypes.push(kind);
    }
  }
  return out;
}

/** iPAddress: 4 octets (IPv4) or 16 (IPv6), RFC 5280 §4.2.1.6; IPv6 in RFC 5952 text form. */
function formatIpAddress(octets: Buffer): string {
  if (octets.length === 4) return Array.from(octets).join('.');
  if (octets.length !== 16) throw new DerError('an iPAddress must be 4 or 16 octets');
  return formatIpv6(octets);
}
