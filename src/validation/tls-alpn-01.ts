// ACME tls-alpn-01 (RFC 8737; BR §3.2.2.4.20 "TLS Using ALPN", §3.2.2.5.7 for IP addresses):
// the applicant's TLS server, asked for the `acme-tls/1` protocol under the name being
// validated, presents a self-signed certificate for exactly that name carrying the digest of
// the key authorization in a critical acmeIdentifier extension.

import { createHash, X509Certificate } from 'node:crypto';
import {
  decodeAsciiString,
  decodeBoolean,
  decodeOctetString,
  decodeOid,
  DerError,
  expectUniversal,
  isContext,
  isUniversal,
  readChildren,
  readDer,
  readExplicit,
  UniversalTag,
  valueOf,
  type Tlv,
} from '../crypto/der-reader.js';
import { BR_METHOD_TLS_ALPN_01, BR_METHOD_TLS_ALPN_01_IP } from './acme-methods.js';
import { addressOctets, isPublicAddress } from './address-guard.js';
import { failedAs, normalizeDomain, passed, quoteForReason, type CheckResult } from './check-result.js';
import { isIpIdentifier, normalizeIpIdentifier, reverseDnsName } from './ip-identifier.js';
import { isDnsLookupError, isTlsConnectError, type DnsResolver, type TlsConnector } from './ports.js';

/** The BR methods the audit trail records: a domain name, an IP address. */
export const TLS_ALPN_01_BR_METHOD = BR_METHOD_TLS_ALPN_01;
export const TLS_ALPN_01_IP_BR_METHOD = BR_METHOD_TLS_ALPN_01_IP;

/** RFC 8737 §6.2: the ALPN protocol ID of the validation handshake. */
export const ACME_TLS_ALPN_PROTOCOL = 'acme-tls/1';

/** RFC 8737 §6.1: id-pe-acmeIdentifier. */
export const ID_PE_ACME_IDENTIFIER = '1.3.6.1.5.5.7.1.31';

const SUBJECT_ALT_NAME = '2.5.29.17';

const DEFAULT_TIMEOUT_MS = 10_000;

export interface TlsAlpn01CheckOptions {
  /** A dns identifier (no wildcard) or an IP identifier. */
  identifier: string;
  keyAuthorization: string;
  /** 443 in production (RFC 8737 §3); tests point it at the challenge server. */
  port?: number;
  /** Allow loopback/private targets: only for tests against the loopback challenge server. */
  allowPrivate: boolean;
  timeoutMs?: number;
}

/** The name or address being validated, and where and how to reach it. */
type Target = { kind: 'dns'; name: string } | { kind: 'ip'; ip: string };

