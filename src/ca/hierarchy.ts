// certdesk's own two-level CA hierarchy: a self-signed root and one TLS issuing
// intermediate, following the BR CA profiles (§7.1.2.1 root, §7.1.2.6 TLS subordinate CA)
// and Chrome's root policy (serverAuth-only hierarchies). Also loads an issuer back from
// its certificate and PKCS #8 key for the leaf builder.

import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { CertError } from '../domain/errors.js';
import type { RandomSource } from '../domain/ports.js';
import {
  DerError,
  decodeOctetString,
  decodeOid,
  encodingOf,
  readChildren,
  readDer,
  readExplicit,
  type Tlv,
} from '../crypto/der-reader.js';
import { generateSerial } from './serial.js';
import { createKeySigner, generateKeyPair, type KeyAlgorithm, type Signer } from './signer.js';
import {
  OID,
  assembleCertificate,
  authorityInfoAccess,
  authorityKeyIdentifier,
  basicConstraints,
  buildTbs,
  certificatePolicies,
  computeKeyId,
  crlDistributionPoints,
  decodeX509Time,
  encodeName,
  extKeyUsage,
  keyUsage,
  subjectKeyIdentifier,
} from './x509.js';

export interface IssuerMaterial {
  certDer: Buffer;
  privateKeyPkcs8Der: Buffer;
  algorithm: KeyAlgorithm;
  subjectDer: Buffer;
  spki: Buffer;
  keyId: Buffer;
}

/** What the leaf builder needs from an issuing CA. */
export interface Issuer {
  certDer: Buffer;
  /** The certificate's subject, byte for byte (BR §7.1.2.7: leaf issuer must be identical). */
  subjectDer: Buffer;
  /** The certificate's own SubjectPublicKeyInfo bytes. */
  spki: Buffer;
  /** The certificate's subjectKeyIdentifier (or RFC 5280 §4.2.1.2 method 1 if it has none). */
  keyId: Buffer;
  algorithm: KeyAlgorithm;
  notBefore: number;
  notAfter: number;
  signer: Signer;
}

/** The subject of certdesk's CA certificates (BR 7.1.2.10.2, since v2.0.0: countryName and organizationName MUST be present). */
export interface CaSubjectOptions {
  /** organizationName, e.g. the operator's legal name. */
  organization: string;
  /** countryName: an ISO 3166-1 alpha-2 code, or XX where none is assigned (BR 7.1.4.2.2 d). */
  country: string;
}

export interface HierarchyOptions {
  algorithm: KeyAlgorithm;
  now: number;
  random: RandomSource;
  rootName?: string;
  issuingName?: string;
  /** organizationName of both CAs; default "certdesk". */
  organization?: string;
  /** countryName of both CAs (two letters); default XX, BR 7.1.4.2.2 d's code for "none assigned". */
  country?: string;
  /** Base URL where /ca/root.cer and /crl/root.crl are served. */
  publicUrl?: string;
}

const ROOT_YEARS = 25;
const ISSUING_YEARS = 8;

// ISO 3166-1 alpha-2 officially assigned codes, plus XX (BR 7.1.4.2.2 d): what zlint's
// e_subject_country_not_iso / e_ca_country_name_invalid accept.
const ISO_3166_ALPHA2 = new Set(
  (
    'AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ ' +
    'CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR ' +
    'GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO ' +
    'JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR ' +
    'MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO ' +
    'RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV ' +
    'TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW XX'
  ).split(' '),
);

/** Whether `code` may be a CA's countryName. */
export function isCountryCode(code: string): boolean {
  return ISO_3166_ALPHA2.has(code);
}

function addYears(ms: number, years: number): number {
  const d = new Date(ms);
  d.setUTCFullYear(d.getUTCFullYear() + years);
  return d.getTime();
}

/** A CA subject: countryName, organizationName, commonName, in BR 7.1.4.2's order (since v2.0.0). */
export function caName(commonName: string, subject: CaSubjectOptions): Buffer {
  if (!isCountryCode(subject.country))
    throw new CertError(
      'invalid_parameter',
      `country "${subject.country}" is not an ISO 3166-1 alpha-2 code (two capital letters, e.g. DE; XX if none)`,
    );
  const organization = subject.organization.trim();
  // BR 7.1.4.2 via X.520: organizationName is at most 64 characters (ub-organization-name).
  if (organization === '' || organization.length > 64)
    throw new CertError('invalid_parameter', 'organization must be 1 to 64 characters');
  return encodeName([
    [OID.countryName, subject.country],
    [OID.organizationName, organization],
    [OID.commonName, commonName],
  ]);
}

