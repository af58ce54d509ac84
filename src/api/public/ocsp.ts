// The OCSP responder over HTTP (RFC 6960 Appendix A.1; RFC 5019 §5-§6), at the URL that
// certificates carry in AIA (`<public>/ocsp`):
//   GET  /ocsp/<url-encoded base64 of the DER OCSPRequest>   (cacheable)
//   POST /ocsp   with Content-Type application/ocsp-request   (not cacheable)
// Answers are application/ocsp-response with status 200, OCSP errors included
// (malformedRequest, unauthorized: the body says what went wrong, RFC 6960 §2.3).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import type { Clock, Logger } from '../../domain/ports.js';
import type { OcspAnswer, OcspResponder } from '../../status/ocsp-responses.js';
import { ocspErrorResponse } from '../../ca/ocsp.js';

export const OCSP_PATH = '/ocsp';

/** Requests are ~100 bytes (RFC 5019 §2.1); 16 CertIDs with extensions stay far below this. */
const MAX_REQUEST_BYTES = 8 * 1024;
/** Upper bound on HTTP caching of a good/revoked answer, however long the response is valid. */
const MAX_AGE_CAP_SECONDS = 3600;

const CONTENT_TYPE = 'application/ocsp-response';
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

/** RFC 6960 A.1: the path after /ocsp/ is the URL-encoded base64 of the request; '/' in it may arrive raw. */
function decodeGetPath(rest: string): Buffer | undefined {
  let b64: string;
  try {
    b64 = decodeURIComponent(rest);
  } catch {
    return undefined;
  }
  // Some clients leave '+' raw and some proxies turn it into a space.
  b64 = b64.replace(/ /g, '+');
  if (!BASE64.test(b64) || b64.length > (MAX_REQUEST_BYTES * 4) / 3 + 4) return undefined;
  return Buffer.from(b64, 'base64');
}

function send(
  reply: FastifyReply,
  answer: OcspAnswer,
  cacheable: boolean,
  now: number,
  ifNoneMatch: string | undefined,
): void {
  const headers: Record<string, string | number> = { 'content-type': CONTENT_TYPE };
  if (cacheable && answer.nextUpdate !== undefined && answer.thisUpdate !== undefined && answer.etag !== undefined) {
    // RFC 5019 §6.2: max-age later than thisUpdate and earlier than nextUpdate.
    const maxAge = Math.max(0, Math.min(MAX_AGE_CAP_SECONDS, Math.floor((answer.nextUpdate - now) / 1000) - 1));
    headers['cache-control'] = `public, max-age=${maxAge}, no-transform, must-revalidate`;
    headers['last-modified'] = new Date(answer.thisUpdate).toUTCString();
    headers['expires'] = new Date(answer.nextUpdate).toUTCString();
    headers['etag'] = answer.etag;
    if (ifNoneMatch === answer.etag) return void reply.code(304).headers(headers).send();
  } else {
    headers['cache-control'] = 'no-store';
  }
  void reply.code(200).headers(headers).send(answer.der);
}

/**
 * Serves OCSP at /ocsp (POST) and /ocsp/<request> (GET, HEAD). The responder answers for
 * every issuer, current and retired (status/ocsp-responses.ts createOcspResponder).
 */
export function ocspHandler(deps: {
  responder: OcspResponder;
  clock: Clock;
  logger: Logger;
}): FastifyPluginAsyncTypebox {
  const respond = async (reply: FastifyReply, der: Buffer | undefined, cacheable: boolean, ifNoneMatch?: string) => {
    let answer: OcspAnswer;
    try {
      answer =
        der === undefined
          ? { der: ocspErrorResponse('malformedRequest'), status: 'malformedRequest' }
          : await deps.responder.answer(der);
    } catch (e) {
      // The store is unreachable or similar: RFC 6960 §2.3 tryLater, never a guess.
      deps.logger.log('warn', 'OCSP lookup failed', { error: String(e) });
      answer = { der: ocspErrorResponse('tryLater'), status: 'tryLater' };
    }
    send(reply, answer, cacheable, deps.clock.now(), ifNoneMatch);
    return reply;
  };

  return async (app) => {
    // RFC 5019 §2.1: requests are small; a larger body is refused with 413 before it is read whole.
    app.post(OCSP_PATH, { bodyLimit: MAX_REQUEST_BYTES }, async (req, reply) =>
      respond(reply, Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0), false),
    );
    app.post(`${OCSP_PATH}/`, { bodyLimit: MAX_REQUEST_BYTES }, async (req, reply) =>
      respond(reply, Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0), false),
    );
    // GET without a request in the path.
    app.get(OCSP_PATH, async (_req, reply) => respond(reply, undefined, false));
    app.get(`${OCSP_PATH}/*`, async (req, reply) => {
      // The path as sent: the router's decoding would turn an encoded '+' or '/' into another request.
      const raw = req.originalUrl.split('?')[0]!.slice(OCSP_PATH.length + 1);
      if (raw === '') return respond(reply, undefined, false);
      return respond(reply, decodeGetPath(raw), true, req.headers['if-none-match']);
    });
    const notAllowed = async (_req: unknown, reply: FastifyReply) =>
      reply
        .code(405)
        .header('allow', 'GET, HEAD, POST')
        .type('text/plain')
        .send('use GET /ocsp/<request> or POST /ocsp\n');
    app.route({ method: ['PUT', 'DELETE', 'PATCH'], url: OCSP_PATH, handler: notAllowed });
  };
}