export async function checkTlsAlpn01(
  deps: { resolver: DnsResolver; tls: TlsConnector },
  opts: TlsAlpn01CheckOptions,
): Promise<CheckResult> {
  const port = opts.port ?? 443;
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;

  let target: Target;
  let addresses: string[];
  let servername: string;
  if (isIpIdentifier(opts.identifier)) {
    const ip = normalizeIpIdentifier(opts.identifier)!;
    target = { kind: 'ip', ip };
    // RFC 8738 §6: no DNS lookup; connect to the address, SNI is its reverse-DNS name.
    addresses = [ip];
    servername = reverseDnsName(ip);
  } else {
    const name = normalizeDomain(opts.identifier);
    // BR §3.2.2.4.20 validates one FQDN and not the names below it: no wildcard.
    if (name.startsWith('*.')) {
      return failedAs(
        'unauthorized',
        `tls-alpn-01 cannot validate the wildcard name ${name}; use dns-01 or dns-account-01.`,
        true,
      );
    }
    target = { kind: 'dns', name };
    servername = name;
    try {
      addresses = await deps.resolver.addresses(name);
    } catch (e) {
      if (isDnsLookupError(e)) return failedAs('dns', `DNS lookup for ${name} failed (${e.reason}); try again later.`);
      throw e;
    }
    if (addresses.length === 0) return failedAs('dns', `${name} has no A or AAAA record.`);
  }
  const shown = target.kind === 'dns' ? target.name : target.ip;
  const targets = opts.allowPrivate ? addresses : addresses.filter(isPublicAddress);
  if (targets.length === 0) {
    return target.kind === 'ip'
      ? failedAs('connection', `${shown} is not a public address; certdesk does not connect to it.`, true)
      : failedAs('connection', `${shown} resolves only to non-public addresses.`);
  }

  // As for HTTP: try the next address only past connection failures; once a TLS server
  // answers, its answer is the result.
  let lastConnectFailure = '';
  for (const address of targets) {
    let result;
    try {
      result = await deps.tls.handshake({
        address,
        port,
        servername,
        alpnProtocols: [ACME_TLS_ALPN_PROTOCOL],
        timeoutMs,
      });
    } catch (e) {
      if (!isTlsConnectError(e)) throw e;
      const where = `${shown} (${address}) on port ${port}`;
      switch (e.code) {
        case 'connect_failed':
        case 'bad_address':
          lastConnectFailure = `Could not connect to ${where}.`;
          continue;
        case 'timeout':
          return failedAs('connection', `The TLS handshake with ${where} did not complete within ${timeoutMs} ms.`);
        case 'no_alpn_overlap':
          return failedAs('tls', `The TLS server at ${where} does not offer the ${ACME_TLS_ALPN_PROTOCOL} protocol.`);
        case 'handshake_failed':
          return failedAs('tls', `The TLS handshake with ${where} failed.`);
      }
    }
    const where = `${shown} (${address}) on port ${port}`;
    // RFC 8737 §3: TLS 1.2 or higher (the connector also refuses older versions).
    if (result.version !== 'TLSv1.2' && result.version !== 'TLSv1.3') {
      return failedAs(
        'tls',
        `The TLS server at ${where} negotiated ${quoteForReason(result.version, 20)}; TLS 1.2 or later is required.`,
      );
    }
    // RFC 8737 §3: the server must have negotiated acme-tls/1, else this is some other
    // service's certificate, whatever it contains.
    if (result.alpnProtocol !== ACME_TLS_ALPN_PROTOCOL) {
      const got = result.alpnProtocol === undefined ? 'no protocol' : `"${quoteForReason(result.alpnProtocol, 40)}"`;
      return failedAs('tls', `The TLS server at ${where} negotiated ${got} instead of ${ACME_TLS_ALPN_PROTOCOL}.`);
    }
    return judgeCertificate(result.certificate, target, opts.keyAuthorization, where);
  }
  return failedAs('connection', lastConnectFailure);
}

interface Extension {
  critical: boolean;
  value: Buffer;
}

/**
 * RFC 8737 §3 (and RFC 8738 §6 for addresses), in order: a readable, self-signed certificate;
 * a subjectAltName holding the identifier and nothing else; a critical acmeIdentifier whose
 * value is the DER OCTET STRING of SHA-256(key authorization).
 */
function judgeCertificate(der: Buffer, target: Target, keyAuthorization: string, where: string): CheckResult {
  const bad = (why: string): CheckResult =>
    failedAs('unauthorized', `The ${ACME_TLS_ALPN_PROTOCOL} certificate from ${where} ${why}.`);

  let extensions: Map<string, Extension>;
  try {
    extensions = readExtensions(der);
  } catch (e) {
    if (e instanceof DerError) return failedAs('tls', `The certificate from ${where} could not be parsed.`);
    throw e;
  }

  // RFC 8737 §3 has the client build a self-signed certificate; certdesk insists on it: the
  // certificate names itself as issuer and its own key verifies its signature.
  let selfSigned: boolean;
  try {
    const x509 = new X509Certificate(der);
    selfSigned = x509.checkIssued(x509) && x509.verify(x509.publicKey);
  } catch {
    return failedAs('tls', `The certificate from ${where} could not be parsed.`);
  }
  if (!selfSigned) return bad('is not self-signed');

  const san = extensions.get(SUBJECT_ALT_NAME);
  if (san === undefined) return bad('has no subjectAltName');
  const sanProblem = checkSubjectAltName(san.value, target);
  if (sanProblem !== undefined) return bad(sanProblem);

  const acme = extensions.get(ID_PE_ACME_IDENTIFIER);
  if (acme === undefined) return bad('has no acmeIdentifier extension');
  // RFC 8737 §3: "The acmeIdentifier extension MUST be critical".
  if (!acme.critical) return bad('has an acmeIdentifier extension that is not marked critical');
  let digest: Buffer;
  try {
    // RFC 8737 §3: Authorization ::= OCTET STRING (SIZE (32)), DER inside extnValue.
    digest = decodeOctetString(expectUniversal(readDer(acme.value), UniversalTag.OCTET_STRING, 'acmeIdentifier'));
  } catch (e) {
    if (e instanceof DerError) return bad('has an acmeIdentifier extension that is not an OCTET STRING');
    throw e;
  }
  const expected = createHash('sha256').update(keyAuthorization, 'utf8').digest();
  if (!digest.equals(expected)) return bad('does not carry the SHA-256 digest of the key authorization');
  return passed;
}

