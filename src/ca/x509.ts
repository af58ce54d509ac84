// Building X.509 v3 certificates (RFC 5280 §4) from pre-encoded DER pieces. These helpers
// are used for CA certificates (src/ca/hierarchy.ts) and to pre-encode the constant parts
// of the subscriber profile once per issuer (src/ca/leaf-profile.ts).

import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import {
  bitString,
  boolean,
  contextConstructed,
  contextPrimitive,
  explicit,
  ia5String,
  integer,
  octetString,
  oid,
  printableString,
  sequence,
  setOf,
  utf8String,
  x509Time,
} from '../crypto/der-writer.js';
import { CertError } from '../domain/errors.js';
import {
  DerError,
  decodeBitString,
  expectUniversal,
  readChildren,
  readDer,
  UniversalTag,
  valueOf,
  type Tlv,
} from '../crypto/der-reader.js';
import type { Signer } from './signer.js';

export const OID = {
  // Attribute types (X.520, RFC 5280 Appendix A.1).
  commonName: '2.5.4.3',
  countryName: '2.5.4.6',
  localityName: '2.5.4.7',
  stateOrProvinceName: '2.5.4.8',
  organizationName: '2.5.4.10',
  // Extensions (RFC 5280 §4.2).
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  nameConstraints: '2.5.29.30',
  crlDistributionPoints: '2.5.29.31',
  certificatePolicies: '2.5.29.32',
  anyPolicy: '2.5.29.32.0',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  anyExtendedKeyUsage: '2.5.29.37.0',
  authorityInfoAccess: '1.3.6.1.5.5.7.1.1',
  // Key purposes (RFC 5280 §4.2.1.12).
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
  // Access methods (RFC 5280 §4.2.2.1).
  ocsp: '1.3.6.1.5.5.7.48.1',
  caIssuers: '1.3.6.1.5.5.7.48.2',
  cpsQualifier: '1.3.6.1.5.5.7.2.1',
  // CA/Browser Forum reserved policy identifiers (BR §7.1.6.1).
  domainValidated: '2.23.140.1.2.1',
  organizationValidated: '2.23.140.1.2.2',
  // Public key algorithms (RFC 3279 §2.3).
  rsaEncryption: '1.2.840.113549.1.1.1',
  ecPublicKey: '1.2.840.10045.2.1',
} as const;

// ---- Names (RFC 5280 §4.1.2.4) ----

// RFC 5280 Appendix A.1: countryName is PrintableString (SIZE 2); DirectoryString values
// are UTF8String, which §4.1.2.4 says conforming CAs MUST use for new names.
const PRINTABLE_ATTRIBUTES = new Set<string>([OID.countryName]);

/** A Name with one attribute per RDN, in the order given. */
export function encodeName(rdns: ReadonlyArray<readonly [string, string]>): Buffer {
  return sequence(
    ...rdns.map(([type, value]) =>
      setOf([sequence(oid(type), PRINTABLE_ATTRIBUTES.has(type) ? printableString(value) : utf8String(value))]),
    ),
  );
}

// ---- Extensions (RFC 5280 §4.2) ----

/** Extension ::= SEQUENCE { extnID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }; DER omits a FALSE default. */
export function extension(extnId: string, critical: boolean, value: Buffer): Buffer {
  return critical
    ? sequence(oid(extnId), boolean(true), octetString(value))
    : sequence(oid(extnId), octetString(value));
}

/** RFC 5280 §4.2.1.9: always critical here (BR §7.1.2.7.8, §7.1.2.10.4). */
export function basicConstraints(ca: boolean, pathLen?: number): Buffer {
  const parts: Buffer[] = [];
  if (ca) parts.push(boolean(true));
  if (pathLen !== undefined) {
    if (!ca) throw new CertError('internal', 'pathLenConstraint requires cA');
    parts.push(integer(pathLen));
  }
  return extension(OID.basicConstraints, true, sequence(...parts));
}

export const KEY_USAGE_BITS = {
  digitalSignature: 0,
  nonRepudiation: 1,
  keyEncipherment: 2,
  dataEncipherment: 3,
  keyAgreement: 4,
  keyCertSign: 5,
  cRLSign: 6,
  encipherOnly: 7,
  decipherOnly: 8,
} as const;

export type KeyUsage = keyof typeof KEY_USAGE_BITS;

/** Named-bit BIT STRING without trailing zero bits (X.690 §11.2.2). */
export function encodeKeyUsageBits(usages: readonly KeyUsage[]): Buffer {
  if (usages.length === 0) throw new CertError('internal', 'keyUsage needs at least one bit');
  const highest = Math.max(...usages.map((u) => KEY_USAGE_BITS[u]));
  const bytes = Buffer.alloc((highest >> 3) + 1);
  for (const u of usages) {
    const bit = KEY_USAGE_BITS[u];
    bytes[bit >> 3] = (bytes[bit >> 3] as number) | (0x80 >> (bit & 7));
  }
  return bitString(bytes, 7 - (highest & 7));
}

