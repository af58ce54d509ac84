// The ACME front end (RFC 8555) as a fastify plugin: the resources, one file each, behind one
// content-type parser (application/jose+json, 64 KiB at most), with the headers every answer
// carries (§6.5 Replay-Nonce, §7.1 Link rel="index", Cache-Control: no-store) and the ACME
// error form (problems.ts) for every refusal.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Logger } from '../../domain/ports.js';
import { replyWithError } from '../edge/app.js';
import { edgeError } from '../edge/errors.js';
import { acmeErrorForm } from './problems.js';
import { acmeUrls, type AcmeFrontDeps } from './context.js';
import type { AcmeRoute } from './reply.js';
import { directory } from './directory.js';
import { newNonce } from './new-nonce.js';
import { newAccount } from './new-account.js';
import { account } from './account.js';
import { keyChange } from './key-change.js';
import { newOrder } from './new-order.js';
import { order } from './order.js';
import { finalize } from './finalize.js';
import { authorization } from './authorization.js';
import { challenge } from './challenge.js';
import { certificate } from './certificate.js';
import { revokeCert } from './revoke-cert.js';
import { renewalInfo } from './renewal-info.js';

/** RFC 8555 does not bound bodies; 64 KiB is far above any CSR or JWS a client sends. */
export const ACME_BODY_LIMIT = 64 * 1024;

const RESOURCES = [
  directory,
  newNonce,
  newAccount,
  account,
  keyChange,
  newOrder,
  order,
  finalize,
  authorization,
  challenge,
  certificate,
  revokeCert,
  renewalInfo,
];

export function acmePlugin(deps: AcmeFrontDeps, logger: Logger): FastifyPluginAsyncTypebox {
  return async (app) => {
    const urls = acmeUrls(() => deps.baseUrl);
    // Unknown paths are the listener's (app/acme-wiring.ts gives it this same form).
    app.setErrorHandler((e, request, reply) => {
      const err = edgeError(e);
      replyWithError({ name: 'acme', logger }, reply, request, err, acmeErrorForm(err, request.id));
    });
    app.removeAllContentTypeParsers();
    // Any content type is read as text (up to the limit): verifyRequest refuses the wrong
    // ones with 415 in the ACME form rather than fastify's own.
    app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: ACME_BODY_LIMIT }, (_req, body, done) =>
      done(null, body),
    );
    app.addHook('onSend', async (request, reply, payload) => {
      if (reply.getHeader('replay-nonce') === undefined) {
        reply.header('replay-nonce', await deps.nextNonce());
      }
      reply.header('cache-control', 'no-store');
      const resource = (request.routeOptions.config as { acmeResource?: string }).acmeResource ?? 'unknown';
      if (resource !== 'directory') {
        const link = reply.getHeader('link');
        const index = `<${urls.directory}>;rel="index"`;
        reply.header('link', link === undefined ? index : [...(Array.isArray(link) ? link : [String(link)]), index]);
      }
      if (deps.observe) {
        const type = reply.getHeader('content-type');
        let problemType = '';
        if (typeof type === 'string' && type.startsWith('application/problem+json') && typeof payload === 'string') {
          try {
            problemType = String((JSON.parse(payload) as { type?: string }).type ?? '').replace(/^.*:/, '');
          } catch {
            problemType = 'unknown';
          }
        }
        deps.observe(resource, problemType);
      }
      return payload;
    });
    const route: AcmeRoute = { deps, urls };
    for (const register of RESOURCES) register(app, route);
  };
}
