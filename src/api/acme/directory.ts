// directory (RFC 8555 §7.1.1): GET/HEAD, also POST-as-GET; no newAuthz (§7.4.1 not offered).
import type { FastifyInstance } from 'fastify';
import type { AcmeRoute } from './reply.js';
import { sendJson } from './reply.js';

export function directory(app: FastifyInstance, { deps, urls }: AcmeRoute): void {
  const body = () => ({
    newNonce: urls.newNonce,
    newAccount: urls.newAccount,
    newOrder: urls.newOrder,
    revokeCert: urls.revokeCert,
    keyChange: urls.keyChange,
    renewalInfo: urls.renewalInfo,
    meta: {
      website: deps.baseUrl,
      caaIdentities: deps.caaIdentities,
      externalAccountRequired: true,
      profiles: deps.profiles,
    },
  });
  const handler = async (_req: unknown, reply: Parameters<typeof sendJson>[0]) => sendJson(reply, 200, body());
  app.route({
    method: ['GET', 'HEAD', 'POST'],
    url: '/acme/directory',
    config: { acmeResource: 'directory' },
    handler,
  });
}
