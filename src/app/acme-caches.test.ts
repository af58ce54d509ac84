// The ACME front's per-process state on a real SQLite store: nonces handed out from batches
// are each in the store before a client sees them, usable once, never handed out twice, and
// a batch is not handed out past its age limit; account keys are imported once per thumbprint.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Store } from '../store/store.js';
import { createAccountKeyCache, createNoncePool, NONCE_BATCH_MAX_AGE_MS } from './acme-caches.js';

describe('ACME nonce pool and account key cache', () => {
  let dir: string;
  let store: Store;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'certdesk-acme-caches-'));
    store = await Store.open({ kind: 'sqlite', target: join(dir, 'nonces.db') });
  });
  after(async () => {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('every nonce handed out is in the store, redeems once, and none is handed out twice', async () => {
    let now = 1_000_000;
    let batches = 0;
    const random = {
      bytes: (n: number) => {
        batches += 1;
        return randomBytes(n);
      },
    };
    const next = createNoncePool({ store, clock: { now: () => now }, random, lifetimeMs: 3_600_000, batch: 4 });
    // Ten at once: the concurrent callers share refills, and each gets its own nonce.
    const nonces = await Promise.all(Array.from({ length: 10 }, () => next()));
    assert.equal(new Set(nonces).size, 10);
    assert.equal(batches, 3, 'ten nonces from batches of four');
    for (const n of nonces) {
      assert.match(n, /^[A-Za-z0-9_-]{22}$/);
      assert.equal(await store.repos.acme.redeemNonce(n, now), true, 'in the store before it was handed out');
      assert.equal(await store.repos.acme.redeemNonce(n, now), false, 'usable once');
    }
    // Two nonces left in the current batch; once it is too old, a fresh batch is written.
    now += NONCE_BATCH_MAX_AGE_MS;
    const late = await next();
    assert.equal(batches, 4, 'an old batch is not handed out');
    assert.equal(await store.repos.acme.redeemNonce(late, now), true);
  });

  test('an account key is imported once per thumbprint', () => {
    const cache = createAccountKeyCache(2);
    const jwk = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' });
    const a = cache.get('t1', jwk);
    assert.equal(cache.get('t1', jwk), a, 'the same KeyObject again');
    assert.equal(a.asymmetricKeyType, 'ec');
    cache.get('t2', jwk);
    cache.get('t3', jwk);
    assert.notEqual(cache.get('t1', jwk), a, 'the oldest entry was dropped at the size limit');
  });
});
