// certdesk's own TLS server certificate for its listeners (`--tls auto`, and the ACME
// listener): a short-lived certificate from the issuing CA for the names clients use to
// reach this process, loopback ones included. It is not a subscriber certificate under an
// order: it names localhost and 127.0.0.1, which BR §7.1.2.7.12 keeps out of publicly
// trusted ones, so it lives a few days in memory only, is re-issued before it expires and
// carries no CRL or OCSP URL (a short-lived certificate, BR §4.9.1.1, needs no revocation).
import { isIP } from 'node:net';
import { contextPrimitive, sequence } from '../crypto/der-writer.js';
import { CertError } from '../domain/errors.js';
import type { Issuer } from './hierarchy.js';
import {
  OID,
  assembleCertificate,
  authorityKeyIdentifier,
  basicConstraints,
  buildTbs,
  encodeName,
  extension,
  extKeyUsage,
  ipAddressBytes,
  keyUsage,
} from './x509.js';

export interface ListenerCertificateRequest {
  serial: Buffer;
  notBefore: number;
  notAfter: number;
  /** SubjectPublicKeyInfo DER of the listener's key. */
  spki: Buffer;
  keyType: 'ec' | 'rsa';
  /** DNS names and IP addresses (IPv4 or IPv6 text), in the order given; the first is the commonName. */
  names: readonly string[];
}

// Kept here for its callers (the tls-alpn-01 responder, tests); it lives beside subjectAltName.
export { ipAddressBytes };

function generalName(name: string): Buffer {
  if (isIP(name)) return contextPrimitive(7, ipAddressBytes(name));
  if (!/^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/i.test(name))
    throw new CertError('invalid_parameter', `${name} is not a DNS name or an IP address`);
  return contextPrimitive(2, Buffer.from(name.toLowerCase(), 'latin1'));
}

/** A signed TLS server certificate (DER) for the listener's names. */
export function issueListenerCertificate(issuer: Issuer, req: ListenerCertificateRequest): Buffer {
  if (req.names.length === 0) throw new CertError('invalid_parameter', 'a listener certificate needs a name');
  const first = req.names[0]!;
  const tbs = buildTbs({
    serial: req.serial,
    signatureAlgorithm: issuer.signer.signatureAlgorithm,
    issuer: issuer.subjectDer,
    notBefore: req.notBefore,
    notAfter: req.notAfter,
    // The first DNS name as commonName for older clients; the SAN is what TLS clients check.
    subject:
      isIP(first) !== 0 || first.length > 64 ? encodeName([]) : encodeName([[OID.commonName, first.toLowerCase()]]),
    spki: req.spki,
    extensions: [
      keyUsage(req.keyType === 'ec' ? ['digitalSignature'] : ['digitalSignature', 'keyEncipherment']),
      extKeyUsage([OID.serverAuth]),
      basicConstraints(false),
      authorityKeyIdentifier(issuer.keyId),
      // RFC 5280 §4.2.1.6: critical when the subject is empty.
      extension(OID.subjectAltName, isIP(first) !== 0 || first.length > 64, sequence(...req.names.map(generalName))),
    ],
  });
  return assembleCertificate(tbs, issuer.signer);
}
