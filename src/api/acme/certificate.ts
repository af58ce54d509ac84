// The certificate URL (RFC 8555 §7.4.2): POST-as-GET, application/pem-certificate-chain.
import type { FastifyInstance } from 'fastify';
import { verifyRequest, requirePostAsGet } from './jws.js';
import { postOnly, type AcmeRoute } from './reply.js';

export function certificate(app: FastifyInstance, { deps, urls }: AcmeRoute): void {
  postOnly(app, '/acme/cert/:id', 'certificate', async (request, reply) => {
    const v = await verifyRequest(deps, urls, request, 'kid');
    requirePostAsGet(v);
    const pem = await v.engine.acmeCertificateChain(v.account!, (request.params as { id: string }).id);
    return reply.code(200).type('application/pem-certificate-chain').send(pem);
  });
}
