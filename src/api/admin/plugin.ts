// The operator API on the operator listener: /healthz without a token; /v1/* and /metrics
// behind the operator's bearer token (RFC 6750), compared in constant time. The console,
// mounted at /console/ with its own sessions, is a sibling plugin: this hook covers only
// the routes registered here (fastify's encapsulation).
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { CertError } from '../../domain/errors.js';
import type { Actor } from '../../domain/audit.js';
import { adminRoutes, type AdminServices } from './routes.js';

export interface Exposition {
  contentType: string;
  body: string;
}

function tokenMatches(expected: string, header: string | undefined): boolean {
  const m = /^Bearer (.+)$/.exec(header ?? '');
  if (!m) return false;
  // Hash both sides: equal lengths for timingSafeEqual, no length leak.
  const a = createHash('sha256').update(expected).digest();
  const b = createHash('sha256').update(m[1]!).digest();
  return timingSafeEqual(a, b);
}

export function operatorPlugin(opts: {
  token: string;
  services: AdminServices;
  /** Prometheus text of this process (src/app/metrics.ts), served at GET /metrics. */
  metrics?: () => Promise<Exposition>;
}): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get('/healthz', async (_req, reply) => {
      try {
        await opts.services.store.ping();
      } catch (cause) {
        throw new CertError('unavailable', 'The store is unreachable.', { cause });
      }
      return reply.send({ status: 'ok' });
    });
    const guard = async (req: { headers: { authorization?: string } }) => {
      if (!tokenMatches(opts.token, req.headers.authorization))
        throw new CertError('unauthorized', 'A valid operator token is required.');
    };
    await app.register(
      async (v1) => {
        v1.addHook('onRequest', guard);
        // Every operator call acts as the operator, from the client's address: the audit
        // trail records who acted (domain/audit.ts).
        await v1.register(
          adminRoutes((req) => {
            const actor: Actor = { kind: 'operator', id: 'api', remoteAddress: req.ip };
            const { services } = opts;
            return {
              ...services,
              accounts: services.accounts.actingAs(actor),
              orders: services.orders.actingAs(actor),
              acmeEab: services.acmeEab.actingAs(actor),
            };
          }),
        );
        // Unknown paths under /v1 need the token too: without it, nothing says which paths exist.
        v1.setNotFoundHandler(async () => {
          throw new CertError('unknown_path', 'No such operator endpoint.');
        });
      },
      { prefix: '/v1' },
    );
    const metrics = opts.metrics;
    if (metrics)
      await app.register(async (scraped) => {
        scraped.addHook('onRequest', guard);
        scraped.get('/metrics', async (_req, reply) => {
          const m = await metrics();
          return reply.type(m.contentType).header('cache-control', 'no-store').send(m.body);
        });
      });
  };
}
