// `npm run bench -- --scale`: 1, 2 and 4 `certdesk serve --role all` processes on one
// PostgreSQL schema (one data dir, so one master key), each measured for DescribeCertificateState
// and CreateCertificateForPackageRequest: requests/s, p50/p99 latency, and scaling efficiency
// rate(N) / (N x rate(1)). The baseline beside them is `openssl speed ecdsap256` (1 core) from the
// same run. The load generator is raw signed HTTP over plain sockets (bench/scale-client.ts) in worker threads of
// this process; on a small machine it competes with the servers, so its CPU share is printed.

import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { createAccount } from '../src/accounts/accounts.js';
import { addContact } from '../src/accounts/contacts.js';
import { grantPlan } from '../src/accounts/plans.js';
import { openContext } from '../src/app/context.js';
import { silentLogger } from '../src/app/logger.js';
import { buildConfig } from '../src/config/schema.js';
import { DEFAULT_PRODUCT_CODE } from '../src/policy/products.js';
import { startChallengeServer, type ChallengeServer } from '../test/challenge-server.js';
import { freePort } from '../test/support/harness.js';
import { CAA_IDENTITY } from '../test/support/orders.js';
import { dropTestSchema } from '../test/support/pg.js';
import { spawnServe, type ServeProcess } from '../test/support/process.js';
import { cores, readCpuSnapshot, type CpuSnapshot } from './machine.js';
import { opensslSpeed } from './openssl-speed.js';
import { callCas, keepAliveAgent, type ScaleKey } from './scale-client.js';
import type { LoadAccount, LoadInput, LoadResult } from './scale-load-worker.js';
import { startTsWorker } from './ts-worker.js';

export interface ScaleOptions {
  databaseUrl: string;
  quick: boolean;
  /**
   * `--goal`: only the goal's measurement (one process, DescribeCertificateState), three
   * times in a row, for working on the request path: the machine's speed drifts between runs.
   */
  goalOnly: boolean;
}

const GOAL_REPEATS = 3;

const ACCOUNTS = 16;
const ORDERS_PER_ACCOUNT = 2;
const PROCESS_COUNTS = [1, 2, 4] as const;
const GOAL_RPS = 5000;
const GOAL_P99_MS = 20;

type Action = LoadInput['action'];

interface PhaseResult {
  n: number;
  action: Action;
  rps: number;
  p50: number;
  p99: number;
  failed: number;
  failures: string[];
  /** Shares of all the machine's CPU time during the measurement. */
  cpu: { loadgen: number; servers: number; postgres: number; others: number; idle: number } | undefined;
}

function progress(msg: string): void {
  process.stderr.write(`bench --scale: ${msg}\n`);
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** utime + stime of one process (all threads), clock ticks; 0 once it is gone. */
function processTicks(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = stat
      .slice(stat.lastIndexOf(')') + 2)
      .split(' ')
      .map(Number);
    return (rest[11] ?? 0) + (rest[12] ?? 0);
  } catch {
    return 0;
  }
}

/** utime + stime of every process named `postgres` on this machine (the database server, when it is local). */
function postgresTicks(): number {
  let sum = 0;
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      if (stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')) !== 'postgres') continue;
      const rest = stat
        .slice(stat.lastIndexOf(')') + 2)
        .split(' ')
        .map(Number);
      sum += (rest[11] ?? 0) + (rest[12] ?? 0);
    } catch {
      // the process ended meanwhile
    }
  }
  return sum;
}

interface CpuMark {
  machine: CpuSnapshot | undefined;
  self: number;
  servers: number;
  postgres: number;
}

function markCpu(servers: ServeProcess[]): CpuMark {
  return {
    machine: readCpuSnapshot(),
    self: processTicks(process.pid),
    servers: servers.reduce((a, s) => a + processTicks(s.child.pid), 0),
    postgres: postgresTicks(),
  };
}

function cpuShares(a: CpuMark, b: CpuMark): PhaseResult['cpu'] {
  if (!a.machine || !b.machine || b.machine.total <= a.machine.total) return undefined;
  const total = b.machine.total - a.machine.total;
  const idle = (b.machine.idle - a.machine.idle) / total;
  const loadgen = (b.self - a.self) / total;
  const servers = (b.servers - a.servers) / total;
  const postgres = (b.postgres - a.postgres) / total;
  const busy = 1 - idle - (b.machine.steal - a.machine.steal) / total;
  return { loadgen, servers, postgres, others: Math.max(0, busy - loadgen - servers - postgres), idle };
}