/** RFC 5280 §4.2.1.3: SHOULD be critical; BR makes it critical for every profile we issue. */
export function keyUsage(usages: readonly KeyUsage[]): Buffer {
  return extension(OID.keyUsage, true, encodeKeyUsageBits(usages));
}

/** RFC 5280 §4.2.1.12; BR §7.1.2.7.10 forbids critical for subscribers, §7.1.2.10.6 for CAs. */
export function extKeyUsage(purposes: readonly string[]): Buffer {
  return extension(OID.extKeyUsage, false, sequence(...purposes.map((p) => oid(p))));
}

/** The subjectPublicKey BIT STRING contents of an SPKI, without the unused-bits octet. */
export function subjectPublicKeyBits(spki: Buffer): Buffer {
  try {
    const [alg, key] = readChildren(expectUniversal(readDer(spki), UniversalTag.SEQUENCE, 'SubjectPublicKeyInfo'));
    expectUniversal(alg, UniversalTag.SEQUENCE, 'algorithm');
    const bits = decodeBitString(expectUniversal(key, UniversalTag.BIT_STRING, 'subjectPublicKey'));
    if (bits.unusedBits !== 0) throw new DerError('public key has unused bits');
    return bits.bytes;
  } catch (cause) {
    if (!(cause instanceof DerError)) throw cause;
    throw new CertError('bad_key', 'public key is not a valid SubjectPublicKeyInfo', { cause });
  }
}

/** Key identifier by RFC 5280 §4.2.1.2 method (1): SHA-1 of the subjectPublicKey bits. */
export function computeKeyId(spki: Buffer): Buffer {
  return createHash('sha1').update(subjectPublicKeyBits(spki)).digest();
}

export function subjectKeyIdentifier(keyId: Buffer): Buffer {
  return extension(OID.subjectKeyIdentifier, false, octetString(keyId));
}

/** AuthorityKeyIdentifier ::= SEQUENCE { keyIdentifier [0] IMPLICIT OCTET STRING } (RFC 5280 §4.2.1.1). */
export function authorityKeyIdentifier(keyId: Buffer): Buffer {
  return extension(OID.authorityKeyIdentifier, false, sequence(contextPrimitive(0, keyId)));
}

/** GeneralNames of dNSName entries ([2] IMPLICIT IA5String, RFC 5280 §4.2.1.6). */
/** dNSName entries, then iPAddress entries (RFC 8738 §3: an IP identifier's certificate names it as iPAddress). */
export function subjectAltName(
  dnsNames: readonly string[],
  critical: boolean,
  ipAddresses: readonly string[] = [],
): Buffer {
  if (dnsNames.length + ipAddresses.length === 0)
    throw new CertError('invalid_parameter', 'subjectAltName needs at least one name');
  return extension(
    OID.subjectAltName,
    critical,
    sequence(
      ...dnsNames.map((n) => dnsNameEntry(n)),
      ...ipAddresses.map((ip) => contextPrimitive(7, ipAddressBytes(ip))),
    ),
  );
}