/** The subjectAltName must hold exactly one entry, the identifier (RFC 8737 §3, RFC 8738 §6). */
function checkSubjectAltName(value: Buffer, target: Target): string | undefined {
  let names: Tlv[];
  try {
    names = readChildren(expectUniversal(readDer(value), UniversalTag.SEQUENCE, 'subjectAltName'));
  } catch (e) {
    if (e instanceof DerError) return 'has an unreadable subjectAltName';
    throw e;
  }
  const wanted = target.kind === 'dns' ? target.name : target.ip;
  if (names.length !== 1) return `must name only ${wanted} in its subjectAltName (it has ${names.length} names)`;
  const entry = names[0]!;
  try {
    if (target.kind === 'dns') {
      // dNSName [2] IA5String (RFC 5280 §4.2.1.6); DNS names compare without case.
      if (isContext(entry, 2) && decodeAsciiString(entry).toLowerCase() === target.name) return undefined;
    } else if (isContext(entry, 7) && !entry.constructed) {
      // iPAddress [7] OCTET STRING: 4 or 16 octets in network order (RFC 5280 §4.2.1.6).
      if (valueOf(entry).equals(addressOctets(target.ip)!)) return undefined;
    }
  } catch (e) {
    if (!(e instanceof DerError)) throw e;
  }
  return `does not name ${wanted} in its subjectAltName`;
}

function tbsChildren(der: Buffer): Tlv[] {
  const cert = readChildren(expectUniversal(readDer(der), UniversalTag.SEQUENCE, 'Certificate'));
  return readChildren(expectUniversal(cert[0], UniversalTag.SEQUENCE, 'tbsCertificate'));
}

/** RFC 5280 §4.1: extensions [3] EXPLICIT SEQUENCE OF Extension; each OID at most once (§4.2). */
function readExtensions(der: Buffer): Map<string, Extension> {
  const out = new Map<string, Extension>();
  const wrapper = tbsChildren(der).find((t) => isContext(t, 3) && t.constructed);
  if (wrapper === undefined) return out;
  for (const ext of readChildren(expectUniversal(readExplicit(wrapper), UniversalTag.SEQUENCE, 'extensions'))) {
    const parts = readChildren(expectUniversal(ext, UniversalTag.SEQUENCE, 'Extension'));
    const oid = decodeOid(expectUniversal(parts[0], UniversalTag.OBJECT_IDENTIFIER, 'extnID'));
    let i = 1;
    let critical = false;
    if (parts[i] !== undefined && isUniversal(parts[i]!, UniversalTag.BOOLEAN)) critical = decodeBoolean(parts[i++]!);
    const value = decodeOctetString(expectUniversal(parts[i], UniversalTag.OCTET_STRING, 'extnValue'));
    if (i + 1 !== parts.length) throw new DerError('unexpected field in Extension');
    if (out.has(oid)) throw new DerError('duplicate extension');
    out.set(oid, { critical, value });
  }
  return out;
}