/** Runs `threads` load worker threads together and merges what they measured. */
async function runLoad(
  base: Omit<LoadInput, 'label' | 'concurrency'>,
  threads: number,
  concurrency: number,
): Promise<LoadResult> {
  const results = await Promise.all(
    Array.from({ length: threads }, (_, t) => {
      const input: LoadInput = {
        ...base,
        label: `scale-${process.pid}-${randomBytes(3).toString('hex')}-${t}`,
        concurrency: Math.ceil(concurrency / threads),
      };
      const worker = startTsWorker(new URL('./scale-load-worker.ts', import.meta.url), input);
      return new Promise<LoadResult>((resolve, reject) => {
        worker.once('message', (r: LoadResult) => {
          resolve(r);
          void worker.terminate();
        });
        worker.once('error', reject);
      });
    }),
  );
  return {
    ok: results.reduce((a, r) => a + r.ok, 0),
    failed: results.reduce((a, r) => a + r.failed, 0),
    failures: results.flatMap((r) => r.failures),
    latencies: results.flatMap((r) => r.latencies),
    seconds: base.measureMs / 1000,
  };
}

/** Orders the DescribeCertificateState phase reads: each account's, DNS-validated and issued. */
async function issueOrders(endpoint: string, keys: ScaleKey[], cs: ChallengeServer): Promise<number[][]> {
  const agent = keepAliveAgent(64);
  let n = 0;
  const issueOne = async (key: ScaleKey): Promise<number> => {
    const domain = `scale-setup-${process.pid}-${n++}-${Date.now().toString(36)}.com`;
    const created = await callCas(endpoint, agent, key, 'CreateCertificateForPackageRequest', {
      ProductCode: DEFAULT_PRODUCT_CODE,
      Domain: domain,
      ValidateType: 'DNS',
    });
    const orderId = Number(created.body.OrderId);
    if (created.status !== 200 || !Number.isInteger(orderId))
      throw new Error(`setup order refused: ${JSON.stringify(created.body)}`);
    const until = performance.now() + 60_000;
    for (;;) {
      const s = (await callCas(endpoint, agent, key, 'DescribeCertificateState', { OrderId: String(orderId) })).body;
      if (s.Type === 'certificate') return orderId;
      if (s.Type === 'domain_verify' && typeof s.RecordDomain === 'string' && typeof s.RecordValue === 'string') {
        cs.setTxt(`${s.RecordDomain}.${String(s.Domain)}`, [s.RecordValue]);
      } else if (s.Type !== 'process' && s.Type !== 'domain_verify') {
        throw new Error(`setup order ${orderId} ended as ${String(s.Type)}`);
      }
      if (performance.now() > until) throw new Error(`setup order ${orderId} still ${String(s.Type)} after 60 s`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  try {
    return await Promise.all(
      keys.map((k) => Promise.all(Array.from({ length: ORDERS_PER_ACCOUNT }, () => issueOne(k)))),
    );
  } finally {
    agent.destroy();
  }
}

export async function runScaleBench(opts: ScaleOptions): Promise<void> {
  const measureMs = opts.quick ? 1500 : 5000;
  const warmupMs = opts.quick ? 500 : 1000;
  const loadThreads = 1;
  const concurrency = { DescribeCertificateState: 32, CreateCertificateForPackageRequest: 32 } as const;

  // The processes run the compiled dist/, as `certdesk serve` does after `npm ci`, not the
  // TypeScript through tsx as the tests do: build it first so that it is the current source.
  progress('npm run build (the processes run dist/)');
  const root = fileURLToPath(new URL('..', import.meta.url));
  const built = spawnSync(
    process.execPath,
    [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.build.json')],
    { stdio: 'inherit' },
  );
  if (built.status !== 0) throw new Error('the build failed');

  const cs = await startChallengeServer();
  const dataDir = mkdtempSync(join(tmpdir(), 'certdesk-scale-'));
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const env = { CERTDESK_PG_SCHEMA: schema, CERTDESK_FROM_SOURCE: '0' };
  const storeArgs = ['--data-dir', dataDir, '--database-url', opts.databaseUrl];
  const servers: ServeProcess[] = [];
  const endpoints: string[] = [];
  const results: PhaseResult[] = [];
  try {
    progress(`schema ${schema}: ${ACCOUNTS} accounts with plans and contacts`);
    const ctx = await openContext({
      config: buildConfig({ 'data-dir': dataDir, 'database-url': opts.databaseUrl }),
      env: { ...env },
      logger: silentLogger,
    });
    const keys: ScaleKey[] = [];
    try {
      for (let i = 0; i < ACCOUNTS; i++) {
        const k = await createAccount(ctx.accounts, `Scale ${i}`);
        await grantPlan(ctx.accounts, { accountId: k.AccountId, productCode: DEFAULT_PRODUCT_CODE, count: 1_000_000 });
        await addContact(ctx.accounts, k.AccountId, {
          name: 'Scale',
          email: 'scale@example.com',
          mobile: '13900001111',
        });
        keys.push({ accessKeyId: k.AccessKeyId, secret: k.AccessKeySecret });
      }
    } finally {
      await ctx.store.close();
    }

    const startServer = async (): Promise<void> => {
      const port = await freePort();
      servers.push(
        await spawnServe(
          [
            ...storeArgs,
            '--role',
            'all',
            '--log-level',
            'warn',
            '--listen',
            `127.0.0.1:${port}`,
            '--admin-listen',
            `127.0.0.1:${await freePort()}`,
            '--dns-resolver',
            cs.dnsAddress,
            '--http-validation-port',
            String(cs.httpPort),
            '--allow-private-validation-targets',
            '--caa-identity',
            CAA_IDENTITY,
          ],
          env,
          // A loaded machine (other benches, a test run) can take longer than a test's 30 s to start it.
          { startTimeoutMs: 120_000 },
        ),
      );
      endpoints.push(`127.0.0.1:${port}`);
    };

    progress('starting certdesk process 1');
    await startServer();
    progress(`issuing ${ACCOUNTS * ORDERS_PER_ACCOUNT} DNS-validated orders to describe`);
    const orderIds = await issueOrders(endpoints[0]!, keys, cs);
    const accounts: LoadAccount[] = keys.map((k, i) => ({ ...k, orderIds: orderIds[i]! }));

    const measure = async (n: number, action: Action): Promise<void> => {
      progress(`${n} process(es): ${action}, ${concurrency[action]} in flight, ${(warmupMs + measureMs) / 1000} s`);
      // CPU of every running process counts: idle ones still run their job workers.
      const before = markCpu(servers);
      const r = await runLoad(
        { endpoints: endpoints.slice(0, n), accounts, action, productCode: DEFAULT_PRODUCT_CODE, warmupMs, measureMs },
        loadThreads,
        concurrency[action],
      );
      const cpu = cpuShares(before, markCpu(servers));
      r.latencies.sort((a, b) => a - b);
      results.push({
        n,
        action,
        rps: r.ok / r.seconds,
        p50: percentile(r.latencies, 50),
        p99: percentile(r.latencies, 99),
        failed: r.failed,
        failures: r.failures,
        cpu,
      });
    };

    // All DescribeCertificateState runs first: the orders the Create runs leave pending keep
    // the job workers busy (validation attempts) for a while afterwards.
    for (const n of opts.goalOnly ? [] : PROCESS_COUNTS) {
      while (servers.length < n) {
        progress(`starting certdesk process ${servers.length + 1}`);
        await startServer();
      }
      await measure(n, 'DescribeCertificateState');
    }
    for (let i = 0; opts.goalOnly && i < GOAL_REPEATS; i++) await measure(1, 'DescribeCertificateState');
    for (const n of opts.goalOnly ? [] : PROCESS_COUNTS) {
      await new Promise((r) => setTimeout(r, 1000));
      await measure(n, 'CreateCertificateForPackageRequest');
    }
  } finally {
    progress('stopping processes, dropping the schema');
    await Promise.all(servers.map((s) => s.kill()));
    await cs.close();
    await dropTestSchema(opts.databaseUrl, schema);
    rmSync(dataDir, { recursive: true, force: true });
  }

  // The baseline last: on this machine a few seconds of openssl at full speed leave the CPU
  // measurably slower (by up to a fifth) for the next tens of seconds, which would be charged
  // to the first phase.
  progress('openssl speed -seconds 2 ecdsap256 (baseline)');
  const ossl = await opensslSpeed(opts.quick ? 1 : 2);

  printScale(results, ossl.signsPerSecond, ossl.version, {
    loadThreads,
    concurrency,
    measureMs,
    warmupMs,
    quick: opts.quick,
    database: describeDatabase(opts.databaseUrl),
  });
}

/** Where the database is, without credentials: a socket directory or host:port. */
function describeDatabase(url: string): string {
  const socket = /[?&]host=(\/[^&]*)/.exec(url);
  return socket ? `PostgreSQL via Unix socket ${decodeURIComponent(socket[1]!)}` : `PostgreSQL at ${new URL(url).host}`;
}

function printScale(
  results: PhaseResult[],
  opensslSigns: number,
  version: string,
  s: {
    loadThreads: number;
    concurrency: Record<Action, number>;
    measureMs: number;
    warmupMs: number;
    quick: boolean;
    database: string;
  },
): void {
  const pct = (x: number | undefined) => (x === undefined ? '  -' : `${Math.round(x * 100)}%`.padStart(4));
  const ms = (x: number) => (x >= 10 ? x.toFixed(0) : x.toFixed(1)).padStart(6);
  const lines: string[] = [];
  lines.push(
    `certdesk bench --scale (node ${process.version}, ${cores()} cores, ${s.database}${s.quick ? ', --quick' : ''})`,
  );
  lines.push(
    `baseline: openssl speed ecdsap256, 1 core: ${Math.round(opensslSigns).toLocaleString('en-US')} signs/s (${version})`,
  );
  for (const action of ['DescribeCertificateState', 'CreateCertificateForPackageRequest'] as const) {
    const rows = results.filter((r) => r.action === action);
    if (rows.length === 0) continue;
    const one = rows.find((r) => r.n === 1)?.rps ?? NaN;
    lines.push('');
    lines.push(`${action} (${s.concurrency[action]} in flight)`);
    lines.push(
      '  procs      req/s  ÷openssl  p50 ms  p99 ms  scaling eff.  failed | CPU: loadgen certdesk postgres others idle',
    );
    for (const r of rows) {
      lines.push(
        `  ${String(r.n).padStart(5)}  ${Math.round(r.rps).toLocaleString('en-US').padStart(9)}  ${(r.rps / opensslSigns).toFixed(3).padStart(8)}  ${ms(r.p50)}  ${ms(r.p99)}` +
          `  ${`${Math.round((r.rps / (r.n * one)) * 100)}%`.padStart(12)}  ${String(r.failed).padStart(6)} |      ${pct(r.cpu?.loadgen)}     ${pct(r.cpu?.servers)}     ${pct(r.cpu?.postgres)}   ${pct(r.cpu?.others)} ${pct(r.cpu?.idle)}`,
      );
      if (r.failures.length > 0) lines.push(`         failures, e.g.: ${r.failures.slice(0, 2).join(' | ')}`);
    }
  }
  // The goal is judged on the one-process run (the median one with --goal's repeats).
  const ones = results
    .filter((r) => r.n === 1 && r.action === 'DescribeCertificateState')
    .sort((a, b) => a.rps - b.rps);
  const d1 = ones[Math.floor(ones.length / 2)];
  lines.push('');
  if (d1) {
    const met = d1.rps >= GOAL_RPS && d1.p99 < GOAL_P99_MS;
    lines.push(
      `goal: DescribeCertificateState >= ${GOAL_RPS.toLocaleString('en-US')} req/s at p99 < ${GOAL_P99_MS} ms with one process: ` +
        `${Math.round(d1.rps).toLocaleString('en-US')} req/s, p99 ${d1.p99.toFixed(1)} ms -> ${met ? 'MET' : 'NOT MET'}` +
        (d1.cpu
          ? ` (CPU: load generator ${pct(d1.cpu.loadgen).trim()}, certdesk ${pct(d1.cpu.servers).trim()}, PostgreSQL ${pct(d1.cpu.postgres).trim()}, other processes ${pct(d1.cpu.others).trim()})`
          : ''),
    );
    // CPU time per request, the figure that moves when the request path changes (req/s also
    // moves with the machine's mood and with whatever else shares it).
    if (d1.cpu) {
      const us = (share: number) => Math.round((share * cores() * 1e6) / d1.rps);
      lines.push(
        `  per request: certdesk ${us(d1.cpu.servers)} us of CPU, PostgreSQL ${us(d1.cpu.postgres)} us, load generator ${us(d1.cpu.loadgen)} us.`,
      );
    }
  }
  const disturbed = Math.max(0, ...results.map((r) => r.cpu?.others ?? 0));
  if (disturbed > 0.1) {
    lines.push(
      `  NOT CONCLUSIVE: unrelated processes used up to ${pct(disturbed).trim()} of the CPU during these measurements; rerun on a quiet machine.`,
    );
  }
  lines.push(
    `setup: ${ACCOUNTS} accounts, requests spread round-robin over them (per-account limit 1000/s per action) and over the processes;`,
    `  ${ACCOUNTS * ORDERS_PER_ACCOUNT} issued orders described; Create: DNS, no CSR (certdesk makes a P-256 key), fresh .com names.`,
    `  each process: certdesk serve --role all --log-level warn, one PostgreSQL schema, one data dir; warm-up ${s.warmupMs / 1000} s, measured ${s.measureMs / 1000} s.`,
    `  client: ACS3-HMAC-SHA256 requests (signAcs3) over raw keep-alive sockets, one per request in flight, ${s.loadThreads} worker thread(s) in the bench process.`,
    `  scaling eff. = rate(N) / (N x rate(1)). CPU columns: shares of all ${cores()} cores' time (loadgen = the bench process, postgres = local postgres processes, others = anything else).`,
  );
  console.log(lines.join('\n'));
}
