// POST /v1/revoke-by-key: revocation by proof of key possession (src/orders/revoke-by-key.ts).
// JSON in, JSON out, errors in CAS form so one client library reads both APIs.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { CertError } from '../../domain/errors.js';
import type { OrderDeps } from '../../orders/deps.js';
import { revokeWithKeyProof } from '../../orders/revoke-by-key.js';
import { renderCasError, sendJson, toCertError } from '../cas/render.js';
import type { PublicHandler } from './handler.js';

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  let text = '';
  for await (const chunk of req as AsyncIterable<Buffer>) {
    text += chunk.toString('utf8');
    if (text.length > 64 * 1024) throw new CertError('invalid_parameter', 'The request body is too large.');
  }
  try {
    const v = JSON.parse(text) as unknown;
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw new CertError('invalid_parameter', 'The request body must be a JSON object.');
}

function field(body: Record<string, unknown>, name: string): string {
  const v = body[name];
  if (typeof v !== 'string' || v === '') throw new CertError('missing_parameter', `The field ${name} is required.`);
  return v;
}

export function revokeByKeyHandler(deps: OrderDeps, hostId: string): PublicHandler {
  return async (req, res, path) => {
    if (path !== '/v1/revoke-by-key' || req.method !== 'POST') return false;
    const requestId = randomUUID().toUpperCase();
    try {
      const body = await readJson(req);
      const r = await revokeWithKeyProof(deps, {
        certificatePem: field(body, 'Certificate'),
        reason: typeof body.Reason === 'string' && body.Reason !== '' ? body.Reason : 'unspecified',
        timestamp: field(body, 'Timestamp'),
        signature: field(body, 'Signature'),
      });
      sendJson(res, 200, { RequestId: requestId, CertificateId: r.certificateId, SerialNo: r.serial });
    } catch (e) {
      const err = toCertError(e);
      if (err.kind === 'internal')
        deps.logger.log('error', 'revoke-by-key failed', {
          requestId,
          error: String((err.cause as Error)?.stack ?? err.cause),
        });
      const r = renderCasError(err, requestId, hostId);
      sendJson(res, r.status, r.body, r.headers);
    }
    return true;
  };
}
