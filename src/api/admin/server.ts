// The operator API: a separate listener (loopback by default) with its own bearer token.
// Errors use the same JSON form as the CAS API ({RequestId, Code, Message}) so that one
// client library can read both; the codes come from the same table.
import http from 'node:http';
import { randomUUID, timingSafeEqual, createHash } from 'node:crypto';
import { CertError } from '../../domain/errors.js';
import type { Logger } from '../../domain/ports.js';
import { renderCasError, sendJson, toCertError } from '../cas/render.js';
import { adminRoutes, type AdminRoute, type AdminServices } from './routes.js';

const MAX_BODY = 256 * 1024;

function tokenMatches(expected: string, header: string | undefined): boolean {
  const m = /^Bearer (.+)$/.exec(header ?? '');
  if (!m) return false;
  // Hash both sides: equal lengths for timingSafeEqual, no length leak.
  const a = createHash('sha256').update(expected).digest();
  const b = createHash('sha256').update(m[1]!).digest();
  return timingSafeEqual(a, b);
}

async function readJson(req: http.IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > MAX_BODY) throw new CertError('invalid_parameter', 'The request body is too large.');
    chunks.push(c);
  }
  if (size === 0) return {};
  try {
    const v = JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error('not an object');
    return v as Record<string, unknown>;
  } catch {
    throw new CertError('invalid_parameter', 'The request body must be a JSON object.');
  }
}

function match(
  routes: readonly AdminRoute[],
  method: string,
  path: string,
): { route: AdminRoute; args: string[] } | undefined {
  for (const route of routes) {
    if (route.method !== method) continue;
    const m = route.pattern.exec(path);
    if (m) return { route, args: m.slice(1) };
  }
  return undefined;
}

export function createAdminServer(opts: { token: string; services: AdminServices; logger: Logger }): http.Server {
  const routes = adminRoutes();
  return http.createServer((req, res) => void handle(req, res));
  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const requestId = randomUUID().toUpperCase();
    const url = new URL(req.url ?? '/', 'http://admin');
    try {
      if (url.pathname === '/healthz') {
        await opts.services.accounts.store.ping();
        sendJson(res, 200, { status: 'ok' });
        return;
      }
      if (!tokenMatches(opts.token, req.headers.authorization))
        throw new CertError('unauthorized', 'A valid operator token is required.');
      const found = match(routes, req.method ?? 'GET', url.pathname);
      if (!found) throw new CertError('not_found', 'No such operator endpoint.');
      const body = req.method === 'GET' || req.method === 'DELETE' ? {} : await readJson(req);
      const result = await found.route.run(opts.services, found.args, body, url.searchParams);
      sendJson(res, found.route.status ?? 200, { RequestId: requestId, ...result });
    } catch (e) {
      const err = toCertError(e);
      if (err.kind === 'internal')
        opts.logger.log('error', 'admin request failed', {
          requestId,
          error: String((err.cause as Error)?.stack ?? err.cause),
        });
      const r = renderCasError(err, requestId, 'certdesk-admin');
      sendJson(res, r.status, r.body, r.headers);
    }
  }
}
