// newOrder (RFC 8555 §7.4): one plan unit spent through the order engine; 201 with Location.
import type { FastifyInstance } from 'fastify';
import { verifyRequest, requirePayload } from './jws.js';
import { orderJson } from './views.js';
import { postOnly, sendJson, type AcmeRoute } from './reply.js';

export function newOrder(app: FastifyInstance, { deps, urls }: AcmeRoute): void {
  postOnly(app, '/acme/new-order', 'new-order', async (request, reply) => {
    const v = await verifyRequest(deps, urls, request, 'kid');
    const rec = await v.engine.newAcmeOrder(v.account!, requirePayload(v));
    const { body } = await orderJson(deps, urls, rec);
    return sendJson(reply, 201, body, { location: urls.order(rec.link.urlId) });
  });
}
