// The subscriber (leaf) TLS certificate profile (BR §7.1.2.7), built in
// the two phases of docs/ARCHITECTURE.md principle 4: prepareLeafTbs -> lintLeafTbs ->
// (caller records the TBS and serial durably) -> signLeaf.
//
// Speed: everything that is constant per issuer (version, signature AlgorithmIdentifier,
// issuer Name, AKI, AIA, CRL DP, EKU, keyUsage, basicConstraints, policies) is encoded once
// and cached per LeafIssuer object; a certificate is then the concatenation of those pieces
// with the few per-certificate fields (serial, validity, subject, SPKI, SAN). Treat a
// LeafIssuer as immutable: build a new object when URLs or the issuer change.

import { CertError } from '../domain/errors.js';
import { TAG, integer, oid, sequence, tlvOf, x509Time } from '../crypto/der-writer.js';
import { DerError, readChildren, readDer, readExplicit, valueOf, type Tlv } from '../crypto/der-reader.js';
import type { Issuer } from './hierarchy.js';
import {
  KEY_USAGE_BITS,
  OID,
  authorityInfoAccess,
  authorityKeyIdentifier,
  basicConstraints,
  certificatePolicies,
  crlDistributionPoints,
  decodeX509Time,
  encodeName,
  extKeyUsage,
  keyUsage,
  subjectAltName,
} from './x509.js';

export interface LeafSubject {
  /** Omitted: the first dNSName (when it fits 64 characters). '' : no commonName at all. */
  commonName?: string;
  organization?: string;
  country?: string;
  province?: string;
  locality?: string;
}

export interface LeafRequest {
  /** Positive big-endian serial with ≥64 random bits (see generateSerial in src/ca/serial.ts). */
  serial: Buffer;
  notBefore: number;
  notAfter: number;
  /** Subscriber SubjectPublicKeyInfo DER (already checked by the CSR/key policy). */
  spki: Buffer;
  dnsNames: string[];
  /** iPAddress SANs (RFC 8738 §3, BR §7.1.2.7.12): IPv4 dotted or IPv6 RFC 5952 text. */
  ipAddresses?: string[];
  policy: 'dv' | 'ov';
  subject?: LeafSubject;
  /** Decides keyUsage (BR §7.1.2.7.11): EC digitalSignature; RSA digitalSignature + keyEncipherment. */
  keyType: 'rsa' | 'ec';
}

export interface LeafIssuer {
  issuer: Issuer;
  caIssuersUrl: string;
  crlUrl: string;
  ocspUrl?: string;
}

// RFC 5280 Appendix A.1 upper bounds.
const UB_COMMON_NAME = 64;
const UB_ORGANIZATION = 64;
const UB_LOCALITY = 128;
const UB_STATE = 128;

interface LeafTemplate {
  /** [0] version v3, serial goes after it. */
  version: Buffer;
  /** signature AlgorithmIdentifier || issuer Name. */
  signatureAndIssuer: Buffer;
  signatureAlgorithm: Buffer;
  keyUsageEc: Buffer;
  keyUsageRsa: Buffer;
  /** extKeyUsage, basicConstraints, AKI, AIA: the extensions between keyUsage and SAN. */
  middleExtensions: Buffer;
  policiesDv: Buffer;
  policiesOv: Buffer;
  crlDp: Buffer;
}

const templates = new WeakMap<LeafIssuer, LeafTemplate>();

