// revokeCert (RFC 8555 §7.6): signed by an account (kid) or by the certificate's key (jwk).
import { createPublicKey } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { verifyRequest, requirePayload } from './jws.js';
import { postOnly, type AcmeRoute } from './reply.js';

export function revokeCert(app: FastifyInstance, { deps, urls }: AcmeRoute): void {
  postOnly(app, '/acme/revoke-cert', 'revoke-cert', async (request, reply) => {
    const v = await verifyRequest(deps, urls, request, 'either');
    const payload = requirePayload(v);
    const signer = v.account
      ? { account: v.account }
      : { spki: createPublicKey({ key: v.jwk!, format: 'jwk' }).export({ format: 'der', type: 'spki' }) };
    await v.engine.acmeRevokeCertificate(signer, payload);
    return reply.code(200).send();
  });
}
