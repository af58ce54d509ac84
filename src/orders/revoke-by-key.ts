// Revocation by proof of key possession: whoever holds a certificate's private key may
// revoke it, whichever account owns it (BR 4.9.2 v2.2.6: the subscriber, or a third party
// reporting key compromise; ACME's revokeCert signed with the certificate key, RFC 8555
// §7.6, is the same idea). The proof is a signature with that key over a statement naming
// the serial, the reason and a fresh time, so a captured proof cannot be used for long.
import { X509Certificate, verify } from 'node:crypto';
import { CertError } from '../domain/errors.js';
import { normalizeSerial, parseRevocationReason } from '../domain/revocation.js';
import { revokeBySerial, type RevokeBySerialDeps } from './revoke-certificate.js';

export const PROOF_WINDOW_MS = 15 * 60_000;

/** The exact bytes the key signs. */
export function revocationStatement(serialHex: string, reasonName: string, timestamp: string): Buffer {
  return Buffer.from(`certdesk-revoke\n${normalizeSerial(serialHex)}\n${reasonName}\n${timestamp}`, 'utf8');
}

export async function revokeWithKeyProof(
  deps: RevokeBySerialDeps,
  proof: { certificatePem: string; reason: string; timestamp: string; signature: string },
): Promise<{ certificateId: number; serial: string }> {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(proof.certificatePem);
  } catch {
    throw new CertError('bad_certificate', 'Certificate is not a valid PEM certificate.');
  }
  // Exactly a certificate one of certdesk's issuers signed (retired issuers included), byte for byte.
  const stored = await deps.store.repos.certificates.findIssuedBySerial(
    deps.ca.issuerIds,
    normalizeSerial(cert.serialNumber),
  );
  if (!stored?.certDer || !Buffer.from(stored.certDer, 'base64').equals(cert.raw))
    throw new CertError('not_found', 'The certificate was not issued by certdesk.');
  const reason = parseRevocationReason(proof.reason);
  const at = Date.parse(proof.timestamp);
  if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(proof.timestamp) || !Number.isFinite(at)) {
    throw new CertError('invalid_parameter', 'Timestamp must be YYYY-MM-DDThh:mm:ssZ.');
  }
  if (Math.abs(deps.clock.now() - at) > PROOF_WINDOW_MS)
    throw new CertError('timestamp_expired', 'The proof is too old or too far in the future.');
  const statement = revocationStatement(cert.serialNumber, proof.reason, proof.timestamp);
  let signature: Buffer;
  try {
    signature = Buffer.from(proof.signature, 'base64');
  } catch {
    throw new CertError('invalid_parameter', 'Signature must be base64.');
  }
  // SHA-256 with the key's own scheme: ECDSA (DER signature) or RSA PKCS#1 v1.5.
  if (!verify('sha256', statement, cert.publicKey, signature)) {
    throw new CertError('signature_mismatch', 'The signature does not prove possession of the certificate key.');
  }
  const { certificateId } = await revokeBySerial(deps, cert.serialNumber, reason);
  return { certificateId, serial: normalizeSerial(cert.serialNumber) };
}
