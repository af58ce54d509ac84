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

export interface HierarchyOptions {
  algorithm: KeyAlgorithm;
  now: number;
  random: RandomSource;
  rootName?: string;
  issuingName?: string;
  /** organizationName of both CAs; default "certdesk". */
  organization?: string;
  /** Optional countryName (two letters); BR §7.1.2.10.2 wants it for publicly-trusted CAs. */
  country?: string;
  /** Base URL where /ca/root.cer and /crl/root.crl are served. */
  publicUrl?: string;
}

const ROOT_YEARS = 25;
const ISSUING_YEARS = 8;

function addYears(ms: number, years: number): number {
  const d = new Date(ms);
  d.setUTCFullYear(d.getUTCFullYear() + years);
  return d.getTime();
}

function caName(commonName: string, organization: string, country: string | undefined): Buffer {
  // Attribute order per BR §7.1.4.2: countryName, organizationName, commonName.
  const rdns: Array<[string, string]> = [];
  if (country !== undefined) {
    if (!/^[A-Z]{2}$/.test(country))
      throw new CertError('invalid_parameter', 'country must be two capital letters (ISO 3166-1)');
    rdns.push([OID.countryName, country]);
  }
  rdns.push([OID.organizationName, organization], [OID.commonName, commonName]);
  return encodeName(rdns);
}

export async function createHierarchy(
  opts: HierarchyOptions,
): Promise<{ root: IssuerMaterial; issuing: IssuerMaterial }> {
  const organization = opts.organization ?? 'certdesk';
  const rootSubject = caName(opts.rootName ?? 'certdesk Root CA R1', organization, opts.country);
  const issuingSubject = caName(opts.issuingName ?? 'certdesk Issuing CA E1', organization, opts.country);
  // Seconds only: certificate times carry no fractions (RFC 5280 §4.1.2.5).
  const notBefore = Math.floor(opts.now / 1000) * 1000;

  const [rootKey, issuingKey] = await Promise.all([generateKeyPair(opts.algorithm), generateKeyPair(opts.algorithm)]);
  const rootSigner = createKeySigner(rootKey);
  const issuingSigner = createKeySigner(issuingKey);
  const rootKeyId = computeKeyId(rootSigner.spki);
  const issuingKeyId = computeKeyId(issuingSigner.spki);

  // BR §7.1.2.1.2: root carries basicConstraints (cA, no pathLen), keyUsage, SKI; AKI
  // (equal to SKI) is allowed and helps path builders; no EKU, no policies.
  const rootTbs = buildTbs({
    serial: generateSerial(opts.random),
    signatureAlgorithm: rootSigner.signatureAlgorithm,
    issuer: rootSubject,
    notBefore,
    notAfter: addYears(notBefore, ROOT_YEARS) - 1000,
    subject: rootSubject,
    spki: rootSigner.spki,
    extensions: [
      basicConstraints(true),
      keyUsage(['digitalSignature', 'keyCertSign', 'cRLSign']),
      subjectKeyIdentifier(rootKeyId),
      authorityKeyIdentifier(rootKeyId),
    ],
  });
  const rootCert = assembleCertificate(rootTbs, rootSigner);

  // BR §7.1.2.6 TLS subordinate CA: pathLen 0, EKU serverAuth only (§7.1.2.10.6 and Chrome
  // root policy), the reserved DV and OV policy OIDs it may issue under (§7.1.2.10.5).
  const publicUrl = opts.publicUrl?.replace(/\/+$/, '');
  const issuingExtensions = [
    basicConstraints(true, 0),
    keyUsage(['digitalSignature', 'keyCertSign', 'cRLSign']),
    subjectKeyIdentifier(issuingKeyId),
    authorityKeyIdentifier(rootKeyId),
    extKeyUsage([OID.serverAuth]),
    certificatePolicies([{ policyId: OID.domainValidated }, { policyId: OID.organizationValidated }]),
  ];
  if (publicUrl !== undefined) {
    issuingExtensions.push(
      authorityInfoAccess({ caIssuers: `${publicUrl}/ca/root.cer` }),
      crlDistributionPoints([`${publicUrl}/crl/root.crl`]),
    );
  }
  const issuingTbs = buildTbs({
    serial: generateSerial(opts.random),
    signatureAlgorithm: rootSigner.signatureAlgorithm,
    issuer: rootSubject,
    notBefore,
    notAfter: addYears(notBefore, ISSUING_YEARS) - 1000,
    subject: issuingSubject,
    spki: issuingSigner.spki,
    extensions: issuingExtensions,
  });
  const issuingCert = assembleCertificate(issuingTbs, rootSigner);

  return {
    root: material(rootCert, rootKey, rootSigner, rootSubject, rootKeyId),
    issuing: material(issuingCert, issuingKey, issuingSigner, issuingSubject, issuingKeyId),
  };
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
