// Plain-HTTP resources for relying parties, served beside the CAS API on its port: the CA
// certificates that AIA caIssuers names, CRLs, OCSP. Each handler answers the requests it
// knows and returns false for the others.
import type { IncomingMessage, ServerResponse } from 'node:http';

export type PublicHandler = (req: IncomingMessage, res: ServerResponse, path: string) => Promise<boolean>;

export function sendBytes(res: ServerResponse, type: string, body: Buffer, maxAgeSeconds: number): void {
  res.writeHead(200, {
    'content-type': type,
    'content-length': body.length,
    'cache-control': `public, max-age=${maxAgeSeconds}`,
  });
  res.end(body);
}

/** Fixed files, e.g. `/ca/issuing.cer` (RFC 5280 §4.2.2.1: a DER certificate, application/pkix-cert). */
export function staticFiles(files: ReadonlyMap<string, { type: string; body: Buffer }>): PublicHandler {
  return async (req, res, path) => {
    const file = req.method === 'GET' || req.method === 'HEAD' ? files.get(path) : undefined;
    if (!file) return false;
    sendBytes(res, file.type, file.body, 3600);
    return true;
  };
}
