// The tls-alpn-01 side of the loopback challenge server: a TLS server on 127.0.0.1 that, asked
// for `acme-tls/1` under a registered server name, presents the validation certificate of
// RFC 8737 §3 (self-signed, one subjectAltName, a critical acmeIdentifier holding
// SHA-256(key authorization)). Each registration can break one rule so that validator tests
// see real certificates that are wrong in exactly one way.
//
// Certificates are built with the CA's own DER writer (src/ca/x509.ts), not a second library.

import { createHash, generateKeyPairSync, randomBytes, X509Certificate, type KeyObject } from 'node:crypto';
import type { AddressInfo, Socket } from 'node:net';
import tls from 'node:tls';
import { contextPrimitive, octetString, sequence } from '../crypto/der-writer.js';
import { ipAddressBytes } from '../ca/listener-certificate.js';
import { createKeySigner, type Signer } from '../ca/signer.js';
import { assembleCertificate, buildTbs, encodeName, extension, OID } from '../ca/x509.js';

/** RFC 8737 §6.1: id-pe-acmeIdentifier. */
const ID_PE_ACME_IDENTIFIER = '1.3.6.1.5.5.7.1.31';
/** RFC 8737 §6.2. */
export const ACME_TLS_1 = 'acme-tls/1';

export type SanEntry = { dns: string } | { ip: string };

export interface TlsAlpnSpec {
  /** The key authorization whose SHA-256 digest the certificate carries. */
  keyAuthorization: string;
  /** The subjectAltName entries; default: the registered server name as one dNSName. */
  san?: SanEntry[];
  /** Leave the subjectAltName extension out. */
  omitSan?: boolean;
  /** Mark the acmeIdentifier extension critical (default true, as RFC 8737 §3 requires). */
  critical?: boolean;
  /** Leave the acmeIdentifier extension out. */
  omitAcmeIdentifier?: boolean;
  /** Raw extnValue of the acmeIdentifier extension, instead of the DER OCTET STRING of the digest. */
  acmeIdentifierValue?: Buffer;
  /** Sign with a separate issuer (another name, another key) instead of self-signing. */
  notSelfSigned?: boolean;
  /** Answer acme-tls/1 with the no_application_protocol alert, as a server that does not speak it. */
  refuseAlpn?: boolean;
}

export interface AcmeTlsCertificate {
  certPem: string;
  keyPem: string;
  der: Buffer;
}

export interface TlsAlpnResponder {
  port: number;
  /** Register (or replace) what to present for SNI `servername` (a DNS name or an address's reverse name). */
  set(servername: string, spec: TlsAlpnSpec): void;
  clear(servername?: string): void;
  /** SNI values seen, in order (to check what a validator sent). */
  serverNames(): string[];
  close(): Promise<void>;
}

function normalizeName(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

function sanEntry(entry: SanEntry): Buffer {
  // RFC 5280 §4.2.1.6: dNSName [2] IA5String, iPAddress [7] OCTET STRING.
  return 'dns' in entry
    ? contextPrimitive(2, Buffer.from(entry.dns, 'latin1'))
    : contextPrimitive(7, ipAddressBytes(entry.ip));
}

// One key for every validation certificate of a process, one for the "other issuer": EC
// P-256 generation is quick, but not free on a loaded 2-core machine.
let keys: { leaf: KeyObject; issuer: KeyObject } | undefined;
function testKeys(): { leaf: KeyObject; issuer: KeyObject } {
  keys ??= {
    leaf: generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey,
    issuer: generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey,
  };
  return keys;
}

/** The certificate a tls-alpn-01 responder presents for `servername`, broken as `spec` says. */
export function acmeTlsCertificate(servername: string, spec: TlsAlpnSpec): AcmeTlsCertificate {
  const { leaf, issuer } = testKeys();
  const leafSigner = createKeySigner(leaf);
  const signer: Signer = spec.notSelfSigned === true ? createKeySigner(issuer) : leafSigner;
  const subject = encodeName([[OID.commonName, 'acme-tls-alpn-01 test responder']]);
  const issuerName = spec.notSelfSigned === true ? encodeName([[OID.commonName, 'some other issuer']]) : subject;
  const extensions: Buffer[] = [];
  if (spec.omitSan !== true) {
    const san = spec.san ?? [{ dns: servername }];
    extensions.push(extension(OID.subjectAltName, false, sequence(...san.map(sanEntry))));
  }
  if (spec.omitAcmeIdentifier !== true) {
    const digest = createHash('sha256').update(spec.keyAuthorization, 'utf8').digest();
    extensions.push(
      extension(ID_PE_ACME_IDENTIFIER, spec.critical ?? true, spec.acmeIdentifierValue ?? octetString(digest)),
    );
  }
  const now = Date.now();
  const tbs = buildTbs({
    serial: BigInt(`0x${randomBytes(8).toString('hex')}`) | 1n,
    signatureAlgorithm: signer.signatureAlgorithm,
    issuer: issuerName,
    notBefore: now - 3_600_000,
    notAfter: now + 86_400_000,
    subject,
    spki: leafSigner.spki,
    extensions,
  });
  const der = assembleCertificate(tbs, signer);
  return {
    der,
    certPem: new X509Certificate(der).toString(),
    keyPem: leaf.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

/** `host`: the loopback address to listen on (tests answer an IPv6 identifier on ::1). */
export async function startTlsAlpnResponder(port = 0, host = '127.0.0.1'): Promise<TlsAlpnResponder> {
  const registered = new Map<string, { spec: TlsAlpnSpec; context: tls.SecureContext }>();
  const seen: string[] = [];
  const fallback = acmeTlsCertificate('unknown.invalid', { keyAuthorization: '', omitAcmeIdentifier: true });
  const fallbackContext = tls.createSecureContext({ cert: fallback.certPem, key: fallback.keyPem });

  const server = tls.createServer({
    SNICallback: (servername, cb) => {
      seen.push(servername);
      cb(null, registered.get(normalizeName(servername))?.context ?? fallbackContext);
    },
    // RFC 7301 §3.2: without a protocol in common the server answers no_application_protocol.
    ALPNCallback: ({ servername, protocols }) => {
      const entry = registered.get(normalizeName(servername ?? ''));
      if (entry === undefined || entry.spec.refuseAlpn === true || !protocols.includes(ACME_TLS_1)) return undefined;
      return ACME_TLS_1;
    },
  });
  // RFC 8737 §3: the validating server closes the connection after the handshake; nothing to serve.
  server.on('secureConnection', (socket) => socket.end());
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  return {
    port: (server.address() as AddressInfo).port,
    set: (servername, spec) => {
      const name = normalizeName(servername);
      const cert = acmeTlsCertificate(name, spec);
      registered.set(name, {
        spec: { ...spec },
        context: tls.createSecureContext({ cert: cert.certPem, key: cert.keyPem }),
      });
    },
    clear: (servername) => {
      if (servername === undefined) registered.clear();
      else registered.delete(normalizeName(servername));
    },
    serverNames: () => [...seen],
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
