// The API port's listener, composed here: the CAS API at `/` of its own host:port (the SDK
// signs URI `/` whatever path an endpoint carries, CAS doc §2.1 "Endpoint", §10.12), plus
// /healthz and the relying-party resources (CA certificates, CRLs, OCSP, revoke-by-key).
import http from 'node:http';
import type { Store } from '../store/store.js';
import { sendJson } from '../api/cas/render.js';
import type { PublicHandler } from '../api/public/handler.js';

// PEMs and keys travel in the query (CAS doc §2.1 "Large values go in the URL"): Node's
// default 16 KiB header limit answers 431 to ~17 KB of PEM, so allow 64 KiB of URL plus headers.
export const MAX_HEADER_BYTES = 64 * 1024 + 8 * 1024;

export function createApiServer(opts: {
  store: Store;
  handleCas: (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void>;
  /** Relying-party resources served beside the API (CA certificates, CRLs, OCSP). */
  publicHandlers: readonly PublicHandler[];
}): http.Server {
  const server = http.createServer(
    { maxHeaderSize: MAX_HEADER_BYTES, keepAliveTimeout: 65_000 },
    (req, res) => void handle(req, res),
  );
  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]!;
    if (path !== '/') {
      for (const handle of opts.publicHandlers) {
        try {
          if (await handle(req, res, path)) return;
        } catch {
          if (!res.headersSent) sendJson(res, 500, { status: 'internal error' });
          return;
        }
      }
    }
    if (req.url === '/healthz' && (req.method === 'GET' || req.method === 'HEAD')) {
      opts.store.ping().then(
        () => sendJson(res, 200, { status: 'ok' }),
        () => sendJson(res, 503, { status: 'store unreachable' }),
      );
      return;
    }
    void opts.handleCas(req, res);
  }
  return server;
}