/** Seconds only: certificate times carry no fractions (RFC 5280 §4.1.2.5). */
function wholeSeconds(ms: number): number {
  return Math.floor(ms / 1000) * 1000;
}

export interface RootOptions extends CaSubjectOptions {
  algorithm: KeyAlgorithm;
  now: number;
  random: RandomSource;
  commonName: string;
}

/** A self-signed root (BR 7.1.2.1, since v2.0.0). */
export async function createRoot(opts: RootOptions): Promise<IssuerMaterial> {
  const subject = caName(opts.commonName, opts);
  const notBefore = wholeSeconds(opts.now);
  const key = await generateKeyPair(opts.algorithm);
  const signer = createKeySigner(key);
  const keyId = computeKeyId(signer.spki);
  // BR 7.1.2.1.2: root carries basicConstraints (cA, no pathLen), keyUsage, SKI; AKI
  // (equal to SKI) is allowed and helps path builders; no EKU, no policies.
  const tbs = buildTbs({
    serial: generateSerial(opts.random),
    signatureAlgorithm: signer.signatureAlgorithm,
    issuer: subject,
    notBefore,
    notAfter: addYears(notBefore, ROOT_YEARS) - 1000,
    subject,
    spki: signer.spki,
    extensions: [
      basicConstraints(true),
      keyUsage(['digitalSignature', 'keyCertSign', 'cRLSign']),
      subjectKeyIdentifier(keyId),
      authorityKeyIdentifier(keyId),
    ],
  });
  return material(assembleCertificate(tbs, signer), key, signer, subject, keyId);
}

export interface IssuingOptions extends CaSubjectOptions {
  algorithm: KeyAlgorithm;
  now: number;
  random: RandomSource;
  commonName: string;
  /** The root that signs it. */
  parent: Issuer;
  /** Where relying parties fetch the parent's certificate and the CRL that covers this CA (BR 7.1.2.10.3, 7.1.2.10.7). */
  urls?: { parentCert: string; parentCrl: string };
}

/**
 * A TLS subordinate CA (BR 7.1.2.6, since v2.0.0) under `parent`. Its certificatePolicies
 * is the affiliated-CA form, anyPolicy alone (BR 7.1.2.10.5): certdesk runs the root and
 * the issuing CA itself, and one issuing CA signs both DV and OV leaves, each of which
 * carries its one reserved policy OID (BR 7.1.2.7.9). docs/decisions/0004-ca-policy-form.md
 * says why this form rather than one issuing CA per validation level.
 */
export async function createIssuingCa(opts: IssuingOptions): Promise<IssuerMaterial> {
  const subject = caName(opts.commonName, opts);
  const notBefore = wholeSeconds(opts.now);
  const key = await generateKeyPair(opts.algorithm);
  const signer = createKeySigner(key);
  const keyId = computeKeyId(signer.spki);
  // BR 7.1.2.6: pathLen 0, EKU serverAuth only (BR 7.1.2.10.6 and Chrome's root program
  // policy: serverAuth-only hierarchies).
  const extensions = [
    basicConstraints(true, 0),
    keyUsage(['digitalSignature', 'keyCertSign', 'cRLSign']),
    subjectKeyIdentifier(keyId),
    authorityKeyIdentifier(opts.parent.keyId),
    extKeyUsage([OID.serverAuth]),
    certificatePolicies([{ policyId: OID.anyPolicy }]),
  ];
  if (opts.urls) {
    extensions.push(
      authorityInfoAccess({ caIssuers: opts.urls.parentCert }),
      crlDistributionPoints([opts.urls.parentCrl]),
    );
  }
  // A subordinate never outlives its parent (RFC 5280 §6.1.3 a.2 checks each link's validity).
  const notAfter = Math.min(addYears(notBefore, ISSUING_YEARS) - 1000, opts.parent.notAfter);
  const tbs = buildTbs({
    serial: generateSerial(opts.random),
    signatureAlgorithm: opts.parent.signer.signatureAlgorithm,
    issuer: opts.parent.subjectDer,
    notBefore,
    notAfter,
    subject,
    spki: signer.spki,
    extensions,
  });
  return material(assembleCertificate(tbs, opts.parent.signer), key, signer, subject, keyId);
}

