// End-to-end throughput: DNS-validated orders per second through the CAS API. certdesk runs
// in-process on SQLite, wired to a loopback challenge server with the flags the e2e tests use
// (test/support/orders.ts: startWithChallenges). The customers' side runs in a worker thread
// (bench/order-client-worker.ts): the SDK clients AND the challenge server, which plays the
// customers' authoritative DNS (where they publish the TXT record), so that this process's
// main thread, and the CPU figure charged to certdesk, hold certdesk alone.
// Throughput runs from the first submission to the last issuance the clients saw; latency is
// submission to the poll that saw the certificate.

import BetterSqlite3 from 'better-sqlite3';
import { createAccount } from '../src/accounts/accounts.js';
import { addContact } from '../src/accounts/contacts.js';
import { grantPlan } from '../src/accounts/plans.js';
import { DEFAULT_PRODUCT_CODE } from '../src/policy/products.js';
import { startCertdesk } from '../test/support/harness.js';
import { CAA_IDENTITY } from '../test/support/orders.js';
import type { ClientInput, FromClient, ToClient } from './order-client-worker.js';
import { threadCpuMs } from './acme-measure.js';
import { startTsWorker } from './ts-worker.js';

export interface EndToEndOptions {
  orders: number;
  concurrency: number;
  /** Delay between DescribeCertificateState polls of one order. */
  pollMs: number;
  /** Give up on an order after this long. */
  orderTimeoutMs: number;
  /** certdesk's --validation-retry-ms; undefined: certdesk's defaults (that flag and the worker's poll). */
  validationRetryMs?: number;
  /** PostgreSQL URL (a fresh schema); undefined: SQLite. */
  databaseUrl?: string;
  /** The customers' client (bench/order-client-worker.ts); 'sdk' unless said. */
  client?: 'sdk' | 'raw';
  /** Further certdesk flags (name -> value). */
  flags?: Record<string, string>;
}

export interface EndToEndResult {
  orders: number;
  seconds: number;
  ordersPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** API calls the clients made (submissions and DescribeCertificateState). */
  requests: number;
  errors: string[];
  /** Record published (the client's publish answered) to the order issued (its row's updated_at), ms. */
  publishToIssuedP50Ms: number;
  publishToIssuedP99Ms: number;
  /** SQL statements per order (SQLite only; undefined on PostgreSQL), from the first submission to the last issuance. */
  statementsPerOrder: number | undefined;
  /** CPU per order, ms: this process minus the client thread (certdesk), and the client thread (SDK clients and the customers' DNS). */
  serverCpuPerOrderMs: number | undefined;
  clientCpuPerOrderMs: number | undefined;
  /**
   * CPU per order of this process's main thread alone, ms: certdesk's event loop (API, job
   * worker, store), the thread that saturates first; the rest of certdesk's figure is libuv's
   * thread pool and the signing threads. Undefined off Linux.
   */
  mainThreadCpuPerOrderMs: number | undefined;
}

/**
 * SQL statements run on SQLite (better-sqlite3's run/all/get/iterate), counted from here on:
 * a figure of the work per order that the machine's load does not move. Statements prepared
 * before this call (none: the store opens after) are not counted.
 */