/** RFC 5280 §4.2.1.6: iPAddress [7] is the address in network byte order, 4 or 16 octets. */
export function ipAddressBytes(ip: string): Buffer {
  if (isIP(ip) === 4) return Buffer.from(ip.split('.').map(Number));
  if (isIP(ip) !== 6) throw new CertError('invalid_parameter', `${ip} is not an IP address`);
  const [head, tail] = ip.includes('::') ? ip.split('::') : [ip, undefined];
  const groups = (s: string | undefined) => (s ? s.split(':') : []);
  const left = groups(head);
  const right = groups(tail);
  // An IPv4 tail (::ffff:1.2.3.4) is two groups.
  const expand = (gs: string[]) =>
    gs.flatMap((g) => {
      if (!g.includes('.')) return [g];
      const b = g.split('.').map(Number);
      return [((b[0]! << 8) | b[1]!).toString(16), ((b[2]! << 8) | b[3]!).toString(16)];
    });
  const l = expand(left);
  const r = expand(right);
  const all = tail === undefined ? l : [...l, ...Array<string>(8 - l.length - r.length).fill('0'), ...r];
  const out = Buffer.alloc(16);
  all.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

function dnsNameEntry(name: string): Buffer {
  // dNSName is IA5String in "preferred name syntax": internationalized names arrive as A-labels.
  if (name.length === 0 || !/^[\x21-\x7e]+$/.test(name))
    throw new CertError('invalid_parameter', 'DNS name must be non-empty ASCII (use A-labels)');
  return contextPrimitive(2, Buffer.from(name, 'latin1'));
}

export interface PolicySpec {
  policyId: string;
  /** CPS pointer qualifier (RFC 5280 §4.2.1.4); the only qualifier the BR allow (§7.1.2.7.9). */
  cpsUri?: string;
}

export function certificatePolicies(policies: readonly PolicySpec[]): Buffer {
  return extension(
    OID.certificatePolicies,
    false,
    sequence(
      ...policies.map((p) =>
        p.cpsUri === undefined
          ? sequence(oid(p.policyId))
          : sequence(oid(p.policyId), sequence(sequence(oid(OID.cpsQualifier), ia5String(p.cpsUri)))),
      ),
    ),
  );
}

function uriName(uri: string): Buffer {
  // uniformResourceIdentifier [6] IMPLICIT IA5String (RFC 5280 §4.2.1.6).
  if (!/^[\x21-\x7e]+$/.test(uri)) throw new CertError('invalid_parameter', 'URL must be non-empty ASCII');
  return contextPrimitive(6, Buffer.from(uri, 'latin1'));
}

/** AuthorityInfoAccess (RFC 5280 §4.2.2.1): OCSP first, then caIssuers, as common CAs order them. */
export function authorityInfoAccess(opts: { caIssuers?: string; ocsp?: string }): Buffer {
  const descriptions: Buffer[] = [];
  if (opts.ocsp !== undefined) descriptions.push(sequence(oid(OID.ocsp), uriName(opts.ocsp)));
  if (opts.caIssuers !== undefined) descriptions.push(sequence(oid(OID.caIssuers), uriName(opts.caIssuers)));
  if (descriptions.length === 0) throw new CertError('internal', 'authorityInfoAccess needs a URL');
  return extension(OID.authorityInfoAccess, false, sequence(...descriptions));
}

/**
 * CRLDistributionPoints with one DistributionPoint per URL, each a fullName URI
 * (RFC 5280 §4.2.1.13). DistributionPointName is a CHOICE, so its [0] tag is explicit;
 * fullName [0] is implicit over GeneralNames.
 */
export function crlDistributionPoints(urls: readonly string[]): Buffer {
  return extension(
    OID.crlDistributionPoints,
    false,
    sequence(...urls.map((u) => sequence(explicit(0, contextConstructed(0, uriName(u)))))),
  );
}

// ---- Certificates (RFC 5280 §4.1) ----

export interface TbsFields {
  /** Unsigned big-endian serial, or a bigint. */
  serial: Buffer | bigint;
  /** AlgorithmIdentifier DER; must equal the one in the outer Certificate (§4.1.1.2). */
  signatureAlgorithm: Buffer;
  issuer: Buffer;
  notBefore: number;
  notAfter: number;
  subject: Buffer;
  spki: Buffer;
  extensions: readonly Buffer[];
}

const VERSION_V3 = explicit(0, integer(2));

/** Reads a Time in the RFC 5280 §4.1.2.5 form (UTCTime or GeneralizedTime, seconds, Z) as epoch ms. */
export function decodeX509Time(node: Tlv): number {
  const id = node.buf[node.start];
  const s = valueOf(node).toString('latin1');
  let m: RegExpExecArray | null = null;
  let year = 0;
  if (id === 0x17 && (m = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(s))) {
    // RFC 5280 §4.1.2.5.1: YY >= 50 is 19YY, else 20YY.
    const yy = Number(m[1]);
    year = yy >= 50 ? 1900 + yy : 2000 + yy;
  } else if (id === 0x18 && (m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(s))) {
    year = Number(m[1]);
  }
  if (!m) throw new DerError(`malformed Time at offset ${node.start}`);
  const d = new Date(0);
  d.setUTCFullYear(year, Number(m[2]) - 1, Number(m[3]));
  d.setUTCHours(Number(m[4]), Number(m[5]), Number(m[6]), 0);
  // Reject dates that do not exist (month 13, Feb 30, hour 24...): the parts must round-trip.
  if (
    d.getUTCMonth() !== Number(m[2]) - 1 ||
    d.getUTCDate() !== Number(m[3]) ||
    d.getUTCHours() !== Number(m[4]) ||
    d.getUTCMinutes() !== Number(m[5]) ||
    d.getUTCSeconds() !== Number(m[6])
  ) {
    throw new DerError(`malformed Time at offset ${node.start}`);
  }
  return d.getTime();
}

export function encodeValidity(notBefore: number, notAfter: number): Buffer {
  return sequence(x509Time(notBefore), x509Time(notAfter));
}

export function buildTbs(f: TbsFields): Buffer {
  const parts = [
    VERSION_V3,
    integer(f.serial),
    f.signatureAlgorithm,
    f.issuer,
    encodeValidity(f.notBefore, f.notAfter),
    f.subject,
    f.spki,
  ];
  if (f.extensions.length > 0) parts.push(explicit(3, sequence(...f.extensions)));
  return sequence(...parts);
}

/** Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue BIT STRING }. */
export function assembleCertificate(tbs: Buffer, signer: Signer): Buffer {
  return sequence(tbs, signer.signatureAlgorithm, bitString(signer.sign(tbs)));
}