function templateFor(li: LeafIssuer): LeafTemplate {
  let t = templates.get(li);
  if (t) return t;
  const aiaOpts: { caIssuers: string; ocsp?: string } = { caIssuers: li.caIssuersUrl };
  if (li.ocspUrl !== undefined) aiaOpts.ocsp = li.ocspUrl;
  t = {
    version: Buffer.from([0xa0, 0x03, 0x02, 0x01, 0x02]),
    signatureAndIssuer: Buffer.concat([li.issuer.signer.signatureAlgorithm, li.issuer.subjectDer]),
    signatureAlgorithm: li.issuer.signer.signatureAlgorithm,
    keyUsageEc: keyUsage(['digitalSignature']),
    keyUsageRsa: keyUsage(['digitalSignature', 'keyEncipherment']),
    // BR §7.1.2.7.10: serverAuth only (Chrome root policy: serverAuth-only hierarchies).
    middleExtensions: Buffer.concat([
      extKeyUsage([OID.serverAuth]),
      basicConstraints(false),
      authorityKeyIdentifier(li.issuer.keyId),
      authorityInfoAccess(aiaOpts),
    ]),
    // BR §7.1.2.7.9: exactly one reserved policy OID, no qualifier needed.
    policiesDv: certificatePolicies([{ policyId: OID.domainValidated }]),
    policiesOv: certificatePolicies([{ policyId: OID.organizationValidated }]),
    // BR §7.1.2.11.2: one distribution point, an HTTP URL of the full CRL.
    crlDp: crlDistributionPoints([li.crlUrl]),
  };
  templates.set(li, t);
  return t;
}

function invalid(message: string): CertError {
  return new CertError('invalid_parameter', message);
}

function checkLength(value: string, max: number, what: string): string {
  if (value.length === 0 || value.length > max) throw invalid(`${what} must be 1 to ${max} characters`);
  return value;
}

/** Subject Name per BR §7.1.2.7.2 (DV) / §7.1.2.7.4 (OV), attributes in BR §7.1.4.2 order. */
function leafSubject(req: LeafRequest): Buffer {
  const s = req.subject ?? {};
  const rdns: Array<[string, string]> = [];
  if (req.policy === 'ov') {
    if (s.organization === undefined || s.country === undefined)
      throw invalid('OV certificates need organization and country');
    if (s.province === undefined && s.locality === undefined)
      throw invalid('OV certificates need a province or a locality');
    if (!/^[A-Z]{2}$/.test(s.country)) throw invalid('country must be two capital letters (ISO 3166-1)');
    rdns.push([OID.countryName, s.country]);
    if (s.province !== undefined) rdns.push([OID.stateOrProvinceName, checkLength(s.province, UB_STATE, 'province')]);
    if (s.locality !== undefined) rdns.push([OID.localityName, checkLength(s.locality, UB_LOCALITY, 'locality')]);
    rdns.push([OID.organizationName, checkLength(s.organization, UB_ORGANIZATION, 'organization')]);
  }
  // DV subjects carry no identity attributes (§7.1.2.7.2); a CSR's O/L/ST are not copied.
  const cn = commonNameFor(req, s.commonName);
  if (cn !== undefined) rdns.push([OID.commonName, cn]);
  return encodeName(rdns);
}

function commonNameFor(req: LeafRequest, requested: string | undefined): string | undefined {
  if (requested === '') return undefined;
  if (requested === undefined) {
    // Like Let's Encrypt: the first name, unless it does not fit ub-common-name (or there is
    // none: a certificate for IP addresses only has an empty subject, RFC 5280 §4.2.1.6).
    const first = req.dnsNames[0];
    return first !== undefined && first.length <= UB_COMMON_NAME ? first : undefined;
  }
  checkLength(requested, UB_COMMON_NAME, 'commonName');
  // BR §7.1.4.3: a commonName must repeat one of the subjectAltName values.
  if (!req.dnsNames.some((n) => n.toLowerCase() === requested.toLowerCase()))
    throw invalid('commonName must be one of the DNS names');
  return requested;
}

const EMPTY_NAME = Buffer.from([0x30, 0x00]);

