// The client side of `npm run bench -- --acme` (bench/acme.ts): one-name http-01 orders with
// the project's JWS client at each level, timed per phase. Runs in the bench's main thread
// or in a worker thread of its own (bench/acme-client-worker.ts), the same code either way.
import { readFileSync } from 'node:fs';
import type { AcmeTestClient } from '../test/support/acme-client.js';
import { csrFor } from '../test/support/acme.js';
import { freshDomain } from '../test/support/orders.js';
import type { ChallengeServer } from '../test/challenge-server.js';
import { machineShares, readCpuSnapshot } from './machine.js';

export const LEVELS = [8, 32];
export const PHASES = ['newOrder', 'authz', 'challenge', 'until ready', 'finalize', 'certificate'] as const;

export interface Level {
  inFlight: number;
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
  /** Mean ms per phase (PHASES), and order reads per order. */
  phaseMs: number[];
  polls: number;
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

/** Runs `perLevel` one-name http-01 orders at each level against the server `client` talks to. */
export async function measure(
  client: AcmeTestClient,
  cs: ChallengeServer,
  perLevel: number,
  hooks: LevelHooks,
  clientInWorker: boolean,
): Promise<Level[]> {
  const csrs = Array.from({ length: perLevel * LEVELS.length }, () => freshDomain('bench')).map((name) => ({
    name,
    csr: csrFor([name]).der.toString('base64url'),
  }));
  let phaseMs: number[] = [];
  let polls = 0;
  const one = async ({ name, csr }: { name: string; csr: string }): Promise<number> => {
    const marks = [performance.now()];
    const mark = () => marks.push(performance.now());
    const order = await client.newOrder([name]);
    if (order.status !== 201) throw new Error(`newOrder: ${order.status} ${order.text}`);
    mark();
    const url = order.headers.get('location')!;
    const authz = (await client.post(order.body.authorizations[0], '')).body;
    mark();
    const ch = authz.challenges.find((c: { type: string }) => c.type === 'http-01');
    cs.setA(name, ['127.0.0.1']);
    cs.setHttp(name, `/.well-known/acme-challenge/${ch.token}`, { body: await client.keyAuthorization(ch.token) });
    await client.post(ch.url, {});
    mark();
    const ready = await client.poll(url, (o) => (polls++, o.status !== 'pending'), 60_000);
    if (ready.body.status !== 'ready') throw new Error(`order ${ready.body.status}: ${ready.text}`);
    mark();
    let fin = await client.post(ready.body.finalize, { csr });
    if (fin.body.status !== 'valid') fin = await client.poll(url, (o) => (polls++, o.status === 'valid'), 60_000);
    mark();
    await client.post(fin.body.certificate, '');
    mark();
    for (let i = 1; i < marks.length; i++) phaseMs[i - 1]! += marks[i]! - marks[i - 1]!;
    return marks[marks.length - 1]! - marks[0]!;
  };
  const levels: Level[] = [];
  let offset = 0;
  for (const inFlight of LEVELS) {
    const batch = csrs.slice(offset, offset + perLevel);
    offset += perLevel;
    const latencies: number[] = [];
    phaseMs = PHASES.map(() => 0);
    polls = 0;
    let next = 0;
    await hooks.start();
    const cpu0 = readCpuSnapshot();
    const usage0 = process.cpuUsage();
    const main0 = threadCpuMs(process.pid);
    const client0 = clientInWorker ? threadCpuMs('self') : undefined;
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
    const counted = await hooks.end();
    const shares = machineShares(cpu0, readCpuSnapshot());
    latencies.sort((a, b) => a - b);
    levels.push({
      inFlight,
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
      statements: counted.statements / batch.length,
      transactions: counted.transactions / batch.length,
    });
  }
  return levels;
}
