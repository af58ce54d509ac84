// The client side of `npm run bench -- --acme` (bench/acme.ts): one-name http-01 orders with
// the project's JWS client at each level, timed per phase. Runs in the bench's main thread
// or in a worker thread of its own (bench/acme-client-worker.ts), the same code either way.
import { readFileSync, readdirSync } from 'node:fs';
import type { AcmeResponse, AcmeTestClient } from '../test/support/acme-client.js';
import { csrFor } from '../test/support/acme.js';
import { freshDomain } from '../test/support/orders.js';
import type { ChallengeServer } from '../test/challenge-server.js';
import { machineShares, readCpuSnapshot } from './machine.js';

export const LEVELS = [8, 32];
export const PHASES = ['newOrder', 'authz', 'challenge', 'until valid', 'finalize', 'certificate'] as const;
/** The wait between polls when the server sends no Retry-After (certbot's 1 s); BENCH_ACME_POLL_MS to change it. */
export const POLL_MS = Number(process.env.BENCH_ACME_POLL_MS ?? 1000);

export interface Level {
  inFlight: number;
  /** Orders measured at this level. */
  orders: number;
  ordersPerSecond: number;
  p50: number;
  p99: number;
  /** CPU of the whole process (server, its threads and the client together; Pebble's own not included) per order. */
  cpuMsPerOrder: number;
  /** CPU of the main thread (certdesk's event loop; with the client in a worker, the server alone) per order. */
  mainThreadMsPerOrder: number | undefined;
  /** CPU of the client's thread per order, when the client runs in a worker thread. */
  clientThreadMsPerOrder: number | undefined;
  busy: string;
  /** Mean ms per phase (PHASES), and polls (authorization and order reads) per order. */
  phaseMs: number[];
  polls: number;
  /** HTTPS requests the client made per order. */
  requests: number;
  /** SQLite statements and transactions (`begin`) per order in this process (certdesk only). */
  statements: number;
  transactions: number;
}

/** The bench account: with EAB on certdesk; on Pebble (no EAB by default) the plain RFC 8555 §7.3 way. */
export async function openAccount(client: AcmeTestClient, eab?: { keyId: string; hmac: string }): Promise<void> {
  const r = eab
    ? await client.newAccount(eab)
    : await client.post(
        client.directory.newAccount,
        { termsOfServiceAgreed: true, contact: ['mailto:ops@example.com'] },
        { useJwk: true },
      );
  if (r.status !== 201) throw new Error(`newAccount: ${r.status} ${r.text}`);
  client.kid = r.headers.get('location')!;
}

/** Start and end of a level, for what the thread holding the server counts (SQLite statements). */
export interface LevelHooks {
  start(): Promise<void>;
  end(): Promise<{ statements: number; transactions: number }>;
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? NaN;
}