/** Phase 1: the to-be-signed certificate, ready to be linted and recorded before signing. */
export function prepareLeafTbs(li: LeafIssuer, req: LeafRequest): Buffer {
  const t = templateFor(li);
  const ips = req.ipAddresses ?? [];
  if (req.dnsNames.length + ips.length === 0) throw invalid('at least one DNS name or IP address is required');
  const seen = new Set<string>();
  for (const n of [...req.dnsNames, ...ips]) {
    const k = n.toLowerCase();
    if (seen.has(k)) throw invalid('names must not repeat');
    seen.add(k);
  }
  if (!Buffer.isBuffer(req.serial) || req.serial.length === 0) throw invalid('serial is required');
  // The key itself was vetted with the CSR (src/policy/key-rules.ts); here only make sure it is
  // one whole DER SEQUENCE, so that it cannot corrupt the TBS around it.
  let spkiOk: boolean;
  try {
    spkiOk = req.spki[0] === TAG.SEQUENCE && readDer(req.spki).end === req.spki.length;
  } catch {
    spkiOk = false;
  }
  if (!spkiOk) throw new CertError('bad_key', 'public key is not a SubjectPublicKeyInfo');
  const subject = leafSubject(req);
  const subjectEmpty = subject.equals(EMPTY_NAME);

  // Extension order follows common public CAs; DER does not constrain it.
  const extensions = tlvOf(0xa3, [
    tlvOf(TAG.SEQUENCE, [
      req.keyType === 'ec' ? t.keyUsageEc : t.keyUsageRsa,
      t.middleExtensions,
      // RFC 5280 §4.2.1.6 / BR §7.1.2.7.12: critical iff the subject is empty.
      subjectAltName(req.dnsNames, subjectEmpty, ips),
      req.policy === 'ov' ? t.policiesOv : t.policiesDv,
      t.crlDp,
    ]),
  ]);
  return tlvOf(TAG.SEQUENCE, [
    t.version,
    integer(req.serial),
    t.signatureAndIssuer,
    sequence(x509Time(req.notBefore), x509Time(req.notAfter)),
    subject,
    req.spki,
    extensions,
  ]);
}

/** Phase 2: sign a (linted, recorded) TBS; returns the certificate DER. */
export function signLeaf(li: LeafIssuer, tbs: Buffer): Buffer {
  const t = templateFor(li);
  const signature = li.issuer.signer.sign(tbs);
  return tlvOf(TAG.SEQUENCE, [tbs, t.signatureAlgorithm, tlvOf(TAG.BIT_STRING, [ZERO_OCTET, signature])]);
}

const ZERO_OCTET = Buffer.from([0]);

// ---- Pre-issuance lint (BR §4.3.1.2, ballot SC-075; CA/Browser Forum Baseline Requirements v2.1) ----
//
// Cheap structural checks of the TBS against this profile, run before anything is signed.
// A failure is our bug, not the client's, hence CertError 'internal'.

function lintFail(what: string): never {
  throw new CertError('internal', `lint: ${what}`);
}

// OIDs compared by their content octets (no decoding on the hot path).
function oidKey(dotted: string): string {
  return oid(dotted).subarray(2).toString('latin1');
}
const K = {
  commonName: oidKey(OID.commonName),
  countryName: oidKey(OID.countryName),
  localityName: oidKey(OID.localityName),
  stateOrProvinceName: oidKey(OID.stateOrProvinceName),
  organizationName: oidKey(OID.organizationName),
  keyUsage: oidKey(OID.keyUsage),
  extKeyUsage: oidKey(OID.extKeyUsage),
  basicConstraints: oidKey(OID.basicConstraints),
  authorityKeyIdentifier: oidKey(OID.authorityKeyIdentifier),
  authorityInfoAccess: oidKey(OID.authorityInfoAccess),
  subjectAltName: oidKey(OID.subjectAltName),
  certificatePolicies: oidKey(OID.certificatePolicies),
  crlDistributionPoints: oidKey(OID.crlDistributionPoints),
  serverAuth: oidKey(OID.serverAuth),
  ocsp: oidKey(OID.ocsp),
  caIssuers: oidKey(OID.caIssuers),
  domainValidated: oidKey(OID.domainValidated),
  organizationValidated: oidKey(OID.organizationValidated),
  rsaEncryption: oidKey(OID.rsaEncryption),
  ecPublicKey: oidKey(OID.ecPublicKey),
  // RFC 6962 §3.3 embedded SCT list: allowed once CT is added.
  sctList: oidKey('1.3.6.1.4.1.11129.2.4.2'),
};
const CABF_POLICY_PREFIX = oidKey('2.23.140.1');
const ANY_POLICY = oidKey(OID.anyPolicy);
const ALLOWED_EXTENSIONS = new Set([
  K.keyUsage,
  K.extKeyUsage,
  K.basicConstraints,
  K.authorityKeyIdentifier,
  K.authorityInfoAccess,
  K.subjectAltName,
  K.certificatePolicies,
  K.crlDistributionPoints,
  K.sctList,
]);

