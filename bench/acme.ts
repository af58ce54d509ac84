// `npm run bench -- --acme [--quick]`: ACME orders per second end to end (one-name http-01
// orders with the project's JWS client, 8 and 32 in flight, on SQLite), p50/p99
// order-to-certificate latency, beside `openssl speed ecdsap256` from the same run. Pebble is
// not measured here yet (its binary needs its own config and a client; see docs/acme.md).
import { opensslSpeed } from './openssl-speed.js';
import { machineShares, readCpuSnapshot } from './machine.js';
import { AcmeTestClient, newAccountKey } from '../test/support/acme-client.js';
import { csrFor, eabFor, startAcmeCertdesk } from '../test/support/acme.js';
import { freshDomain } from '../test/support/orders.js';
import { createAccount } from '../src/accounts/accounts.js';
import { grantPlan } from '../src/accounts/plans.js';

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? NaN;
}

export async function runAcmeBench(opts: { quick: boolean }): Promise<void> {
  const perLevel = opts.quick ? 40 : 200;
  const { cd, cs, rootPem, directoryUrl } = await startAcmeCertdesk();
  try {
    const key = await createAccount(cd.ctx.accounts, 'Bench');
    await grantPlan(cd.ctx.accounts, { accountId: key.AccountId, productCode: 'digicert-free-1-free', count: 100_000 });
    const client = await new AcmeTestClient(directoryUrl, newAccountKey('ec256'), rootPem).init();
    const eab = await eabFor(cd, key.AccountId, 'digicert-free-1-free');
    await client.newAccount({ keyId: eab.KeyId, hmac: eab.HmacKey });
    const csrs = Array.from({ length: perLevel * 2 }, () => freshDomain('bench')).map((name) => ({
      name,
      csr: csrFor([name]).der.toString('base64url'),
    }));
    // Where an order's time goes: milliseconds per phase, summed over the level's orders.
    const PHASES = ['newOrder', 'authz', 'challenge', 'until ready', 'finalize', 'certificate'] as const;
    let phaseMs: number[] = PHASES.map(() => 0);
    let polls = 0;
    const one = async ({ name, csr }: { name: string; csr: string }): Promise<number> => {
      const t0 = performance.now();
      const marks = [t0];
      const mark = () => marks.push(performance.now());
      const order = await client.newOrder([name]);
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
      mark();
      let fin = await client.post(ready.body.finalize, { csr });
      if (fin.body.status !== 'valid') fin = await client.poll(url, (o) => (polls++, o.status === 'valid'), 60_000);
      mark();
      await client.post(fin.body.certificate, '');
      mark();
      for (let i = 1; i < marks.length; i++) phaseMs[i - 1]! += marks[i]! - marks[i - 1]!;
      return performance.now() - t0;
    };
    const rows: string[] = [];
    const phaseRows: string[] = [];
    let offset = 0;
    for (const inFlight of [8, 32]) {
      const batch = csrs.slice(offset, offset + perLevel);
      offset += perLevel;
      const latencies: number[] = [];
      phaseMs = PHASES.map(() => 0);
      polls = 0;
      let next = 0;
      const cpu0 = readCpuSnapshot();
      const t0 = performance.now();
      await Promise.all(
        Array.from({ length: inFlight }, async () => {
          while (next < batch.length) latencies.push(await one(batch[next++]!));
        }),
      );
      const seconds = (performance.now() - t0) / 1000;
      const shares = machineShares(cpu0, readCpuSnapshot());
      latencies.sort((a, b) => a - b);
      const busy =
        shares && shares.others > 0.15
          ? `NOT CONCLUSIVE (other processes used ${Math.round(shares.others * 100)} % of the CPU)`
          : '';
      rows.push(
        `| ${inFlight} in flight | ${(batch.length / seconds).toFixed(1)} orders/s | p50 ${pct(latencies, 0.5).toFixed(0)} ms | p99 ${pct(latencies, 0.99).toFixed(0)} ms | ${busy} |`,
      );
      phaseRows.push(
        `| ${inFlight} in flight | ${PHASES.map((_, i) => (phaseMs[i]! / batch.length).toFixed(0)).join(' | ')} | ${(polls / batch.length).toFixed(1)} |`,
      );
    }
    client.close();
    const speed = await opensslSpeed(opts.quick ? 1 : 3);
    console.log(`ACME end to end, SQLite, ${perLevel} one-name http-01 orders per level (project JWS client)\n`);
    console.log('| level | throughput | latency | latency | machine |\n|---|---|---|---|---|');
    for (const r of rows) console.log(r);
    console.log(`\nMean ms per order and phase (polls: order reads per order)\n`);
    console.log(`| level | ${PHASES.join(' | ')} | polls |\n|---|${PHASES.map(() => '---|').join('')}---|`);
    for (const r of phaseRows) console.log(r);
    console.log(
      `\nopenssl speed ecdsap256 (same run): ${speed.signsPerSecond.toFixed(0)} signs/s, OpenSSL ${speed.version}`,
    );
  } finally {
    await cd.close();
    await cs.close();
  }
}
