// CRLs over plain HTTP at the URLs certificates carry (RFC 5280 §4.2.1.13: DER,
// application/pkix-crl per RFC 2585 §4.2): `/crl/<stem>.crl` is an issuer's full CRL,
// `/crl/<stem>-p<n>.crl` its partition n (stems: src/app/ca-bootstrap.ts, e.g. `issuing`,
// `root`, `issuing-2`). The worker builds and stores them (src/status/publish-crl.ts); a
// request only reads the latest stored one.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Clock } from '../../domain/ports.js';
import type { CrlRow } from '../../store/schema.js';
import type { PublicReadView } from '../../store/views.js';
import { sendBytes } from './handler.js';

const NAME = /^([a-z0-9-]+?)(?:-p(0|[1-9][0-9]{0,3}))?\.crl$/;

/** Caches may keep a CRL this long, never past its nextUpdate: a new one follows a revocation within minutes. */
export const CRL_MAX_AGE_SECONDS = 3600;

/** Serves every issuer's CRLs at /crl/<stem>.crl and /crl/<stem>-p<n>.crl. */
export function crlHandler(
  store: PublicReadView,
  issuers: ReadonlyArray<{ id: number; stem: string }>,
  clock: Clock,
): FastifyPluginAsyncTypebox {
  const byStem = new Map<string, number>();
  for (const i of issuers) {
    if (!/^[a-z0-9-]+$/.test(i.stem)) throw new Error(`bad CRL path stem ${i.stem}`);
    byStem.set(i.stem, i.id);
  }
  // The bytes of the latest CRL per issuer and scope, reused while the stored number is
  // unchanged (a large CRL is not read from the store per request; another process may
  // publish, hence the number is checked each time).
  const cache = new Map<string, CrlRow>();
  return async (app) => {
    app.get('/crl/:name', async (req, reply) => {
      const name = (req.params as { name: string }).name;
      // `issuing-2.crl` is issuer issuing-2's full CRL, `issuing-p2.crl` partition 2 of `issuing`.
      let issuerId = byStem.get(name.replace(/\.crl$/, ''));
      let partition = -1;
      if (issuerId === undefined) {
        const m = NAME.exec(name);
        if (m && m[2] !== undefined && byStem.has(m[1]!)) {
          issuerId = byStem.get(m[1]!);
          partition = Number(m[2]);
        }
      }
      if (issuerId === undefined || !name.endsWith('.crl')) return reply.callNotFound();
      const key = `${issuerId}:${partition}`;
      const head = await store.repos.crls.header(issuerId, partition);
      let row = cache.get(key);
      if (head && (!row || row.crl_number !== head.crl_number)) {
        row = await store.repos.crls.latest(issuerId, partition);
        if (row) cache.set(key, row);
      }
      if (!head || !row) return reply.code(404).type('text/plain; charset=utf-8').send('no CRL is published here\n');
      const untilNext = Math.floor((row.next_update - clock.now()) / 1000);
      return sendBytes(reply, 'application/pkix-crl', row.der, Math.max(0, Math.min(CRL_MAX_AGE_SECONDS, untilNext)));
    });
  };
}