interface ParsedExtension {
  critical: boolean;
  value: Buffer;
}

/** The identifier octet: every tag in this profile is a low tag number, so one byte names it. */
function idOf(node: Tlv): number {
  return node.buf[node.start] as number;
}

function kids(node: Tlv | undefined, id: number, what: string): Tlv[] {
  if (!node || idOf(node) !== id) lintFail(`${what} is malformed`);
  return readChildren(node);
}

/** Children of the SEQUENCE that is the whole of `der` (an extension value). */
function rootKids(der: Buffer, what: string): Tlv[] {
  return kids(readDer(der), TAG.SEQUENCE, what);
}

function oidOf(node: Tlv | undefined, what: string): string {
  if (!node || idOf(node) !== TAG.OID) lintFail(`${what} is malformed`);
  return valueOf(node).toString('latin1');
}

export function lintLeafTbs(tbs: Buffer, li: LeafIssuer): void {
  try {
    lintStructure(tbs, li);
  } catch (e) {
    if (e instanceof CertError && e.message.startsWith('lint: ')) throw e;
    if (!(e instanceof DerError)) throw e;
    throw new CertError('internal', 'lint: malformed TBS certificate', { cause: e });
  }
}

function lintStructure(tbs: Buffer, li: LeafIssuer): void {
  const issuer = li.issuer;
  const fields = kids(readDer(tbs), TAG.SEQUENCE, 'TBS certificate');
  if (fields.length !== 8)
    lintFail('TBS must have version, serial, signature, issuer, validity, subject, key, extensions');
  const [version, serial, signature, issuerName, validity, subject, spki, extsWrapper] = fields as [
    Tlv,
    Tlv,
    Tlv,
    Tlv,
    Tlv,
    Tlv,
    Tlv,
    Tlv,
  ];

  // RFC 5280 §4.1.2.1: v3 because extensions are present.
  if (idOf(version) !== 0xa0 || !valueOf(version).equals(Buffer.from([0x02, 0x01, 0x02])))
    lintFail('version must be v3');

  // BR §7.1.2.7 / RFC 5280 §4.1.2.2: positive, minimal, ≤20 octets, ≥64 bits.
  if (idOf(serial) !== TAG.INTEGER) lintFail('serial is malformed');
  const s = valueOf(serial);
  const s0 = s[0] as number;
  if (s.length === 0 || s0 & 0x80) lintFail('serial must be positive');
  if (s.length > 1 && s0 === 0 && !((s[1] as number) & 0x80)) lintFail('serial is not minimally encoded');
  const magnitude = s0 === 0 ? s.length - 1 : s.length;
  if (magnitude < 8 || s.length > 20) lintFail('serial must be 8 to 20 octets (at least 64 random bits)');

  if (!tbs.subarray(signature.start, signature.end).equals(issuer.signer.signatureAlgorithm)) {
    lintFail('signature algorithm does not match the issuer');
  }
  // BR §7.1.2.7: issuer byte-identical to the issuing CA's subject.
  if (!tbs.subarray(issuerName.start, issuerName.end).equals(issuer.subjectDer))
    lintFail('issuer name differs from the CA subject');

  const [nb, na, extra] = kids(validity, TAG.SEQUENCE, 'validity');
  if (!nb || !na || extra) lintFail('validity is malformed');
  const notBefore = checkedTime(nb);
  const notAfter = checkedTime(na);
  if (!(notBefore < notAfter)) lintFail('notBefore must precede notAfter');
  if (notBefore < issuer.notBefore || notAfter > issuer.notAfter) lintFail('validity exceeds the issuer certificate');

  const subjectAttrs = lintSubject(subject);

  const [alg] = kids(spki, TAG.SEQUENCE, 'subjectPublicKeyInfo');
  const [algOid] = kids(alg, TAG.SEQUENCE, 'subjectPublicKeyInfo algorithm');
  const keyAlg = oidOf(algOid, 'public key algorithm');
  if (keyAlg !== K.rsaEncryption && keyAlg !== K.ecPublicKey) lintFail('public key must be RSA or EC');

  if (idOf(extsWrapper) !== 0xa3) lintFail('extensions are missing');
  const exts = new Map<string, ParsedExtension>();
  for (const ext of kids(readExplicit(extsWrapper), TAG.SEQUENCE, 'extensions')) {
    const parts = kids(ext, TAG.SEQUENCE, 'extension');
    const id = oidOf(parts[0], 'extension id');
    let critical = false;
    let valueNode = parts[1];
    if (parts.length === 3) {
      // DER: critical is present only when TRUE (X.690 §11.5).
      if (!parts[1] || !valueOf(parts[1]).equals(Buffer.from([0xff])) || idOf(parts[1]) !== TAG.BOOLEAN)
        lintFail('extension critical flag is malformed');
      critical = true;
      valueNode = parts[2];
    } else if (parts.length !== 2) lintFail('extension is malformed');
    if (!valueNode || idOf(valueNode) !== TAG.OCTET_STRING) lintFail('extension value is malformed');
    if (!ALLOWED_EXTENSIONS.has(id)) lintFail('extension not allowed in the subscriber profile');
    if (exts.has(id)) lintFail('duplicate extension');
    exts.set(id, { critical, value: valueOf(valueNode) });
  }

  const dnsNames = lintSan(exts.get(K.subjectAltName), subjectAttrs.length === 0);
  for (const [type, value] of subjectAttrs) {
    if (type === K.commonName && !dnsNames.has(value.toLowerCase()))
      lintFail('commonName is not one of the subjectAltName values');
  }
  const policy = lintPolicies(exts.get(K.certificatePolicies));
  const attrTypes = new Set(subjectAttrs.map(([t]) => t));
  if (policy === 'dv') {
    for (const t of attrTypes)
      if (t !== K.commonName && t !== K.countryName) lintFail('DV subject may hold only commonName and countryName');
  } else if (!attrTypes.has(K.organizationName) || !attrTypes.has(K.countryName)) {
    lintFail('OV subject needs organizationName and countryName');
  }
  lintEku(exts.get(K.extKeyUsage));
  lintKeyUsage(exts.get(K.keyUsage), keyAlg === K.ecPublicKey);
  lintBasicConstraints(exts.get(K.basicConstraints));
  lintAki(exts.get(K.authorityKeyIdentifier), issuer.keyId);
  const hasOcsp = lintAia(exts.get(K.authorityInfoAccess));
  const crlDp = exts.get(K.crlDistributionPoints);
  if (!crlDp && !hasOcsp) lintFail('crlDistributionPoints is required without an OCSP URL');
  if (crlDp?.critical) lintFail('crlDistributionPoints must not be critical');
}

