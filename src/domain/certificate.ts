// A certificate as the engine sees it: issued by certdesk (one per order) or uploaded by a
// customer. Rows are decoded in one place (store/mappers.ts).
import { createHash, X509Certificate } from 'node:crypto';

/**
 * intent: the to-be-signed certificate is recorded, not yet signed (phase 1 of issuance);
 * issued: signed and stored. An intent is never shown or listed.
 */
export type CertificateState = 'intent' | 'issued';
export type CertificateSource = 'issued' | 'upload';

export interface Certificate {
  id: number;
  accountId: number;
  /** The order it was issued for; null for uploads. One certificate per order, ever. */
  orderId: number | null;
  source: CertificateSource;
  name: string;
  /** Hex, upper-case. */
  serial: string;
  /** The certdesk issuer; null for uploads. */
  issuerId: number | null;
  state: CertificateState;
  /** base64 DER of the recorded TBSCertificate (issued certificates). */
  tbsDer: string | null;
  /** base64 DER, once signed. */
  certDer: string | null;
  /** Uploads: the chain given with the certificate. */
  chainPem: string | null;
  /** Uploads: the private key, sealed with uploadKeyAad(id). */
  keySealed: string | null;
  /** The subject commonName; '' when the certificate has none. */
  commonName: string;
  /** The DNS names (subjectAltName). */
  sans: string[];
  issuerCn: string;
  notBefore: number;
  notAfter: number;
  sha1: string;
  sha256: string;
  orgName: string;
  country: string;
  province: string;
  city: string;
  revokedAt: number | null;
  revocationReason: number | null;
  deletedAt: number | null;
  createdAt: number;
  /** The CRL partition named in the certificate (null: the full CRL; uploads). */
  crlShard: number | null;
}

/** The associated data that binds an uploaded key's ciphertext to its certificate. */
export function uploadKeyAad(certId: number): string {
  return `cert-key:${certId}`;
}

/** SHA-1 and SHA-256 fingerprints, as CAS lists them (Fingerprint, Sha2). */
export function certificateHashes(der: Buffer): { sha1: string; sha256: string } {
  return {
    sha1: createHash('sha1').update(der).digest('hex').toUpperCase(),
    sha256: createHash('sha256').update(der).digest('hex').toUpperCase(),
  };
}

/** Fingerprints and validity of a certificate DER from elsewhere (uploads), for listing without parsing it again. */
export function certificateFacts(der: Buffer): { sha1: string; sha256: string; notBefore: number; notAfter: number } {
  const x = new X509Certificate(der);
  return { ...certificateHashes(der), notBefore: Date.parse(x.validFrom), notAfter: Date.parse(x.validTo) };
}

/** RFC 5280 Appendix A.1: ub-common-name. */
export const MAX_COMMON_NAME_LENGTH = 64;

/**
 * The subject commonName of a certificate for these names: the first name, or none ('') when
 * it does not fit ub-common-name. The commonName is optional (BR 7.1.2.7.2 v2.2.6) and, when
 * present, must repeat a subjectAltName value (BR 7.1.4.3 v2.2.6), so a longer first name is
 * certified by its subjectAltName alone.
 */
export function subjectCommonName(names: readonly string[]): string {
  const first = names[0];
  return first !== undefined && first.length <= MAX_COMMON_NAME_LENGTH ? first : '';
}
