// newNonce (RFC 8555 §7.2): HEAD 200, GET 204, empty body; the nonce itself is added to every
// answer by plugin.ts. POST-as-GET answers 200 too.
import type { FastifyInstance } from 'fastify';
import type { AcmeRoute } from './reply.js';

export function newNonce(app: FastifyInstance, _route: AcmeRoute): void {
  app.route({
    method: ['GET', 'HEAD', 'POST'],
    url: '/acme/new-nonce',
    config: { acmeResource: 'new-nonce' },
    handler: async (request, reply) => reply.code(request.method === 'GET' ? 204 : 200).send(),
  });
}
