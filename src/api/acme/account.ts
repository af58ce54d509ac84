// The account URL (RFC 8555 §7.3.2, §7.3.6) and its orders list (§7.1.2.1).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { acmeOrderStatus, acmeAuthorizationStatus } from '../../domain/acme.js';
import { problem, verifyRequest, requirePostAsGet } from './jws.js';
import { accountJson } from './views.js';
import { postOnly, sendJson, type AcmeRoute } from './reply.js';

const PAGE = 100;

export function account(app: FastifyInstance, { deps, urls }: AcmeRoute): void {
  const own = async (request: FastifyRequest) => {
    const v = await verifyRequest(deps, urls, request, 'kid');
    const { id } = request.params as { id: string };
    if (v.account!.urlId !== id) throw problem('unauthorized', 'The kid is not this account.', {}, 'unauthorized');
    return v;
  };
  postOnly(app, '/acme/acct/:id', 'account', async (request, reply) => {
    const v = await own(request);
    const updated = v.payload === '' ? v.account! : await v.engine.updateAcmeAccount(v.account!, v.payload);
    return sendJson(reply, 200, accountJson(updated, urls), { location: urls.account(updated.urlId) });
  });
  postOnly(app, '/acme/acct/:id/orders', 'orders', async (request, reply) => {
    const v = await own(request);
    requirePostAsGet(v);
    const cursor = Number((request.query as { cursor?: string }).cursor ?? NaN);
    const now = deps.clock.now();
    const recs = await deps.reads.repos.acme.listOrders(
      v.account!.id,
      PAGE + 1,
      Number.isInteger(cursor) ? cursor : undefined,
    );
    const page = recs.slice(0, PAGE);
    const listed: string[] = [];
    for (const r of page) {
      const authz = await deps.reads.repos.acme.authorizationsForOrder(r.order.id);
      const status = acmeOrderStatus(
        { state: r.order.state, deleted: r.deleted },
        r.link,
        authz.map((a) => acmeAuthorizationStatus(a.authorization, a.link, now)),
        now,
      );
      // §7.1.2.1 as Let's Encrypt reads it: orders still in play, and valid ones (revoked ones' certificates are no longer usable).
      if (status !== 'invalid' && r.order.state !== 'revoked') listed.push(urls.order(r.link.urlId));
    }
    const headers: Record<string, string> = {};
    if (recs.length > PAGE)
      headers.link = `<${urls.accountOrders(v.account!.urlId)}?cursor=${page[page.length - 1]!.link.id}>;rel="next"`;
    return sendJson(reply, 200, { orders: listed }, headers);
  });
}