let sqliteStatements = 0;
let countingInstalled = false;
function countSqliteStatements(): void {
  if (countingInstalled) return;
  countingInstalled = true;
  const proto = BetterSqlite3.prototype as unknown as { prepare: (sql: string) => Record<string, unknown> };
  const prepare = proto.prepare;
  proto.prepare = function (this: unknown, text: string) {
    const stmt = prepare.call(this, text);
    for (const m of ['run', 'all', 'get', 'iterate']) {
      const f = stmt[m] as (...a: unknown[]) => unknown;
      stmt[m] = (...a: unknown[]) => {
        sqliteStatements += 1;
        return f.apply(stmt, a);
      };
    }
    return stmt;
  };
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export async function runEndToEnd(opts: EndToEndOptions): Promise<EndToEndResult> {
  if (!opts.databaseUrl) countSqliteStatements();
  // The customers' thread starts first: certdesk is pointed at the DNS server it runs.
  const worker = startTsWorker(new URL('./order-client-worker.ts', import.meta.url), null);
  let onMessage: (m: FromClient) => void = () => {};
  const failed = new Promise<never>((_, reject) => {
    worker.on('error', reject);
    worker.on('exit', (code) => reject(new Error(`the order client thread exited (${code}) before finishing`)));
  });
  failed.catch(() => {});
  worker.on('message', (m: FromClient) => onMessage(m));
  const next = <T extends FromClient['type']>(type: T) =>
    Promise.race([
      failed,
      new Promise<Extract<FromClient, { type: T }>>((resolve) => {
        onMessage = (m) => {
          if (m.type === type) resolve(m as Extract<FromClient, { type: T }>);
        };
      }),
    ]);
  let cd: Awaited<ReturnType<typeof startCertdesk>>;
  try {
    const { challenges } = await next('ready');
    cd = await startCertdesk(
      {
        'dns-resolver': challenges.dnsAddress,
        'http-validation-port': String(challenges.httpPort),
        'allow-private-validation-targets': true,
        'caa-identity': CAA_IDENTITY,
        ...(opts.validationRetryMs === undefined ? {} : { 'validation-retry-ms': String(opts.validationRetryMs) }),
        ...opts.flags,
      },
      {
        defaults: opts.validationRetryMs === undefined,
        ...(opts.databaseUrl ? { databaseUrl: opts.databaseUrl } : {}),
      },
    );
  } catch (e) {
    await worker.terminate();
    throw e;
  }
  try {
    const key = await createAccount(cd.ctx.accounts, 'Bench Inc');
    await grantPlan(cd.ctx.accounts, {
      accountId: key.AccountId,
      productCode: DEFAULT_PRODUCT_CODE,
      count: opts.orders + 10,
    });
    await addContact(cd.ctx.accounts, key.AccountId, {
      name: 'Bench',
      email: 'bench@example.com',
      mobile: '13900001111',
    });
    const input: ClientInput = {
      endpoint: cd.endpoint,
      key: { AccessKeyId: key.AccessKeyId, AccessKeySecret: key.AccessKeySecret },
      productCode: DEFAULT_PRODUCT_CODE,
      orders: opts.orders,
      concurrency: opts.concurrency,
      pollMs: opts.pollMs,
      orderTimeoutMs: opts.orderTimeoutMs,
      client: opts.client ?? 'sdk',
    };
    // CPU is counted from here: the client thread's start-up (tsx compiling the SDK) is not certdesk's.
    const cpu0 = process.cpuUsage();
    const main0 = threadCpuMs('self');
    const statements0 = sqliteStatements;
    const done = next('done');
    worker.postMessage({ type: 'start', input } satisfies ToClient);
    const { result } = await done;
    const cpu = process.cpuUsage(cpu0);
    const main1 = threadCpuMs('self');
    const statements = sqliteStatements - statements0;
    const processCpuMs = (cpu.user + cpu.system) / 1000;
    const { latencies } = result;
    const issuedAt = new Map(
      (
        await cd.ctx.store.db
          .selectFrom('orders')
          .select(['id', 'updated_at'])
          .where('account_id', '=', key.AccountId)
          .where('state', '=', 'certificate')
          .execute()
      ).map((r) => [Number(r.id), Number(r.updated_at)]),
    );
    const pubToIssued = Object.entries(result.publishedAt)
      .filter(([id]) => issuedAt.has(Number(id)))
      .map(([id, at]) => issuedAt.get(Number(id))! - at)
      .sort((a, b) => a - b);
    if (process.env.CERTDESK_BENCH_TRACE) {
      // Diagnostic: per order, the validation attempts (ms after its record was published, and their result).
      const events = await cd.ctx.store.db
        .selectFrom('audit_events')
        .select(['order_id', 'at', 'kind', 'detail'])
        .where('account_id', '=', key.AccountId)
        .orderBy('id')
        .execute();
      const byOrder = new Map<number, string[]>();
      for (const e of events) {
        const pub = result.publishedAt[Number(e.order_id)];
        const l = byOrder.get(Number(e.order_id)) ?? [];
        const res = e.kind === 'validation_attempted' ? String(JSON.parse(e.detail).result ?? '') : '';
        l.push(`${e.kind}${res ? `:${res}` : ''}@${pub === undefined ? '?' : Number(e.at) - pub}`);
        byOrder.set(Number(e.order_id), l);
      }
      for (const [id, l] of [...byOrder].slice(0, 40)) process.stderr.write(`order ${id}: ${l.join(' ')}\n`);
    }
    const n = Math.max(1, latencies.length);
    return {
      orders: latencies.length,
      seconds: result.spanMs / 1000,
      ordersPerSecond: (latencies.length * 1000) / result.spanMs,
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
      maxMs: latencies[latencies.length - 1] ?? NaN,
      requests: result.requests,
      errors: result.errors,
      publishToIssuedP50Ms: percentile(pubToIssued, 50),
      publishToIssuedP99Ms: percentile(pubToIssued, 99),
      statementsPerOrder: opts.databaseUrl ? undefined : statements / n,
      serverCpuPerOrderMs: result.cpuMs === undefined ? undefined : (processCpuMs - result.cpuMs) / n,
      clientCpuPerOrderMs: result.cpuMs === undefined ? undefined : result.cpuMs / n,
      mainThreadCpuPerOrderMs: main0 === undefined || main1 === undefined ? undefined : (main1 - main0) / n,
    };
  } finally {
    await worker.terminate();
    await cd.close();
  }
}
