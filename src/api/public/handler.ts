// Plain-HTTP resources for relying parties (the CA certificates that AIA caIssuers names,
// CRLs, OCSP, revoke-by-key), one fastify plugin served on the API listener while it is
// plain HTTP and on --public-listen (RFC 5280 §4.2.1.13 and §4.2.2.1 expect HTTP URLs).
// Errors are in CAS form (src/api/cas/render.ts), OCSP's own errors excepted (RFC 6960 §2.3).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';

export function sendBytes(reply: FastifyReply, type: string, body: Buffer, maxAgeSeconds: number): FastifyReply {
  return reply.type(type).header('cache-control', `public, max-age=${maxAgeSeconds}`).send(body);
}

/** Fixed files, e.g. `/ca/issuing.cer` (RFC 5280 §4.2.2.1: a DER certificate, application/pkix-cert). */
export function staticFiles(files: ReadonlyMap<string, { type: string; body: Buffer }>): FastifyPluginAsyncTypebox {
  return async (app) => {
    for (const [path, file] of files)
      app.get(path, async (_req, reply) => sendBytes(reply, file.type, file.body, 3600));
  };
}

/** The relying-party endpoints as one plugin; bodies of any type arrive as bytes (OCSP requests). */
export function relyingPartyPlugin(parts: readonly FastifyPluginAsyncTypebox[]): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
    for (const part of parts) await app.register(part);
  };
}