/** A root and one issuing CA under it, as a first start creates them. */
export async function createHierarchy(
  opts: HierarchyOptions,
): Promise<{ root: IssuerMaterial; issuing: IssuerMaterial }> {
  const subject: CaSubjectOptions = { organization: opts.organization ?? 'certdesk', country: opts.country ?? 'XX' };
  const base = { algorithm: opts.algorithm, now: opts.now, random: opts.random, ...subject };
  const root = await createRoot({ ...base, commonName: opts.rootName ?? 'certdesk Root CA R1' });
  const publicUrl = opts.publicUrl?.replace(/\/+$/, '');
  const issuing = await createIssuingCa({
    ...base,
    commonName: opts.issuingName ?? 'certdesk Issuing CA E1',
    parent: loadIssuer(root.certDer, root.privateKeyPkcs8Der),
    ...(publicUrl === undefined
      ? {}
      : { urls: { parentCert: `${publicUrl}/ca/root.cer`, parentCrl: `${publicUrl}/crl/root.crl` } }),
  });
  return { root, issuing };
}

function material(certDer: Buffer, key: KeyObject, signer: Signer, subjectDer: Buffer, keyId: Buffer): IssuerMaterial {
  return {
    certDer,
    privateKeyPkcs8Der: key.export({ type: 'pkcs8', format: 'der' }),
    algorithm: signer.algorithm,
    subjectDer,
    spki: signer.spki,
    keyId,
  };
}

interface CertificateFields {
  subjectDer: Buffer;
  spki: Buffer;
  notBefore: number;
  notAfter: number;
  subjectKeyId: Buffer | undefined;
}

/** Locates the TBS fields we need (RFC 5280 §4.1), keeping the subject as its exact bytes. */
function readCertificateFields(certDer: Buffer): CertificateFields {
  const [tbs] = readChildren(readDer(certDer));
  if (!tbs) throw new DerError('certificate has no tbsCertificate');
  const fields = readChildren(tbs);
  const start = fields[0] && isTag(fields[0], 0xa0) ? 1 : 0; // optional [0] version
  // serialNumber, signature, issuer, validity, subject, subjectPublicKeyInfo, then optional parts.
  const [, , , validity, subject, spki, ...rest] = fields.slice(start);
  if (!validity || !subject || !spki) throw new DerError('tbsCertificate is truncated');
  const [notBefore, notAfter] = readChildren(validity);
  if (!notBefore || !notAfter) throw new DerError('validity is truncated');
  let subjectKeyId: Buffer | undefined;
  const extensions = rest.find((n) => isTag(n, 0xa3));
  for (const ext of extensions ? readChildren(readExplicit(extensions)) : []) {
    const parts = readChildren(ext);
    const id = parts[0];
    const value = parts[parts.length - 1];
    if (id && value && decodeOid(id) === OID.subjectKeyIdentifier) {
      // extnValue OCTET STRING wraps the DER of KeyIdentifier ::= OCTET STRING.
      subjectKeyId = Buffer.from(decodeOctetString(readDer(decodeOctetString(value))));
    }
  }
  return {
    subjectDer: Buffer.from(encodingOf(subject)),
    spki: Buffer.from(encodingOf(spki)),
    notBefore: decodeX509Time(notBefore),
    notAfter: decodeX509Time(notAfter),
    subjectKeyId,
  };
}

function isTag(node: Tlv, identifier: number): boolean {
  return node.buf[node.start] === identifier;
}

/**
 * An Issuer from a CA certificate and its PKCS #8 private key. Checks that the key belongs
 * to the certificate and that the certificate is a CA, so a misconfiguration fails at
 * start-up rather than as unverifiable certificates.
 */
export function loadIssuer(certDer: Buffer, privateKeyPkcs8Der: Buffer): Issuer {
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(certDer);
  } catch (cause) {
    throw new CertError('bad_certificate', 'issuer certificate cannot be parsed', { cause });
  }
  if (!x509.ca) throw new CertError('bad_certificate', 'issuer certificate is not a CA certificate');
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: privateKeyPkcs8Der, format: 'der', type: 'pkcs8' });
  } catch (cause) {
    throw new CertError('bad_key', 'issuer private key cannot be read', { cause });
  }
  if (!x509.checkPrivateKey(key)) throw new CertError('bad_key', 'issuer private key does not match its certificate');
  const signer = createKeySigner(key);
  let f: CertificateFields;
  try {
    f = readCertificateFields(certDer);
  } catch (cause) {
    throw new CertError('bad_certificate', 'issuer certificate cannot be parsed', { cause });
  }
  return {
    certDer,
    subjectDer: f.subjectDer,
    spki: f.spki,
    keyId: f.subjectKeyId ?? computeKeyId(f.spki),
    algorithm: signer.algorithm,
    notBefore: f.notBefore,
    notAfter: f.notAfter,
    signer,
  };
}
