// Throttling end to end: certdesk on loopback, the official SDK as the client.
// ListUserCertificateOrder is limited to 10 requests per second per account (Alibaba Cloud CAS API reference (2020-04-07), API overview); over
// it certdesk answers Throttling.User with x-acs-retry-after, which the SDK turns into a
// ThrottlingError with retryAfter (Alibaba Cloud API reference, common response and error format). The count lives in the store, so two certdesk
// processes on one database share it.
//
// Windows are one second of certdesk's clock. Bursts start at the beginning of a window, and
// every bound is stated per window the burst touched (read from that clock before and after),
// so no assertion depends on how fast the machine is.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { startCertdesk, type Certdesk, type TestClock } from './support/harness.js';
import { Cas, casClient, type CasClient } from './support/sdk.js';
import { createAccount } from '../src/accounts/accounts.js';
import { openContext } from '../src/app/context.js';
import { startServer } from '../src/app/serve.js';
import { RATE_WINDOW_MS, rateLimitFor, CAS_RATE_LIMITS } from '../src/policy/rate-limits.js';

const require = createRequire(import.meta.url);
const { $OpenApiUtil } = require('@alicloud/openapi-core') as typeof import('@alicloud/openapi-core');
const $dara = require('@darabonba/typescript') as typeof import('@darabonba/typescript');

const LIMIT = rateLimitFor(CAS_RATE_LIMITS, 'ListUserCertificateOrder');

interface SdkFailure {
  name: string;
  code: string;
  statusCode: number;
  message: string;
  retryAfter?: number;
}

interface Burst {
  ok: number;
  failures: SdkFailure[];
  /** How many windows of certdesk's clock the burst touched. */
  windows: number;
}

/** Moves `clock` to just after the start of a window, so a short burst stays inside it. */
function toWindowStart(clock: TestClock): void {
  clock.advance(RATE_WINDOW_MS - (clock.now() % RATE_WINDOW_MS));
}

/** Runs every call at once; counts successes, collects the SDK errors. */
async function burst(clock: TestClock, calls: Array<() => Promise<unknown>>): Promise<Burst> {
  const first = Math.floor(clock.now() / RATE_WINDOW_MS);
  const results = await Promise.allSettled(calls.map((c) => c()));
  const last = Math.floor(clock.now() / RATE_WINDOW_MS);
  return {
    ok: results.filter((r) => r.status === 'fulfilled').length,
    failures: results.flatMap((r) => (r.status === 'rejected' ? [r.reason as SdkFailure] : [])),
    windows: last - first + 1,
  };
}

const times = <T>(n: number, fn: () => T): T[] => Array.from({ length: n }, fn);

const list = (client: CasClient) => () => client.listUserCertificateOrder(new Cas.ListUserCertificateOrderRequest({}));

function assertThrottled(e: SdkFailure): void {
  assert.equal(e.name, 'ThrottlingError', e.message);
  assert.equal(e.code, 'Throttling.User');
  assert.equal(e.statusCode, 400);
  assert.match(e.message, /Request was denied due to user flow control\./);
  // retryAfter is milliseconds (the SDK sleeps that long before a retry): within one window.
  assert.equal(typeof e.retryAfter, 'number');
  assert.ok(e.retryAfter! > 0 && e.retryAfter! <= RATE_WINDOW_MS, `retryAfter ${e.retryAfter}`);
}

