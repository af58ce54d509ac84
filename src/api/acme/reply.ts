// How ACME handlers answer: JSON with the headers RFC 8555 asks of each resource. The
// Replay-Nonce, Link rel="index" and Cache-Control headers of every answer are set once, in
// plugin.ts.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AcmeFrontDeps, AcmeUrls } from './context.js';
import { problem } from './jws.js';

export interface AcmeRoute {
  deps: AcmeFrontDeps;
  urls: AcmeUrls;
}

export type AcmeHandler = (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;

export function sendJson(
  reply: FastifyReply,
  status: number,
  body: unknown,
  headers: Record<string, string | string[]> = {},
): FastifyReply {
  reply.code(status);
  for (const [k, v] of Object.entries(headers)) reply.header(k, v);
  return reply.type('application/json').send(JSON.stringify(body));
}

/** A POST-only resource: other methods answer 405 with Allow (RFC 8555 §6.3). */
export function postOnly(app: FastifyInstance, path: string, resource: string, handler: AcmeHandler): void {
  app.post(path, { config: { acmeResource: resource } }, handler);
  app.route({
    method: ['GET', 'HEAD', 'PUT', 'DELETE', 'PATCH'],
    url: path,
    config: { acmeResource: resource },
    handler: async () => {
      throw problem(
        'malformed',
        'This resource takes POST only.',
        { status: 405, allow: 'POST' },
        'unsupported_method',
      );
    },
  });
}
