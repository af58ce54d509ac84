// CRLs over plain HTTP at the URLs certificates carry (compliance.md §7; RFC 5280
// §4.2.1.13: DER, application/pkix-crl per RFC 2585 §4.2): `/crl/issuing.crl` is the full
// CRL, `/crl/issuing-p<n>.crl` partition n. The worker builds and stores them
// (src/orders/publish-crl.ts); a request only reads the latest stored one.
import type { Clock } from '../../domain/ports.js';
import type { CrlRow } from '../../store/schema.js';
import type { Store } from '../../store/store.js';
import { sendBytes, type PublicHandler } from './handler.js';

/** Caches may keep a CRL this long, never past its nextUpdate: a new one follows a revocation within minutes. */
export const CRL_MAX_AGE_SECONDS = 3600;

/** Serves issuer `issuerId`'s CRLs at /crl/<stem>.crl and /crl/<stem>-p<n>.crl (stems: src/app/ca-bootstrap.ts). */
export function crlHandler(store: Store, issuerId: number, clock: Clock, stem = 'issuing'): PublicHandler {
  if (!/^[a-z0-9-]+$/.test(stem)) throw new Error(`bad CRL path stem ${stem}`);
  const PATH = new RegExp(`^/crl/${stem}(?:-p(0|[1-9][0-9]{0,3}))?\\.crl$`);
  // The bytes of the latest CRL per scope, reused while the stored number is unchanged (a
  // large CRL is not read from the store per request; another process may publish, hence
  // the number is checked each time).
  const cache = new Map<number, CrlRow>();
  return async (req, res, path) => {
    const m = PATH.exec(path);
    if (!m || (req.method !== 'GET' && req.method !== 'HEAD')) return false;
    const partition = m[1] === undefined ? -1 : Number(m[1]);
    const head = await store.repos.crls.header(issuerId, partition);
    let row = cache.get(partition);
    if (head && (!row || row.crl_number !== head.crl_number)) {
      row = await store.repos.crls.latest(issuerId, partition);
      if (row) cache.set(partition, row);
    }
    if (!head || !row) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('no CRL is published here\n');
      return true;
    }
    const untilNext = Math.floor((row.next_update - clock.now()) / 1000);
    sendBytes(res, 'application/pkix-crl', row.der, Math.max(0, Math.min(CRL_MAX_AGE_SECONDS, untilNext)));
    return true;
  };
}
