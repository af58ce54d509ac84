// renewalInfo (RFC 9773 §4): unauthenticated GET <renewalInfo>/<certID>, certID =
// base64url(AKI keyIdentifier) "." base64url(serial DER INTEGER content octets).
import type { FastifyInstance } from 'fastify';
import { parseAriCertId } from '../../domain/acme.js';
import { problem } from './jws.js';
import { sendJson, type AcmeRoute } from './reply.js';

const DAY_MS = 86_400_000;

/** RFC 9773 §4.2 as the wire spec sets it: centred one third of the lifetime before notAfter (half under 10 days), 2 % wide. */
export function suggestedWindow(notBefore: number, notAfter: number): { start: number; end: number } {
  const life = notAfter - notBefore;
  const centre = notAfter - life / (life < 10 * DAY_MS ? 2 : 3);
  const half = (life * 0.02) / 2;
  return { start: centre - half, end: centre + half };
}

export function parseCertId(certId: string): { serialHex: string } {
  const parsed = parseAriCertId(certId);
  if (!parsed) throw problem('malformed', 'The certID is not keyIdentifier.serial in base64url.');
  return parsed;
}

const iso = (ms: number) => new Date(Math.round(ms)).toISOString().replace(/\.\d{3}Z$/, 'Z');

export function renewalInfo(app: FastifyInstance, { deps }: AcmeRoute): void {
  app.route({
    method: ['GET', 'HEAD'],
    url: '/acme/renewal-info/:certId',
    config: { acmeResource: 'renewal-info' },
    handler: async (request, reply) => {
      const { serialHex } = parseCertId((request.params as { certId: string }).certId);
      const cert = await deps.reads.repos.certificates.findIssuedBySerial(deps.issuerIds, serialHex);
      if (!cert)
        throw problem('malformed', 'No certificate with this certID was issued here.', { status: 404 }, 'not_found');
      const now = deps.clock.now();
      // A revoked certificate should be replaced now: a window already open.
      const w =
        cert.revokedAt !== null
          ? { start: now - 3_600_000, end: now - 60_000 }
          : suggestedWindow(cert.notBefore, cert.notAfter);
      // RFC 9773 §4.3: clients poll again after Retry-After (6 h, ±20 % so clients spread out).
      const retry = Math.round(21_600 * (0.8 + 0.4 * Math.random()));
      return sendJson(
        reply,
        200,
        {
          suggestedWindow: { start: iso(w.start), end: iso(w.end) },
          ...(cert.revokedAt !== null ? { explanationURL: `${deps.baseUrl}/acme/directory` } : {}),
        },
        { 'retry-after': String(retry) },
      );
    },
  });
}
