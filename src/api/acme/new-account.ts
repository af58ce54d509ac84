// newAccount (RFC 8555 §7.3): a JWS carrying the key (jwk); EAB required (§7.3.4). 201 for a
// new account, 200 with Location for a key that already has one.
import type { FastifyInstance } from 'fastify';
import { verifyRequest, requirePayload } from './jws.js';
import { accountJson } from './views.js';
import { postOnly, sendJson, type AcmeRoute } from './reply.js';

export function newAccount(app: FastifyInstance, { deps, urls }: AcmeRoute): void {
  postOnly(app, '/acme/new-account', 'new-account', async (request, reply) => {
    const v = await verifyRequest(deps, urls, request, 'jwk');
    const p = requirePayload(v);
    const { account, created } = await v.engine.newAcmeAccount({
      jwk: v.jwk!,
      thumbprint: v.thumbprint!,
      contact: p.contact,
      onlyReturnExisting: p.onlyReturnExisting,
      externalAccountBinding: p.externalAccountBinding,
      newAccountUrl: urls.newAccount,
    });
    return sendJson(reply, created ? 201 : 200, accountJson(account, urls), { location: urls.account(account.urlId) });
  });
}
