// The authorization URL (RFC 8555 §7.5, §7.5.2): POST-as-GET, or {"status":"deactivated"}.
import type { FastifyInstance } from 'fastify';
import { problem, verifyRequest } from './jws.js';
import { authorizationJson } from './views.js';
import { postOnly, sendJson, type AcmeRoute } from './reply.js';

export function authorization(app: FastifyInstance, { deps, urls }: AcmeRoute): void {
  postOnly(app, '/acme/authz/:id', 'authorization', async (request, reply) => {
    const v = await verifyRequest(deps, urls, request, 'kid');
    const id = (request.params as { id: string }).id;
    let rec;
    if (v.payload === '') rec = await v.engine.ownAuthorization(v.account!, id);
    else if (v.payload.status === 'deactivated') rec = await v.engine.deactivateAcmeAuthorization(v.account!, id);
    else throw problem('malformed', 'An authorization can only be read or deactivated.');
    const { body, processing } = await authorizationJson(deps, urls, rec);
    return sendJson(reply, 200, body, processing ? { 'retry-after': '1' } : {});
  });
}
