// `npm run bench -- --acme [--quick]`: ACME orders per second end to end (one-name http-01
// orders with the project's JWS client, 8 and 32 in flight, on SQLite), p50/p99
// order-to-certificate latency, CPU per order and where an order's time goes, beside
// `openssl speed ecdsap256` from the same run, and beside Pebble when its binary is installed
// (bench/pebble.ts: the same client, the same loopback challenge server).
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import type { Worker } from 'node:worker_threads';
import { opensslSpeed } from './openssl-speed.js';
import { pebbleBinary, startPebble } from './pebble.js';
import { startTsWorker } from './ts-worker.js';
import { LEVELS, PHASES, POLL_MS, WARMUP_ORDERS, measure, openAccount, type Level } from './acme-measure.js';
import type { FromClient, ToClient } from './acme-client-worker.js';
import { AcmeTestClient, newAccountKey } from '../test/support/acme-client.js';
import { eabFor } from '../test/support/acme.js';
import { startCertdesk } from '../test/support/harness.js';
import { CAA_IDENTITY } from '../test/support/orders.js';
import { startChallengeServer } from '../test/challenge-server.js';
import { toPem } from '../src/crypto/pem.js';
import { createAccount } from '../src/accounts/accounts.js';
import { grantPlan } from '../src/accounts/plans.js';
import BetterSqlite3 from 'better-sqlite3';

/**
 * SQLite statements run (and write transactions begun) in this process while counting is on:
 * like CPU per order, a figure a busy machine does not move. Counts better-sqlite3's
 * run/all/get/iterate calls; BENCH_ACME_SQL=1 also prints the statements by total time.
 */
function statementCounter() {
  const probe = new BetterSqlite3(':memory:');
  const proto = Object.getPrototypeOf(probe.prepare('select 1')) as Record<string, unknown>;
  probe.close();
  const bySource = new Map<string, { n: number; ms: number }>();
  // Timing each statement costs the server thread CPU: only when the table is asked for.
  const bySourceOn = Boolean(process.env.BENCH_ACME_SQL);
  let on = false;
  let statements = 0;
  let writes = 0;
  // Whether a statement begins a transaction, per statement object: `source` is a native
  // getter that copies the SQL text at every read, which cost the server thread about 1 ms
  // per order (the statements are prepared once, sqlite/open-sqlite.ts).
  const begins = new WeakMap<object, boolean>();
  for (const m of ['run', 'all', 'get', 'iterate']) {
    const orig = proto[m] as (...a: unknown[]) => unknown;
    proto[m] = function (this: { source: string }, ...a: unknown[]) {
      if (!on) return orig.apply(this, a);
      statements++;
      let begin = begins.get(this);
      if (begin === undefined) begins.set(this, (begin = this.source.startsWith('begin')));
      if (begin) writes++;
      if (!bySourceOn) return orig.apply(this, a);
      const t = performance.now();
      try {
        return orig.apply(this, a);
      } finally {
        const s = bySource.get(this.source) ?? { n: 0, ms: 0 };
        s.n++;
        s.ms += performance.now() - t;
        bySource.set(this.source, s);
      }
    };
  }
  return {
    start() {
      statements = writes = 0;
      on = true;
    },
    stop() {
      on = false;
      return { statements, transactions: writes };
    },
    print(orders: number) {
      const rows = [...bySource].sort((a, b) => b[1].ms - a[1].ms);
      console.log(`\nSQLite statements by total time (${orders} orders)\n`);
      console.log('| per order | µs each | statement |\n|---|---|---|');
      for (const [k, s] of rows.slice(0, 40))
        console.log(
          `| ${(s.n / orders).toFixed(2)} | ${((s.ms / s.n) * 1000).toFixed(0)} | \`${k.replace(/\s+/g, ' ').slice(0, 200)}\` |`,
        );
    },
  };
}
const sql = statementCounter();

/**
 * BENCH_ACME_PROFILE=file.cpuprofile: a CPU profile of the main thread during certdesk's
 * levels only (no start-up, no warm-up, no Pebble); with the client in its worker, the server
 * alone. Started at the first level's start, written after certdesk's run.
 */
