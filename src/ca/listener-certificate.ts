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
