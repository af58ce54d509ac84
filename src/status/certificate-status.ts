// What the relying-party services say of one certificate right now, for the console's
// certificate page: the OCSP response certdesk's responder serves (RFC 6960 §2.2 certStatus,
// thisUpdate, nextUpdate), and the CRLs that list it once it is revoked (RFC 5280 §5: a
// CRL lists what was revoked by its thisUpdate; with partitions, the certificate's own
// partition CRL and the full CRL).
import type { Certificate } from '../domain/certificate.js';
import type { ReadView } from '../store/views.js';
import { FULL_CRL } from './publish-crl.js';

export interface OcspStatus {
  /** What the responder answers: it never serves a stored answer that misses a revocation (ocsp-responses.ts). */
  status: 'good' | 'revoked';
  revokedAt: number | null;
  /** The stored response's times, when it is the one served; null: the next request signs a fresh one. */
  thisUpdate: number | null;
  nextUpdate: number | null;
}

export interface CrlListing {
  /** FULL_CRL (-1) for the full CRL, else the partition number. */
  partition: number;
  crlNumber: number;
  thisUpdate: number;
  nextUpdate: number;
  /** Whether this CRL lists the certificate: it was published after the revocation. */
  listed: boolean;
}

export interface CertificateStatus {
  ocsp: OcspStatus;
  /** The CRLs that do (or, until their next update, will) list a revoked certificate; empty when it is not revoked. */
  crls: CrlListing[];
}

export async function certificateStatus(
  store: ReadView<'ocspResponses' | 'crls'>,
  cert: Pick<Certificate, 'id' | 'issuerId' | 'revokedAt' | 'crlShard'>,
  now: number,
): Promise<CertificateStatus> {
  const r = await store.repos.ocspResponses.findByCertificateId(cert.id);
  const revoked = cert.revokedAt !== null;
  // The lookup serves the stored response only while it is current and states the
  // certificate's revocation; otherwise it signs a fresh one on the request.
  const served =
    r && r.der !== null && (r.response_revoked_at !== null) === revoked && Number(r.next_update) > now ? r : undefined;
  const ocsp: OcspStatus = {
    status: revoked ? 'revoked' : 'good',
    revokedAt: cert.revokedAt,
    thisUpdate: served ? Number(served.this_update) : null,
    nextUpdate: served ? Number(served.next_update) : null,
  };
  if (cert.revokedAt === null || cert.issuerId === null) return { ocsp, crls: [] };
  const scopes = new Set([FULL_CRL, ...(cert.crlShard === null ? [] : [cert.crlShard])]);
  const crls = (await store.repos.crls.headers(cert.issuerId))
    .filter((h) => scopes.has(h.partition))
    .map((h) => ({
      partition: h.partition,
      crlNumber: Number(h.crl_number),
      thisUpdate: Number(h.this_update),
      nextUpdate: Number(h.next_update),
      listed: Number(h.this_update) >= cert.revokedAt!,
    }));
  return { ocsp, crls };
}