describe('throttling: per-account QPS limits per action', () => {
  let cd: Certdesk;
  before(async () => {
    cd = await startCertdesk();
  });
  after(async () => cd?.close());

  const newClient = async (name: string) => casClient(cd.endpoint, await createAccount(cd.ctx.accounts, name));

  test(`over ${LIMIT}/s, ListUserCertificateOrder answers ThrottlingError; other accounts and actions go on`, async () => {
    const [a, b] = [await newClient('Throttled'), await newClient('Bystander')];
    toWindowStart(cd.clock);
    const [mine, others, otherAction] = await Promise.all([
      burst(
        cd.clock,
        times(30, () => list(a)),
      ),
      burst(
        cd.clock,
        times(5, () => list(b)),
      ),
      burst(
        cd.clock,
        times(3, () => () => a.listCsr(new Cas.ListCsrRequest({}))),
      ),
    ]);
    assert.ok(mine.ok >= LIMIT, `the first ${LIMIT} of a window pass (${mine.ok} passed)`);
    assert.ok(mine.ok <= LIMIT * mine.windows, `${mine.ok} passed in ${mine.windows} window(s)`);
    assert.equal(mine.ok + mine.failures.length, 30);
    assert.ok(mine.failures.length > 0, 'some were refused');
    for (const e of mine.failures) assertThrottled(e);
    assert.deepEqual([others.ok, others.failures], [5, []], 'another account is not throttled by the first');
    assert.deepEqual(
      [otherAction.ok, otherAction.failures],
      [3, []],
      'another action of the same account has its own limit',
    );

    // Once the window has passed, the account has its whole limit again.
    cd.clock.advance(RATE_WINDOW_MS);
    const next = await burst(
      cd.clock,
      times(LIMIT, () => list(a)),
    );
    assert.deepEqual([next.ok, next.failures], [LIMIT, []]);
  });

  test('a client that retries on ThrottlingError, waiting retryAfter, gets every call through', async () => {
    const key = await createAccount(cd.ctx.accounts, 'Patient');
    const client = new Cas.default(
      new $OpenApiUtil.Config({
        accessKeyId: key.AccessKeyId,
        accessKeySecret: key.AccessKeySecret,
        endpoint: cd.endpoint,
        protocol: 'http',
        regionId: 'cn-hangzhou',
        // The SDK sleeps retryAfter ms before retrying (@darabonba/typescript getBackoffDelay).
        // 25 calls need at most 3 windows; 4 attempts each is enough only if every retry waits
        // for the next window, i.e. only if x-acs-retry-after is in the unit the SDK expects.
        retryOptions: new $dara.RetryOptions({
          retryable: true,
          retryCondition: [{ maxAttempts: 4, exception: ['ThrottlingError'], errorCode: ['Throttling.User'] }],
        }),
      }),
    );
    toWindowStart(cd.clock);
    const r = await burst(
      cd.clock,
      times(25, () => list(client)),
    );
    assert.deepEqual(
      r.failures.map((e) => `${e.name} ${e.code}`),
      [],
    );
    assert.equal(r.ok, 25);
  });

  test('two certdesk processes on one store share the count', async () => {
    // A second certdesk process on the same database (as when scaling out), same clock.
    const ctx = await openContext({
      config: { ...cd.ctx.config, listen: { host: '127.0.0.1', port: 0 }, adminListen: { host: '127.0.0.1', port: 0 } },
      env: cd.ctx.env,
      clock: cd.clock,
      logger: cd.ctx.logger,
    });
    const server = await startServer(ctx).catch(async (e) => {
      await ctx.store.close();
      throw e;
    });
    try {
      const key = await createAccount(cd.ctx.accounts, 'Two doors');
      const one = casClient(cd.endpoint, key);
      const two = casClient(server.apiUrl.replace('http://', ''), key);
      toWindowStart(cd.clock);
      const [viaOne, viaTwo] = await Promise.all([
        burst(
          cd.clock,
          times(15, () => list(one)),
        ),
        burst(
          cd.clock,
          times(15, () => list(two)),
        ),
      ]);
      const windows = Math.max(viaOne.windows, viaTwo.windows);
      const ok = viaOne.ok + viaTwo.ok;
      // Counted per process, each would let its own 15 through in one window.
      assert.ok(ok >= LIMIT && ok <= LIMIT * windows, `${ok} passed in ${windows} window(s)`);
      assert.ok(viaOne.failures.length + viaTwo.failures.length > 0, 'some were refused');
      for (const e of [...viaOne.failures, ...viaTwo.failures]) assertThrottled(e);
    } finally {
      await server.close();
    }
  });
});