function checkedTime(node: Tlv): number {
  const ms = decodeX509Time(node);
  // RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050.
  const year = new Date(ms).getUTCFullYear();
  if (year < 2050 !== (idOf(node) === TAG.UTC_TIME)) lintFail('time uses the wrong ASN.1 type for its year');
  return ms;
}

const SUBJECT_ATTRIBUTES = new Set([
  K.commonName,
  K.countryName,
  K.localityName,
  K.stateOrProvinceName,
  K.organizationName,
]);

function lintSubject(subject: Tlv): Array<[string, string]> {
  const attrs: Array<[string, string]> = [];
  const seen = new Set<string>();
  for (const rdn of kids(subject, TAG.SEQUENCE, 'subject')) {
    const atvs = kids(rdn, TAG.SET, 'subject RDN');
    if (atvs.length !== 1) lintFail('subject RDNs must hold one attribute each');
    const [typeNode, valueNode, extra] = kids(atvs[0], TAG.SEQUENCE, 'subject attribute');
    const type = oidOf(typeNode, 'subject attribute type');
    if (!valueNode || extra) lintFail('subject attribute is malformed');
    if (!SUBJECT_ATTRIBUTES.has(type)) lintFail('subject attribute not allowed in the subscriber profile');
    if (seen.has(type)) lintFail('subject attribute repeats');
    seen.add(type);
    const value = valueOf(valueNode);
    if (type === K.countryName) {
      if (idOf(valueNode) !== TAG.PRINTABLE_STRING || !/^[A-Z]{2}$/.test(value.toString('latin1')))
        lintFail('countryName must be two letters');
    } else if (idOf(valueNode) !== TAG.UTF8_STRING && idOf(valueNode) !== TAG.PRINTABLE_STRING) {
      lintFail('subject attribute must be UTF8String or PrintableString');
    }
    const text = value.toString('utf8');
    if (text.length === 0) lintFail('subject attribute is empty');
    if (type === K.commonName && text.length > UB_COMMON_NAME) lintFail('commonName exceeds 64 characters');
    attrs.push([type, text]);
  }
  return attrs;
}

