// The rate limiter over a real store (SQLite; PostgreSQL too when CERTDESK_TEST_DATABASE_URL
// is set), with a clock the test sets, so that windows are exact and nothing depends on timing.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { Store, type StoreLocation } from '../../store/store.js';
import { CertError, isCertError } from '../../domain/errors.js';
import type { Clock, Logger } from '../../domain/ports.js';
import { RATE_WINDOW_MS } from '../../policy/rate-limits.js';
import { dropTestSchema } from '../../../test/support/pg.js';
import { createRateLimiter, type RateLimiter } from './throttle.js';
import { renderCasError } from './render.js';

const require = createRequire(import.meta.url);
const { OpenApiUtil } = require('@alicloud/openapi-core') as {
  OpenApiUtil: { getThrottlingTimeLeft(h: Record<string, string>): number | undefined };
};
const $dara = require('@darabonba/typescript') as typeof import('@darabonba/typescript');

class SetClock implements Clock {
  constructor(public at: number) {}
  now(): number {
    return this.at;
  }
}

const silent: Logger = { log: () => {} };
const LIMITS = { byAction: new Map([['ListCsr', 3]]), defaultLimit: 5 };
// A window start far from "now", so that runs never meet each other's rows.
const T0 = 1_900_000_000_000;

const dir = mkdtempSync(join(tmpdir(), 'certdesk-throttle-'));
const pgUrl = process.env.CERTDESK_TEST_DATABASE_URL;
const locations: Array<[string, StoreLocation]> = [['sqlite', { kind: 'sqlite', target: join(dir, 'throttle.db') }]];
if (pgUrl)
  locations.push([
    'postgres',
    { kind: 'postgres', target: pgUrl, postgres: { schema: `t_${randomBytes(6).toString('hex')}` } },
  ]);

after(async () => {
  rmSync(dir, { recursive: true, force: true });
  for (const [, loc] of locations) await dropTestSchema(pgUrl, loc.postgres?.schema);
});

/** Resolves with the CertError `p` rejects with, or null when it passes. */
async function outcome(p: Promise<void>): Promise<CertError | null> {
  try {
    await p;
    return null;
  } catch (e) {
    if (!isCertError(e)) throw e;
    return e;
  }
}

async function passes(limiter: RateLimiter, accountId: number, action: string, n: number): Promise<number> {
  const results = await Promise.all(Array.from({ length: n }, () => outcome(limiter.check(accountId, action))));
  for (const r of results) if (r) assert.equal(r.kind, 'throttled');
  return results.filter((r) => r === null).length;
}

