// The CAS API listener: served at `/` of its own host:port, because the SDK signs URI `/`
// whatever path an endpoint carries (CAS doc §2.1 "Endpoint", §10.12).
import http from 'node:http';
import type { Store } from '../../store/store.js';
import { sendJson } from './render.js';

// PEMs and keys travel in the query (CAS doc §2.1 "Large values go in the URL"): Node's
// default 16 KiB header limit answers 431 to ~17 KB of PEM, so allow 64 KiB of URL plus headers.
export const MAX_HEADER_BYTES = 64 * 1024 + 8 * 1024;

export function createApiServer(opts: {
  store: Store;
  handleCas: (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void>;
  /** Plain GET resources served beside the API: the CA certificates that AIA caIssuers names. */
  staticFiles: ReadonlyMap<string, { type: string; body: Buffer }>;
}): http.Server {
  const server = http.createServer({ maxHeaderSize: MAX_HEADER_BYTES, keepAliveTimeout: 65_000 }, (req, res) => {
    const file = req.method === 'GET' && req.url ? opts.staticFiles.get(req.url) : undefined;
    if (file) {
      res.writeHead(200, { 'content-type': file.type, 'content-length': file.body.length, 'cache-control': 'max-age=3600' });
      res.end(file.body);
      return;
    }
    if (req.url === '/healthz' && (req.method === 'GET' || req.method === 'HEAD')) {
      opts.store.ping().then(
        () => sendJson(res, 200, { status: 'ok' }),
        () => sendJson(res, 503, { status: 'store unreachable' }),
      );
      return;
    }
    void opts.handleCas(req, res);
  });
  return server;
}
