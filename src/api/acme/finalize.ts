// finalize (RFC 8555 §7.4): the CSR; answered 200 (acme.sh accepts nothing else) with the order.
import type { FastifyInstance } from 'fastify';
import { verifyRequest, requirePayload } from './jws.js';
import { orderJson } from './views.js';
import { postOnly, sendJson, type AcmeRoute } from './reply.js';

export function finalize(app: FastifyInstance, { deps, urls }: AcmeRoute): void {
  postOnly(app, '/acme/order/:id/finalize', 'finalize', async (request, reply) => {
    const v = await verifyRequest(deps, urls, request, 'kid');
    const rec = await v.engine.finalizeAcmeOrder(v.account!, (request.params as { id: string }).id, requirePayload(v));
    const { body, status } = await orderJson(deps, urls, rec);
    return sendJson(reply, 200, body, {
      location: urls.order(rec.link.urlId),
      ...(status === 'processing' ? { 'retry-after': '1' } : {}),
    });
  });
}
