// The OCSP responder over HTTP (RFC 6960 Appendix A.1; RFC 5019 §5-§6), at the URL that
// certificates carry in AIA (`<public>/ocsp`):
//   GET  /ocsp/<url-encoded base64 of the DER OCSPRequest>   (cacheable)
//   POST /ocsp   with Content-Type application/ocsp-request   (not cacheable)
// Answers are application/ocsp-response with status 200, OCSP errors included
// (malformedRequest, unauthorized: the body says what went wrong, RFC 6960 §2.3).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { getOcspResponseDer, type OcspAnswer, type OcspDeps } from '../../orders/ocsp-responses.js';
import { ocspErrorResponse } from '../../ca/ocsp.js';
import type { PublicHandler } from './handler.js';

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

function readBody(req: IncomingMessage): Promise<Buffer | 'too-large'> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > MAX_REQUEST_BYTES) {
      resolve('too-large');
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_REQUEST_BYTES) {
        req.removeAllListeners('data');
        req.pause();
        resolve('too-large');
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function send(
  res: ServerResponse,
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
    if (ifNoneMatch === answer.etag) {
      res.writeHead(304, headers);
      res.end();
      return;
    }
  } else {
    headers['cache-control'] = 'no-store';
  }
  headers['content-length'] = answer.der.length;
  res.writeHead(200, headers);
  res.end(answer.der);
}

/**
 * Serves OCSP at /ocsp (POST) and /ocsp/<request> (GET, HEAD) for every issuer in `issuers`
 * (the active one first; retired ones still answer for their certificates): a request goes
 * to the first issuer its CertIDs name, unauthorized when none (RFC 6960 §2.3).
 */
export function ocspHandler(issuers: OcspDeps | readonly OcspDeps[]): PublicHandler {
  const all = Array.isArray(issuers) ? (issuers as readonly OcspDeps[]) : [issuers as OcspDeps];
  const deps = all[0]!;
  const lookUp = async (der: Buffer): Promise<OcspAnswer> => {
    let answer: OcspAnswer | undefined;
    for (const d of all) {
      answer = await getOcspResponseDer(d, der);
      if (answer.status !== 'unauthorized') return answer;
    }
    return answer!;
  };
  const respond = async (res: ServerResponse, der: Buffer | undefined, cacheable: boolean, ifNoneMatch?: string) => {
    let answer: OcspAnswer;
    try {
      answer =
        der === undefined
          ? { der: ocspErrorResponse('malformedRequest'), status: 'malformedRequest' }
          : await lookUp(der);
    } catch (e) {
      // The store is unreachable or similar: RFC 6960 §2.3 tryLater, never a guess.
      deps.logger.log('warn', 'OCSP lookup failed', { error: String(e) });
      answer = { der: ocspErrorResponse('tryLater'), status: 'tryLater' };
    }
    send(res, answer, cacheable, deps.clock.now(), ifNoneMatch);
  };

  return async (req, res, path) => {
    if (path !== OCSP_PATH && !path.startsWith(`${OCSP_PATH}/`)) return false;
    const bare = path === OCSP_PATH || path === `${OCSP_PATH}/`;
    if (req.method === 'POST' && bare) {
      const body = await readBody(req);
      if (body === 'too-large') {
        res.writeHead(413, { 'content-type': 'text/plain', connection: 'close' });
        res.end('OCSP request too large\n');
        return true;
      }
      await respond(res, body, false);
      return true;
    }
    if ((req.method === 'GET' || req.method === 'HEAD') && !bare) {
      await respond(res, decodeGetPath(path.slice(OCSP_PATH.length + 1)), true, req.headers['if-none-match']);
      return true;
    }
    if (req.method === 'GET' || req.method === 'HEAD') {
      // GET without a request in the path.
      await respond(res, undefined, false);
      return true;
    }
    res.writeHead(405, { 'content-type': 'text/plain', allow: 'GET, HEAD, POST' });
    res.end('use GET /ocsp/<request> or POST /ocsp\n');
    return true;
  };
}