/** Returns the lower-cased dNSNames. */
function lintSan(ext: ParsedExtension | undefined, subjectEmpty: boolean): Set<string> {
  if (!ext) lintFail('subjectAltName is required');
  // RFC 5280 §4.2.1.6: critical iff the subject is empty.
  if (ext.critical !== subjectEmpty) lintFail('subjectAltName must be critical exactly when the subject is empty');
  const v = ext.value;
  const names = new Set<string>();
  const entries = rootKids(v, 'subjectAltName');
  if (entries.length === 0) lintFail('subjectAltName is empty');
  const ips = new Set<string>();
  for (const e of entries) {
    if (idOf(e) === 0x82) {
      const name = valueOf(e).toString('latin1');
      if (!/^[\x21-\x7e]+$/.test(name)) lintFail('dNSName is empty or not ASCII');
      const k = name.toLowerCase();
      if (names.has(k)) lintFail('subjectAltName repeats a name');
      names.add(k);
    } else if (idOf(e) === 0x87) {
      const len = e.end - e.valueStart;
      if (len !== 4 && len !== 16) lintFail('iPAddress has a bad length');
      const k = valueOf(e).toString('hex');
      if (ips.has(k)) lintFail('subjectAltName repeats an address');
      ips.add(k);
    } else {
      lintFail('subjectAltName may hold only dNSName and iPAddress');
    }
  }
  return names;
}

function lintPolicies(ext: ParsedExtension | undefined): 'dv' | 'ov' {
  if (!ext) lintFail('certificatePolicies is required');
  if (ext.critical) lintFail('certificatePolicies must not be critical');
  const v = ext.value;
  let reserved: string | undefined;
  let count = 0;
  for (const info of rootKids(v, 'certificatePolicies')) {
    const id = oidOf(kids(info, TAG.SEQUENCE, 'policy')[0], 'policy id');
    if (id === ANY_POLICY) lintFail('anyPolicy is not allowed');
    if (id.startsWith(CABF_POLICY_PREFIX)) {
      count++;
      reserved = id;
    }
  }
  // BR §7.1.2.7.9: exactly one CA/Browser Forum reserved policy identifier.
  if (count !== 1) lintFail('certificatePolicies must hold exactly one reserved CA/B Forum policy');
  if (reserved === K.domainValidated) return 'dv';
  if (reserved === K.organizationValidated) return 'ov';
  return lintFail('certificatePolicies reserved policy must be DV or OV');
}

