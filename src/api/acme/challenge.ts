// The challenge URL (RFC 8555 §7.5.1): POST {} starts validation, POST-as-GET reads it. Both
// answer with Link rel="up" (lego 4.9 finds the authorization to poll by it) and, while
// processing, an integer Retry-After.
import type { FastifyInstance } from 'fastify';
import { verifyRequest } from './jws.js';
import { challengeJson } from './views.js';
import { postOnly, sendJson, type AcmeRoute } from './reply.js';

export function challenge(app: FastifyInstance, { deps, urls }: AcmeRoute): void {
  postOnly(app, '/acme/chall/:id', 'challenge', async (request, reply) => {
    const v = await verifyRequest(deps, urls, request, 'kid');
    const id = (request.params as { id: string }).id;
    // Errata 5729: any JSON object starts it; its members are ignored.
    const { challenge: ch, authz } =
      v.payload === ''
        ? await v.engine.ownChallenge(v.account!, id)
        : await v.engine.startAcmeChallenge(v.account!, id);
    return sendJson(reply, 200, challengeJson(ch, urls), {
      link: `<${urls.authz(authz.link.urlId)}>;rel="up"`,
      ...(ch.status === 'processing' ? { 'retry-after': '1' } : {}),
    });
  });
}
