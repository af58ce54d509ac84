// The order URL (RFC 8555 §7.4): POST-as-GET; Retry-After while processing. Another account's
// order is 404 (its existence is not confirmed).
import type { FastifyInstance } from 'fastify';
import { verifyRequest, requirePostAsGet } from './jws.js';
import { orderJson } from './views.js';
import { postOnly, sendJson, type AcmeRoute } from './reply.js';

export function order(app: FastifyInstance, { deps, urls }: AcmeRoute): void {
  postOnly(app, '/acme/order/:id', 'order', async (request, reply) => {
    const v = await verifyRequest(deps, urls, request, 'kid');
    requirePostAsGet(v);
    const rec = await v.engine.ownAcmeOrder(v.account!, (request.params as { id: string }).id);
    const { body, status } = await orderJson(deps, urls, rec);
    return sendJson(reply, 200, body, {
      location: urls.order(rec.link.urlId),
      ...(status === 'processing' ? { 'retry-after': '1' } : {}),
    });
  });
}