function levelProfiler(file: string | undefined, heapFile: string | undefined) {
  let session: Session | undefined;
  return {
    async startOnce(): Promise<void> {
      if ((!file && !heapFile) || session) return;
      session = new Session();
      session.connect();
      if (file) {
        await session.post('Profiler.enable');
        await session.post('Profiler.start');
      }
      // BENCH_ACME_HEAP_PROFILE=file.heapprofile: where certdesk's thread allocates (sampled
      // every 16 KiB), for the GC share of its CPU.
      if (heapFile)
        await session.post('HeapProfiler.startSampling', {
          samplingInterval: 16384,
          // Every allocation, not only what is still alive at the end.
          includeObjectsCollectedByMajorGC: true,
          includeObjectsCollectedByMinorGC: true,
        });
    },
    async stop(): Promise<void> {
      if (!session) return;
      if (file) writeFileSync(file, JSON.stringify((await session.post('Profiler.stop')).profile));
      if (heapFile) writeFileSync(heapFile, JSON.stringify((await session.post('HeapProfiler.stopSampling')).profile));
      session.disconnect();
      session = undefined;
      file = heapFile = undefined;
    },
  };
}
const profiler = levelProfiler(process.env.BENCH_ACME_PROFILE, process.env.BENCH_ACME_HEAP_PROFILE);

/** What the thread holding the server does at a level's start (the client waits for it). */
async function levelStart(): Promise<void> {
  await profiler.startOnce();
  sql.start();
}

function print(title: string, levels: Level[]): void {
  console.log(`\n${title}\n`);
  const ms = (v: number | undefined) => (v === undefined ? '-' : `${v.toFixed(1)} ms`);
  console.log(
    '| level | throughput | latency | latency | CPU per order: process / main thread / client thread | SQLite statements / transactions per order | machine |',
  );
  console.log('|---|---|---|---|---|---|---|');
  for (const l of levels)
    console.log(
      `| ${l.inFlight} in flight | ${l.ordersPerSecond.toFixed(1)} orders/s | p50 ${l.p50.toFixed(0)} ms | p99 ${l.p99.toFixed(0)} ms | ${ms(l.cpuMsPerOrder)} / ${ms(l.mainThreadMsPerOrder)} / ${ms(l.clientThreadMsPerOrder)} | ${l.statements.toFixed(1)} / ${l.transactions.toFixed(1)} | ${l.busy} |`,
    );
  console.log(
    `\nMean ms per order and phase (polls: authorization and order reads per order, after the answer's Retry-After, else ${POLL_MS} ms; requests: HTTPS requests per order)\n`,
  );
  console.log(
    `| level | ${PHASES.join(' | ')} | polls | requests |\n|---|${PHASES.map(() => '---|').join('')}---|---|`,
  );
  for (const l of levels)
    console.log(
      `| ${l.inFlight} in flight | ${l.phaseMs.map((ms) => ms.toFixed(0)).join(' | ')} | ${l.polls.toFixed(1)} | ${l.requests.toFixed(1)} |`,
    );
}

/**
 * Where the client runs: a worker thread of its own by default (the challenge server with it),
 * BENCH_ACME_ONE_THREAD=1 for client, challenge server and certdesk on one event loop (the
 * layout of the figures before decision 0027, kept to compare with them).
 */
interface ClientSide {
  inWorker: boolean;
  csPorts: { dnsAddress: string; httpPort: number; tlsAlpnPort: number };
  run(
    directoryUrl: string,
    caPem: string,
    counts: { perLevel: number; warmup: number },
    eab?: { keyId: string; hmac: string },
  ): Promise<Level[]>;
  close(): Promise<void>;
}

async function oneThreadClient(): Promise<ClientSide> {
  const cs = await startChallengeServer();
  return {
    inWorker: false,
    csPorts: { dnsAddress: cs.dnsAddress, httpPort: cs.httpPort, tlsAlpnPort: cs.tlsAlpnPort },
    async run(directoryUrl, caPem, { perLevel, warmup }, eab) {
      const client = await new AcmeTestClient(directoryUrl, newAccountKey('ec256'), caPem).init();
      try {
        await openAccount(client, eab);
        return await measure(client, cs, perLevel, { start: levelStart, end: async () => sql.stop() }, false, warmup);
      } finally {
        client.close();
      }
    },
    close: () => cs.close(),
  };
}

async function workerClient(): Promise<ClientSide> {
  const worker: Worker = startTsWorker(new URL('./acme-client-worker.ts', import.meta.url), undefined);
  let onMessage: (m: FromClient) => void = () => {};
  worker.on('message', (m: FromClient) => onMessage(m));
  const send = (m: ToClient) => worker.postMessage(m);
  const csPorts = await new Promise<ClientSide['csPorts']>((resolve, reject) => {
    worker.once('error', reject);
    onMessage = (m) => {
      if (m.type === 'challenge-server') resolve(m);
    };
  });
  return {
    inWorker: true,
    csPorts,
    run: (directoryUrl, caPem, { perLevel, warmup }, eab) =>
      new Promise<Level[]>((resolve, reject) => {
        onMessage = (m) => {
          if (m.type === 'level-start') void levelStart().then(() => send({ type: 'ack' }));
          else if (m.type === 'level-end') send({ type: 'ack', ...sql.stop() });
          else if (m.type === 'result') resolve(m.levels);
          else if (m.type === 'error') reject(new Error(m.message));
        };
        send({ type: 'run', directoryUrl, caPem, perLevel, warmup, ...(eab ? { eab } : {}) });
      }),
    close: async () => {
      send({ type: 'stop' });
      await new Promise((r) => worker.once('exit', r));
    },
  };
}

