// `npm run bench -- --cas-path [--quick]`: CPU time per DescribeCertificateState through the CAS
// gateway's node:http handler in this process, fed a request object that ends at once and a
// response object that keeps the reply (no sockets, no load generator), on PostgreSQL
// (CERTDESK_TEST_DATABASE_URL) like `--scale --goal`, or on SQLite with `--sqlite`. What `--scale` cannot show on a busy
// machine: the request path's own cost in microseconds, with the requests signed beforehand
// and 32 in flight. Under `node --cpu-prof` it profiles that path alone.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { performance } from 'node:perf_hooks';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createCasGateway } from '../src/api/cas/gateway.js';
import { CAS_ACTIONS } from '../src/api/cas/actions/index.js';
import { createRateLimiter } from '../src/api/cas/throttle.js';
import type { RateLimitTable } from '../src/policy/rate-limits.js';
import { signAcs3 } from '../src/api/cas/signature.js';
import { createAccountService } from '../src/accounts/service.js';
import { createOrderEngine } from '../src/orders/engine.js';
import { silentLogger } from '../src/app/logger.js';
import { Cas, casClient } from '../test/support/sdk.js';
import { runCliJson } from '../test/support/cli.js';
import { freshDomain, publishChallenges, startWithChallenges, waitForType } from '../test/support/orders.js';

/** The limiter counts as usual, but one account's 20,000 requests are not refused. */
const UNLIMITED: RateLimitTable = { byAction: new Map(), defaultLimit: 1e9 };

export async function runCasPathBench(opts: { databaseUrl: string | undefined; quick: boolean }): Promise<void> {
  const { cd, cs } = await startWithChallenges({}, { databaseUrl: opts.databaseUrl, defaults: false });
  try {
    const account = await runCliJson<{ AccountId: number; AccessKeyId: string; AccessKeySecret: string }>(
      ['admin', 'account', 'create', '--name', 'Path', ...cd.storeArgs],
      cd.storeEnv,
    );
    await runCliJson(
      [
        'admin',
        'plan',
        'grant',
        '--account',
        String(account.AccountId),
        '--product',
        'digicert-free-1-free',
        '--count',
        '5',
        ...cd.storeArgs,
      ],
      cd.storeEnv,
    );
    const client = casClient(cd.endpoint, account);
    const orderId = (
      await client.createCertificateForPackageRequest(
        new Cas.CreateCertificateForPackageRequestRequest({
          productCode: 'digicert-free-1-free',
          domain: freshDomain('path'),
          validateType: 'DNS',
          username: 'Ann',
          phone: '13900002222',
          email: 'ann@example.com',
        }),
      )
    ).body!.orderId!;
    await publishChallenges(cs, client, orderId);
    await waitForType(client, orderId, ['certificate'], 60_000);

    const { ctx, server } = cd;
    const gateway = createCasGateway({
      deps: {
        accounts: createAccountService(ctx.accounts),
        orders: createOrderEngine(server.orders),
        admissions: ctx.store,
        rateLimiter: createRateLimiter({ store: ctx.store, clock: ctx.clock, logger: silentLogger, limits: UNLIMITED }),
        clock: ctx.clock,
        logger: silentLogger,
        timestampWindowMs: 15 * 60_000,
        observe: () => {},
      },
      actions: CAS_ACTIONS,
      hostId: 'bench',
      bodyLimit: 1 << 20,
    });
    const total = opts.quick ? 4000 : 20000;
    const concurrency = 32;
    let n = 0;
    const requests: FakeRequest[] = [];
    const date = new Date(ctx.clock.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
    for (let i = 0; i < total * 2; i++) {
      const { path, headers } = signAcs3({
        accessKeyId: account.AccessKeyId,
        secret: account.AccessKeySecret,
        host: cd.endpoint,
        action: 'DescribeCertificateState',
        version: '2020-04-07',
        params: { OrderId: String(orderId) },
        date,
        nonce: `path-${process.pid}-${i}`,
      });
      const rawHeaders = Object.entries({ ...headers, 'content-length': '0' }).flat();
      requests.push(new FakeRequest(path, rawHeaders));
    }
    const run = async (count: number) => {
      let failed = 0;
      const lane = async () => {
        while (count-- > 0) {
          const res = new FakeResponse();
          await gateway.handle(requests[n++] as unknown as IncomingMessage, res as unknown as ServerResponse);
          if (res.status !== 200) failed++;
        }
      };
      await Promise.all(Array.from({ length: concurrency }, lane));
      if (failed) throw new Error(`${failed} requests failed`);
    };
    await run(total); // warm-up
    const heapProf = process.env.CERTDESK_BENCH_HEAP_PROF;
    const session = heapProf ? new Session() : undefined;
    if (session) {
      session.connect();
      await post(session, 'HeapProfiler.enable');
      await post(session, 'HeapProfiler.startSampling', {
        samplingInterval: 1024,
        includeObjectsCollectedByMajorGC: true,
        includeObjectsCollectedByMinorGC: true,
      });
    }
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await run(total);
    const cpu = process.cpuUsage(cpu0);
    const wall = performance.now() - t0;
    if (session && heapProf) {
      // Every allocation sampled during the measured run, collected since or not: what the GC had to do.
      const { profile } = (await post(session, 'HeapProfiler.stopSampling')) as { profile: unknown };
      writeFileSync(heapProf, JSON.stringify(profile));
      session.disconnect();
    }
    const us = (cpu.user + cpu.system) / total;
    console.log(
      `cas-path: ${total} DescribeCertificateState through the gateway's handler, ${concurrency} in flight: ` +
        `${us.toFixed(1)} us CPU per request (user ${(cpu.user / total).toFixed(1)}, system ${(cpu.system / total).toFixed(1)}), ` +
        `${Math.round((total / wall) * 1000)} req/s wall; this process's CPU includes PostgreSQL's client side only.`,
    );
  } finally {
    await cd.close();
    await cs.close();
  }
}

/** What the gateway reads of a node:http request whose body is empty. */
class FakeRequest {
  readonly method = 'POST';
  readonly headers: Record<string, string> = { 'content-length': '0' };
  readonly socket = { remoteAddress: '127.0.0.1' };
  readonly destroyed = false;
  readonly complete = true;
  constructor(
    readonly url: string,
    readonly rawHeaders: string[],
  ) {}
  on(event: string, fn: () => void): this {
    if (event === 'end') process.nextTick(fn);
    return this;
  }
  resume(): this {
    return this;
  }
}

/** Keeps the status and the body the gateway writes. */
class FakeResponse {
  status = 0;
  text = '';
  headersSent = false;
  destroyed = false;
  writeHead(status: number): this {
    this.status = status;
    this.headersSent = true;
    return this;
  }
  end(text: string): void {
    this.text = text;
  }
}

function post(session: Session, method: string, params?: object): Promise<unknown> {
  return new Promise((resolve, reject) =>
    session.post(method, params ?? {}, (err, result) => (err ? reject(err) : resolve(result))),
  );
}
