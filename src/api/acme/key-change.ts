// keyChange (RFC 8555 §7.3.5): the outer JWS by the account key, the inner by the new key.
import type { FastifyInstance } from 'fastify';
import { CertError } from '../../domain/errors.js';
import { parseJws, problem, requirePayload, verifyRequest, verifyWithJwk, publicMembers } from './jws.js';
import { accountJson } from './views.js';
import { postOnly, sendJson, type AcmeRoute } from './reply.js';
import { calculateJwkThumbprint } from 'jose';

export function keyChange(app: FastifyInstance, { deps, urls }: AcmeRoute): void {
  postOnly(app, '/acme/key-change', 'key-change', async (request, reply) => {
    const v = await verifyRequest(deps, urls, request, 'kid');
    const inner = parseJws(requirePayload(v));
    if (!('jwk' in inner.header)) throw problem('malformed', 'The inner JWS must carry the new key (jwk).');
    if ('nonce' in inner.header) throw problem('malformed', 'The inner JWS must not carry a nonce.');
    if (inner.header.url !== v.header.url) throw problem('malformed', 'The inner JWS url must equal the outer url.');
    const { jwk, thumbprint, payload } = await verifyWithJwk(inner.jws, inner.header, inner.alg);
    let body: { account?: unknown; oldKey?: unknown };
    try {
      body = JSON.parse(Buffer.from(payload).toString('utf8')) as typeof body;
    } catch {
      throw problem('malformed', 'The inner payload is not JSON.');
    }
    const acct = v.account!;
    if (body.account !== urls.account(acct.urlId))
      throw problem('malformed', 'The inner payload names another account.');
    let oldThumbprint: string;
    try {
      oldThumbprint = await calculateJwkThumbprint(publicMembers(body.oldKey as Record<string, unknown>), 'sha256');
    } catch {
      oldThumbprint = '';
    }
    if (oldThumbprint !== acct.thumbprint) throw problem('malformed', 'oldKey is not the current account key.');
    try {
      const updated = await v.engine.changeAcmeAccountKey(acct, { jwk, thumbprint });
      return sendJson(reply, 200, accountJson(updated, urls), { location: urls.account(updated.urlId) });
    } catch (e) {
      if (e instanceof CertError && typeof e.detail?.conflictUrlId === 'string')
        throw problem(
          'malformed',
          e.message,
          { status: 409, location: urls.account(e.detail.conflictUrlId) },
          'already_exists',
        );
      throw e;
    }
  });
}
