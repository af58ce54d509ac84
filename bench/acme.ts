// `npm run bench -- --acme [--quick]`: ACME orders per second end to end (one-name http-01
// orders with the project's JWS client, 8 and 32 in flight, on SQLite), p50/p99
// order-to-certificate latency, CPU per order and where an order's time goes, beside
// `openssl speed ecdsap256` from the same run, and beside Pebble when its binary is installed
// (bench/pebble.ts: the same client, the same loopback challenge server).
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { opensslSpeed } from './openssl-speed.js';
import { machineShares, readCpuSnapshot } from './machine.js';
import { pebbleBinary, startPebble } from './pebble.js';
import { AcmeTestClient, newAccountKey } from '../test/support/acme-client.js';
import { csrFor, eabFor, startAcmeCertdesk } from '../test/support/acme.js';
import { freshDomain } from '../test/support/orders.js';
import type { ChallengeServer } from '../test/challenge-server.js';
import { createAccount } from '../src/accounts/accounts.js';
import { grantPlan } from '../src/accounts/plans.js';

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? NaN;
}

const LEVELS = [8, 32];
const PHASES = ['newOrder', 'authz', 'challenge', 'until ready', 'finalize', 'certificate'] as const;

interface Level {
  inFlight: number;
  ordersPerSecond: number;
  p50: number;
  p99: number;
  /** CPU of this process (server, its threads and the client together; Pebble's own not included) per order. */
  cpuMsPerOrder: number;
  busy: string;
  /** Mean ms per phase (PHASES), and order reads per order. */
  phaseMs: number[];
  polls: number;
}

/** Runs `perLevel` one-name http-01 orders at each level against the server `client` talks to. */
async function measure(client: AcmeTestClient, cs: ChallengeServer, perLevel: number): Promise<Level[]> {
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
    const cpu0 = readCpuSnapshot();
    const usage0 = process.cpuUsage();
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: inFlight }, async () => {
        while (next < batch.length) latencies.push(await one(batch[next++]!));
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    // CPU of this process per order: what a busy machine changes least, beside the wall clock.
    const usage = process.cpuUsage(usage0);
    const shares = machineShares(cpu0, readCpuSnapshot());
    latencies.sort((a, b) => a - b);
    levels.push({
      inFlight,
      ordersPerSecond: batch.length / seconds,
      p50: pct(latencies, 0.5),
      p99: pct(latencies, 0.99),
      cpuMsPerOrder: (usage.user + usage.system) / 1000 / batch.length,
      busy:
        shares && shares.others > 0.15
          ? `NOT CONCLUSIVE (other processes used ${Math.round(shares.others * 100)} % of the CPU)`
          : '',
      phaseMs: phaseMs.map((ms) => ms / batch.length),
      polls: polls / batch.length,
    });
  }
  return levels;
}

function print(title: string, levels: Level[]): void {
  console.log(`\n${title}\n`);
  console.log('| level | throughput | latency | latency | CPU per order (this process) | machine |');
  console.log('|---|---|---|---|---|---|');
  for (const l of levels)
    console.log(
      `| ${l.inFlight} in flight | ${l.ordersPerSecond.toFixed(1)} orders/s | p50 ${l.p50.toFixed(0)} ms | p99 ${l.p99.toFixed(0)} ms | ${l.cpuMsPerOrder.toFixed(1)} ms | ${l.busy} |`,
    );
  console.log(`\nMean ms per order and phase (polls: order reads per order, every 50 ms)\n`);
  console.log(`| level | ${PHASES.join(' | ')} | polls |\n|---|${PHASES.map(() => '---|').join('')}---|`);
  for (const l of levels)
    console.log(
      `| ${l.inFlight} in flight | ${l.phaseMs.map((ms) => ms.toFixed(0)).join(' | ')} | ${l.polls.toFixed(1)} |`,
    );
}

export async function runAcmeBench(opts: { quick: boolean }): Promise<void> {
  const perLevel = opts.quick ? 40 : 200;
  const { cd, cs, rootPem, directoryUrl } = await startAcmeCertdesk();
  let certdesk: Level[];
  try {
    const key = await createAccount(cd.ctx.accounts, 'Bench');
    await grantPlan(cd.ctx.accounts, { accountId: key.AccountId, productCode: 'digicert-free-1-free', count: 100_000 });
    const client = await new AcmeTestClient(directoryUrl, newAccountKey('ec256'), rootPem).init();
    const eab = await eabFor(cd, key.AccountId, 'digicert-free-1-free');
    await client.newAccount({ keyId: eab.KeyId, hmac: eab.HmacKey });
    // BENCH_ACME_PROFILE=file.cpuprofile: a CPU profile of certdesk's levels only (no start-up, no Pebble).
    const profile = process.env.BENCH_ACME_PROFILE;
    const session = profile ? new Session() : undefined;
    if (session) {
      session.connect();
      await session.post('Profiler.enable');
      await session.post('Profiler.start');
    }
    certdesk = await measure(client, cs, perLevel);
    if (session) {
      const { profile: p } = await session.post('Profiler.stop');
      writeFileSync(profile!, JSON.stringify(p));
      session.disconnect();
    }
    client.close();
  } finally {
    await cd.close();
  }
  let pebble: { levels: Level[]; version: string } | string;
  const binary = process.env.BENCH_ACME_NO_PEBBLE ? undefined : pebbleBinary();
  if (!binary) pebble = 'Pebble: not installed (Debian package `pebble`), not measured.';
  else {
    const p = await startPebble({ binary, dnsAddress: cs.dnsAddress, httpPort: cs.httpPort, tlsPort: cs.tlsAlpnPort });
    try {
      const client = await new AcmeTestClient(p.directoryUrl, newAccountKey('ec256'), p.caPem).init();
      // Pebble asks for no EAB by default; the account is made the plain RFC 8555 §7.3 way.
      const acct = await client.post(
        client.directory.newAccount,
        { termsOfServiceAgreed: true, contact: ['mailto:ops@example.com'] },
        { useJwk: true },
      );
      if (acct.status !== 201) throw new Error(`pebble newAccount: ${acct.status} ${acct.text}`);
      client.kid = acct.headers.get('location')!;
      pebble = { levels: await measure(client, cs, perLevel), version: p.version };
      client.close();
    } finally {
      await p.close();
    }
  }
  await cs.close();
  const speed = await opensslSpeed(opts.quick ? 1 : 3);
  print(
    `certdesk ACME end to end, SQLite, ${perLevel} one-name http-01 orders per level (project JWS client)`,
    certdesk,
  );
  if (typeof pebble === 'string') console.log(`\n${pebble}`);
  else {
    print(
      `Pebble ${pebble.version}, same client, same loopback challenge server (its CPU is its own process's)`,
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