export async function runAcmeBench(opts: { quick: boolean }): Promise<void> {
  // certdesk's levels: five rounds of the 32 in flight at least (--quick; 40 orders, as before
  // decision 0034, measured one round and a tail of 8); BENCH_ACME_ORDERS to change.
  const perLevel = Number(process.env.BENCH_ACME_ORDERS ?? (opts.quick ? 160 : 400));
  const side = process.env.BENCH_ACME_ONE_THREAD ? await oneThreadClient() : await workerClient();
  const cd = await startCertdesk({
    'dns-resolver': side.csPorts.dnsAddress,
    'http-validation-port': String(side.csPorts.httpPort),
    'tls-alpn-validation-port': String(side.csPorts.tlsAlpnPort),
    'allow-private-validation-targets': true,
    'caa-identity': CAA_IDENTITY,
  });
  let certdesk: Level[];
  try {
    const key = await createAccount(cd.ctx.accounts, 'Bench');
    await grantPlan(cd.ctx.accounts, { accountId: key.AccountId, productCode: 'digicert-free-1-free', count: 100_000 });
    const eab = await eabFor(cd, key.AccountId, 'digicert-free-1-free');
    certdesk = await side.run(
      `${cd.server.acmeListenUrl}/acme/directory`,
      toPem('CERTIFICATE', cd.server.hierarchy.root.certDer),
      { perLevel, warmup: WARMUP_ORDERS },
      { keyId: eab.KeyId, hmac: eab.HmacKey },
    );
    await profiler.stop();
  } finally {
    await cd.close();
  }
  let pebble: { levels: Level[]; version: string } | string;
  const binary = process.env.BENCH_ACME_NO_PEBBLE ? undefined : pebbleBinary();
  if (!binary) pebble = 'Pebble: not installed (Debian package `pebble`), not measured.';
  else {
    const p = await startPebble({
      binary,
      dnsAddress: side.csPorts.dnsAddress,
      httpPort: side.csPorts.httpPort,
      tlsPort: side.csPorts.tlsAlpnPort,
    });
    try {
      // Pebble answers after its own 1 s polls (tens of seconds a level): fewer orders, and no
      // warm-up (compiled Go; the client's thread is warm from certdesk's levels).
      const counts = { perLevel: opts.quick ? 40 : 200, warmup: 0 };
      pebble = { levels: await side.run(p.directoryUrl, p.caPem, counts), version: p.version };
    } finally {
      await p.close();
    }
  }
  await side.close();
  console.log(
    side.inWorker
      ? '\nThe client (JWS client and loopback DNS/HTTP challenge server) runs in a worker thread of the bench process; certdesk in its main thread.'
      : '\nClient, challenge server and certdesk share one thread (BENCH_ACME_ONE_THREAD).',
  );
  const speed = await opensslSpeed(opts.quick ? 1 : 3);
  print(
    `certdesk ACME end to end, SQLite, ${perLevel} one-name http-01 orders per level after ${WARMUP_ORDERS} unmeasured (project JWS client)`,
    certdesk,
  );
  if (process.env.BENCH_ACME_SQL) sql.print(perLevel * LEVELS.length);
  if (typeof pebble === 'string') console.log(`\n${pebble}`);
  else {
    print(
      `Pebble ${pebble.version}, same client, same loopback challenge server, ${pebble.levels[0]?.orders ?? 0} orders per level (its CPU is its own process's)`,
      pebble.levels,
    );
    console.log('\n| level | certdesk / Pebble |\n|---|---|');
    for (const [i, l] of certdesk.entries())
      console.log(
        `| ${l.inFlight} in flight | ${(l.ordersPerSecond / pebble.levels[i]!.ordersPerSecond).toFixed(2)} |`,
      );
  }
  console.log(
    `\nopenssl speed ecdsap256 (same run): ${speed.signsPerSecond.toFixed(0)} signs/s, OpenSSL ${speed.version}`,
  );
}