for (const [name, location] of locations) {
  describe(`rate limiter (${name})`, () => {
    let store: Store;
    let account = 0;
    before(async () => {
      store = await Store.open(location);
    });
    after(async () => store?.close());
    const nextAccount = () => ++account;

    test('the limit passes, the next request is refused with the time to the next window', async () => {
      const clock = new SetClock(T0 + 250);
      const limiter = createRateLimiter({ store, clock, logger: silent, limits: LIMITS });
      const a = nextAccount();
      for (let i = 0; i < 3; i++) await limiter.check(a, 'ListCsr');
      const err = await outcome(limiter.check(a, 'ListCsr'));
      assert.ok(err);
      assert.equal(err.kind, 'throttled');
      assert.equal(err.message, 'Request was denied due to user flow control.');
      assert.equal(err.retryAfterSeconds, 0.75);
      // Still refused later in the same window; the wait shrinks with it.
      clock.at = T0 + 999;
      assert.equal((await outcome(limiter.check(a, 'ListCsr')))?.retryAfterSeconds, 0.001);
      // The next window starts afresh.
      clock.at = T0 + RATE_WINDOW_MS;
      assert.equal(await passes(limiter, a, 'ListCsr', 5), 3);
    });

    test('concurrent requests: exactly the limit passes', async () => {
      const limiter = createRateLimiter({
        store,
        clock: new SetClock(T0 + 10 * RATE_WINDOW_MS),
        logger: silent,
        limits: LIMITS,
      });
      assert.equal(await passes(limiter, nextAccount(), 'ListCsr', 20), 3);
    });

    test('limits are per account and per action; unlisted actions get the default', async () => {
      const clock = new SetClock(T0 + 20 * RATE_WINDOW_MS);
      const limiter = createRateLimiter({ store, clock, logger: silent, limits: LIMITS });
      const [a, b] = [nextAccount(), nextAccount()];
      assert.equal(await passes(limiter, a, 'ListCsr', 6), 3);
      assert.equal(await passes(limiter, b, 'ListCsr', 6), 3, 'another account has its own count');
      assert.equal(
        await passes(limiter, a, 'GetCsrDetail', 9),
        5,
        'another action has its own count, the default limit',
      );
    });

    test('two processes on one store share the count', async () => {
      const clock = new SetClock(T0 + 30 * RATE_WINDOW_MS);
      const one = createRateLimiter({ store, clock, logger: silent, limits: LIMITS });
      const two = createRateLimiter({ store, clock, logger: silent, limits: LIMITS });
      const a = nextAccount();
      await one.check(a, 'ListCsr');
      await one.check(a, 'ListCsr');
      await two.check(a, 'ListCsr');
      assert.equal(
        (await outcome(two.check(a, 'ListCsr')))?.kind,
        'throttled',
        "the second process sees the first one's requests",
      );
      assert.equal((await outcome(one.check(a, 'ListCsr')))?.kind, 'throttled');
      // Concurrently, in a fresh window: the limit holds in total, not per process.
      clock.at += RATE_WINDOW_MS;
      const [p1, p2] = await Promise.all([passes(one, a, 'ListCsr', 10), passes(two, a, 'ListCsr', 10)]);
      assert.equal(p1 + p2, 3);
    });

    test('the store counts each request once per (window, account, action) and forgets old windows', async () => {
      const a = nextAccount();
      const w = T0 + 40 * RATE_WINDOW_MS;
      assert.deepEqual(
        [await store.repos.rateCounters.hit(a, 'X', w), await store.repos.rateCounters.hit(a, 'X', w)],
        [1, 2],
      );
      assert.equal(await store.repos.rateCounters.hit(a, 'X', w + RATE_WINDOW_MS), 1);
      assert.equal(await store.repos.rateCounters.hit(a, 'Y', w), 1);
      // A limiter purges in the background, once its clock is a few windows past the rows.
      const limiter = createRateLimiter({
        store,
        clock: new SetClock(w + 60 * RATE_WINDOW_MS),
        logger: silent,
        limits: LIMITS,
      });
      await limiter.check(a, 'ListCsr');
      const rows = async () =>
        store.db.selectFrom('rate_counters').select('window_start').where('account_id', '=', a).execute();
      for (let i = 0; i < 500 && (await rows()).some((r) => r.window_start < w + 60 * RATE_WINDOW_MS); i++) {
        await new Promise((r) => setTimeout(r, 10));
      }
      assert.deepEqual(
        (await rows()).map((r) => r.window_start),
        [w + 60 * RATE_WINDOW_MS],
      );
    });
  });
}

test('x-acs-retry-after is in milliseconds, as the SDK reads it: retryAfter is what it sleeps before a retry', () => {
  const err = new CertError('throttled', 'Request was denied due to user flow control.', { retryAfterSeconds: 0.75 });
  const rendered = renderCasError(err, 'REQ', 'host');
  assert.equal(rendered.code, 'Throttling.User');
  assert.equal(rendered.status, 400);
  // openapi-core: retryAfter = parseInt(header); @darabonba/typescript getBackoffDelay returns
  // it as the delay passed to sleep(ms) (capped by maxDelay, 120 000 ms by default).
  const retryAfter = OpenApiUtil.getThrottlingTimeLeft(rendered.headers);
  assert.equal(retryAfter, 750);
  const options = new $dara.RetryOptions({
    retryable: true,
    retryCondition: [{ maxAttempts: 3, exception: ['ThrottlingError'], errorCode: [] }],
  });
  const ctx = new $dara.RetryPolicyContext({
    retriesAttempted: 1,
    exception: { name: 'ThrottlingError', code: 'Throttling.User', retryAfter },
  });
  assert.equal($dara.getBackoffDelay(options, ctx), 750);
});
