// The ACME front's per-process state (built here, passed in: api/acme/context.ts): anti-replay
// nonces written to the store in batches, and account keys kept imported.
import { createPublicKey, type KeyObject } from 'node:crypto';
import type { Clock, RandomSource } from '../domain/ports.js';
import type { AcmeNonceView } from '../store/views.js';

/** Nonces written per store statement. */
export const NONCE_BATCH = 64;
/** A batch is handed out for at most this long: every nonce keeps nearly its whole lifetime. */
export const NONCE_BATCH_MAX_AGE_MS = 60_000;

/**
 * Fresh nonces (RFC 8555 §6.5), one per answer: every ACME answer carries one, so writing each
 * on its own was one INSERT per request. A batch is written in one statement before any of it
 * is handed out, so every nonce is in the store (redeemable by any process sharing it,
 * store/repos/acme.ts redeemNonce) before a client sees it; each is handed out once. Nonces
 * of a batch never handed out expire with it and are purged like spent ones.
 */
export function createNoncePool(opts: {
  store: AcmeNonceView;
  clock: Clock;
  random: RandomSource;
  lifetimeMs: number;
  batch?: number;
}): () => Promise<string> {
  const batch = opts.batch ?? NONCE_BATCH;
  let pool: string[] = [];
  let madeAt = 0;
  let refilling: Promise<void> | undefined;
  async function refill(): Promise<void> {
    const bytes = opts.random.bytes(16 * batch);
    const nonces = Array.from({ length: batch }, (_, i) => bytes.subarray(16 * i, 16 * i + 16).toString('base64url'));
    const now = opts.clock.now();
    await opts.store.repos.acme.issueNonces(nonces, now + opts.lifetimeMs);
    pool = nonces;
    madeAt = now;
  }
  return async function nextNonce(): Promise<string> {
    for (;;) {
      if (pool.length > 0 && opts.clock.now() - madeAt < NONCE_BATCH_MAX_AGE_MS) return pool.pop()!;
      refilling ??= refill().finally(() => (refilling = undefined));
      await refilling;
    }
  };
}

/** Entries kept before the oldest are dropped. */
export const ACCOUNT_KEY_CACHE_SIZE = 10_000;

/**
 * Account keys imported once per process (importing a JWK cost more than verifying the
 * signature it checks). Keyed by the RFC 7638 thumbprint stored with the key: a key change
 * gives the account another thumbprint, so an entry can never answer for another key.
 */
export function createAccountKeyCache(size = ACCOUNT_KEY_CACHE_SIZE) {
  const keys = new Map<string, KeyObject>();
  return {
    get(thumbprint: string, jwk: object): KeyObject {
      let key = keys.get(thumbprint);
      if (key === undefined) {
        key = createPublicKey({ key: jwk as never, format: 'jwk' });
        if (keys.size >= size) keys.delete(keys.keys().next().value!);
        keys.set(thumbprint, key);
      }
      return key;
    },
  };
}

export type AccountKeyCache = ReturnType<typeof createAccountKeyCache>;