function lintEku(ext: ParsedExtension | undefined): void {
  if (!ext) lintFail('extKeyUsage is required');
  if (ext.critical) lintFail('extKeyUsage must not be critical');
  const v = ext.value;
  const ids = rootKids(v, 'extKeyUsage').map((n) => oidOf(n, 'key purpose'));
  // BR §7.1.2.7.10 plus Chrome root policy: serverAuth and nothing else.
  if (ids.length !== 1 || ids[0] !== K.serverAuth) lintFail('extKeyUsage must be serverAuth only');
}

function lintKeyUsage(ext: ParsedExtension | undefined, ecKey: boolean): void {
  if (!ext) lintFail('keyUsage is required');
  if (!ext.critical) lintFail('keyUsage must be critical');
  const node = readDer(ext.value);
  if (idOf(node) !== TAG.BIT_STRING) lintFail('keyUsage is malformed');
  const content = valueOf(node);
  const bits = new Set<number>();
  for (let i = 1; i < content.length; i++) {
    for (let b = 0; b < 8; b++) if (((content[i] as number) << b) & 0x80) bits.add((i - 1) * 8 + b);
  }
  // BR §7.1.2.7.11: ECC digitalSignature MUST, keyAgreement MAY; RSA digitalSignature SHOULD, keyEncipherment MAY.
  const allowed = ecKey
    ? [KEY_USAGE_BITS.digitalSignature, KEY_USAGE_BITS.keyAgreement]
    : [KEY_USAGE_BITS.digitalSignature, KEY_USAGE_BITS.keyEncipherment];
  for (const b of bits)
    if (!(allowed as number[]).includes(b)) lintFail('keyUsage has a bit not allowed for this key type');
  if (!bits.has(KEY_USAGE_BITS.digitalSignature)) lintFail('keyUsage must include digitalSignature');
}

function lintBasicConstraints(ext: ParsedExtension | undefined): void {
  if (!ext) return; // MAY (BR §7.1.2.7.8)
  if (!ext.critical) lintFail('basicConstraints must be critical');
  const node = readDer(ext.value);
  if (idOf(node) !== TAG.SEQUENCE) lintFail('basicConstraints is malformed');
  if (node.end !== node.valueStart) lintFail('basicConstraints must have cA false');
}

function lintAki(ext: ParsedExtension | undefined, keyId: Buffer): void {
  if (!ext) lintFail('authorityKeyIdentifier is required');
  if (ext.critical) lintFail('authorityKeyIdentifier must not be critical');
  const v = ext.value;
  const [kid, extra] = rootKids(v, 'authorityKeyIdentifier');
  if (!kid || idOf(kid) !== 0x80 || extra) lintFail('authorityKeyIdentifier must hold only a keyIdentifier');
  if (!valueOf(kid).equals(keyId)) lintFail('authorityKeyIdentifier does not match the issuer');
}

/** Returns whether an OCSP URL is present. */
function lintAia(ext: ParsedExtension | undefined): boolean {
  if (!ext) lintFail('authorityInfoAccess is required');
  if (ext.critical) lintFail('authorityInfoAccess must not be critical');
  const v = ext.value;
  let ocsp = false;
  let caIssuers = false;
  for (const ad of rootKids(v, 'authorityInfoAccess')) {
    const [method, location] = kids(ad, TAG.SEQUENCE, 'access description');
    const m = oidOf(method, 'access method');
    if (!location || idOf(location) !== 0x86) lintFail('access location must be a URI');
    const url = valueOf(location).toString('latin1');
    if (!/^https?:\/\/[\x21-\x7e]+$/.test(url)) lintFail('access location must be an http(s) URL');
    if (m === K.ocsp) ocsp = true;
    else if (m === K.caIssuers) caIssuers = true;
    else lintFail('authorityInfoAccess may hold only OCSP and caIssuers');
  }
  if (!caIssuers) lintFail('authorityInfoAccess needs a caIssuers URL');
  return ocsp;
}