/** CPU time of one thread of this process (utime + stime of /proc/self/task/TID/stat), ms; undefined off Linux. */
export function threadCpuMs(tid: number | 'self'): number | undefined {
  try {
    const stat = readFileSync(tid === 'self' ? '/proc/thread-self/stat' : `/proc/self/task/${tid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100; // USER_HZ is 100 on Linux
  } catch {
    return undefined;
  }
}

/** CPU ms of every thread of this process by thread id (Linux), for BENCH_ACME_THREADS. */
function allThreadsCpuMs(): Map<number, number> {
  const m = new Map<number, number>();
  try {
    for (const t of readdirSync('/proc/self/task')) {
      const ms = threadCpuMs(Number(t));
      if (ms !== undefined) m.set(Number(t), ms);
    }
  } catch {
    // not Linux
  }
  return m;
}

/**
 * Orders run before the first level and measured by nothing (BENCH_ACME_WARMUP to change, 0
 * for none): V8 compiles the request path's functions with TurboFan only once each has run
 * often enough, on its background threads, so the first few hundred orders after a start
 * cost about twice the CPU of later ones (docs/decisions/0034-acme-bench-warm-up.md). A
 * level of 40 orders right after start measured that start, not a server under load.
 */
export const WARMUP_ORDERS = Number(process.env.BENCH_ACME_WARMUP ?? 600);

/**
 * Runs `warmup` orders unmeasured, then `perLevel` one-name http-01 orders at each level
 * against the server `client` talks to.
 */
export async function measure(
  client: AcmeTestClient,
  cs: ChallengeServer,
  perLevel: number,
  hooks: LevelHooks,
  clientInWorker: boolean,
  warmup = WARMUP_ORDERS,
): Promise<Level[]> {
  const csrs = Array.from({ length: warmup + perLevel * LEVELS.length }, () => freshDomain('bench')).map((name) => ({
    name,
    csr: csrFor([name]).der.toString('base64url'),
  }));
  let phaseMs: number[] = [];
  let polls = 0;
  let requests = 0;
  // Every HTTPS request the client makes (newNonce HEADs included), for requests per order.
  const raw = client.raw.bind(client);
  client.raw = (...a: Parameters<AcmeTestClient['raw']>) => (requests++, raw(...a));
  /**
   * Reads `url` until `done`, as lego and acme-client poll: after the integer Retry-After of
   * the last answer (RFC 8555 §7.4, §8.2), else after POLL_MS (certbot's fixed 1 s).
   */
  const pollUntil = async (url: string, last: AcmeResponse, done: (body: any) => boolean): Promise<AcmeResponse> => {
    const end = Date.now() + 60_000;
    for (let r = last; ;) {
      const ra = Number(r.headers.get('retry-after'));
      await new Promise((res) => setTimeout(res, Number.isInteger(ra) && ra > 0 ? ra * 1000 : POLL_MS));
      polls++;
      r = await client.post(url, '');
      if (done(r.body)) return r;
      if (Date.now() > end) throw new Error(`${url} stayed ${r.text.slice(0, 300)}`);
    }
  };
  // The steps of lego 4.9's Obtain (RFC 8555 §7.4-§7.5.1): the order, its authorization, the
  // challenge; the authorization polled only when the challenge answer is not yet valid
  // (lego's checkChallengeStatus); finalize at the newOrder answer's URL; the order polled only
  // while not valid; the certificate.
  const one = async ({ name, csr }: { name: string; csr: string }): Promise<number> => {
    const marks = [performance.now()];
    const mark = () => marks.push(performance.now());
    const order = await client.newOrder([name]);
    if (order.status !== 201) throw new Error(`newOrder: ${order.status} ${order.text}`);
    mark();
    const url = order.headers.get('location')!;
    const authzUrl = order.body.authorizations[0] as string;
    const authz = (await client.post(authzUrl, '')).body;
    mark();
    const ch = authz.challenges.find((c: { type: string }) => c.type === 'http-01');
    cs.setA(name, ['127.0.0.1']);
    cs.setHttp(name, `/.well-known/acme-challenge/${ch.token}`, { body: await client.keyAuthorization(ch.token) });
    const started = await client.post(ch.url, {});
    mark();
    if (started.body.status !== 'valid') {
      const done = await pollUntil(authzUrl, started, (a) => a.status !== 'pending');
      if (done.body.status !== 'valid') throw new Error(`authorization ${done.body.status}: ${done.text}`);
    }
    mark();
    let fin = await client.post(order.body.finalize, { csr });
    if (fin.status !== 200) throw new Error(`finalize: ${fin.status} ${fin.text}`);
    if (fin.body.status !== 'valid')
      fin = await pollUntil(url, fin, (o) => o.status === 'valid' || o.status === 'invalid');
    if (fin.body.status !== 'valid') throw new Error(`order ${fin.body.status}: ${fin.text}`);
    mark();
    await client.post(fin.body.certificate, '');
    mark();
    for (let i = 1; i < marks.length; i++) phaseMs[i - 1]! += marks[i]! - marks[i - 1]!;
    return marks[marks.length - 1]! - marks[0]!;
  };
  const levels: Level[] = [];
  let offset = 0;
  // The warm-up: orders at the highest level, measured by nothing (docs/decisions/0034).
  if (warmup > 0) {
    const batch = csrs.slice(0, warmup);
    offset = warmup;
    let next = 0;
    await Promise.all(
      Array.from({ length: LEVELS[LEVELS.length - 1]! }, async () => {
        while (next < batch.length) await one(batch[next++]!);
      }),
    );
  }
  for (const inFlight of LEVELS) {
    const batch = csrs.slice(offset, offset + perLevel);
    offset += perLevel;
    const latencies: number[] = [];
    phaseMs = PHASES.map(() => 0);
    polls = requests = 0;
    let next = 0;
    await hooks.start();
    const cpu0 = readCpuSnapshot();
    const usage0 = process.cpuUsage();
    const main0 = threadCpuMs(process.pid);
    const client0 = clientInWorker ? threadCpuMs('self') : undefined;
    const threads0 = process.env.BENCH_ACME_THREADS ? allThreadsCpuMs() : undefined;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: inFlight }, async () => {
        while (next < batch.length) latencies.push(await one(batch[next++]!));
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    // CPU per order: what a busy machine changes least, beside the wall clock.
    const usage = process.cpuUsage(usage0);
    const main1 = threadCpuMs(process.pid);
    const client1 = clientInWorker ? threadCpuMs('self') : undefined;
    if (threads0) {
      // Which threads spend the process's CPU (main = certdesk, self = the client in its
      // worker; the rest: V8's platform threads (GC, compiler) and libuv's pool).
      const self = clientInWorker ? Number(readFileSync('/proc/thread-self/stat', 'utf8').split(' ')[0]) : -1;
      const rows = [...allThreadsCpuMs()]
        .map(([tid, ms]) => [tid, (ms - (threads0.get(tid) ?? 0)) / batch.length] as const)
        .filter(([, ms]) => ms >= 0.05)
        .map(([tid, ms]) => `${tid === process.pid ? 'main' : tid === self ? 'client' : tid} ${ms.toFixed(2)}`);
      console.log(`${inFlight} in flight: CPU ms per order by thread: ${rows.join(', ')}`);
    }
    const counted = await hooks.end();
    const shares = machineShares(cpu0, readCpuSnapshot());
    latencies.sort((a, b) => a - b);
    levels.push({
      inFlight,
      orders: batch.length,
      ordersPerSecond: batch.length / seconds,
      p50: pct(latencies, 0.5),
      p99: pct(latencies, 0.99),
      cpuMsPerOrder: (usage.user + usage.system) / 1000 / batch.length,
      mainThreadMsPerOrder: main0 !== undefined && main1 !== undefined ? (main1 - main0) / batch.length : undefined,
      clientThreadMsPerOrder:
        client0 !== undefined && client1 !== undefined ? (client1 - client0) / batch.length : undefined,
      busy:
        shares && shares.others > 0.15
          ? `NOT CONCLUSIVE (other processes used ${Math.round(shares.others * 100)} % of the CPU)`
          : '',
      phaseMs: phaseMs.map((ms) => ms / batch.length),
      polls: polls / batch.length,
      requests: requests / batch.length,
      statements: counted.statements / batch.length,
      transactions: counted.transactions / batch.length,
    });
  }
  return levels;
}
