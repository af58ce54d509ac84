// `npm run bench -- --e2e [--quick] [--orders N]`: the end-to-end figure with certdesk's
// DEFAULT configuration (no retry or poll flags), on SQLite and PostgreSQL, N orders (400) at
// 8 and at 32 in flight, beside `openssl speed ecdsap256` of the same run. The customers are
// the official SDK (@alicloud/cas20200407) in a worker thread (bench/order-client-worker.ts),
// publishing the TXT record as soon as DescribeCertificateState names it and polling every
// 50 ms after; their DNS (the loopback challenge server certdesk queries) runs in that thread
// too, so the main thread is certdesk's alone. Per phase: orders/s, API requests per order,
// CPU per order of certdesk (this process minus the client thread), of its main thread alone,
// and of the client thread (SDK and DNS server), submit->issued p50/p99, and
// publication->issued p50 (the record on the DNS server to the order's row in `certificate`).
import { loadavg } from 'node:os';
import { runEndToEnd, type EndToEndResult } from './end-to-end.js';
import { machineShares, readCpuSnapshot } from './machine.js';
import { opensslSpeed } from './openssl-speed.js';

const POLL_MS = 50;

export async function runE2eMatrix(opts: {
  databaseUrl: string;
  orders: number;
  stores: Array<'sqlite' | 'postgres'>;
  /** certdesk flags besides the defaults (--flag NAME=VALUE): shown in the title, so a figure never hides them. */
  flags: Record<string, string>;
  inFlight: number[];
}) {
  process.stderr.write('bench: openssl speed -seconds 2 ecdsap256\n');
  const ossl = await opensslSpeed(2);
  const rows: Array<{ store: string; inFlight: number; r: EndToEndResult; others: number | undefined; load: number }> =
    [];
  for (const store of opts.stores) {
    for (const inFlight of opts.inFlight) {
      process.stderr.write(`bench: end-to-end ${store}, ${opts.orders} orders, ${inFlight} in flight\n`);
      const before = readCpuSnapshot();
      const r = await runEndToEnd({
        orders: opts.orders,
        concurrency: inFlight,
        pollMs: POLL_MS,
        orderTimeoutMs: 120_000,
        ...(store === 'postgres' ? { databaseUrl: opts.databaseUrl } : {}),
        flags: opts.flags,
      });
      rows.push({ store, inFlight, r, others: machineShares(before, readCpuSnapshot())?.others, load: loadavg()[0]! });
    }
  }
  const f = (x: number | undefined, d = 0) => (x === undefined || Number.isNaN(x) ? '?' : x.toFixed(d));
  const lines = [
    `certdesk bench --e2e (node ${process.version}), ${
      Object.keys(opts.flags).length === 0
        ? 'default configuration'
        : `defaults but ${Object.entries(opts.flags)
            .map(([k, v]) => `--${k} ${v}`)
            .join(' ')}`
    }; openssl speed ecdsap256 1 core: ${Math.round(ossl.signsPerSecond).toLocaleString('en')} signs/s`,
    '',
    'store     in flight  orders/s  req/order  sql/order  cpu ms/order certdesk  (main thread)  client  submit->issued p50  p99  pub->issued p50  failed  others busy  load',
    ...rows.map(
      ({ store, inFlight, r, others, load }) =>
        `${store.padEnd(9)} ${String(inFlight).padStart(9)} ${f(r.ordersPerSecond, 1).padStart(9)} ${f(r.requests / Math.max(1, r.orders), 1).padStart(10)} ${f(r.statementsPerOrder, 1).padStart(10)}` +
        ` ${f(r.serverCpuPerOrderMs, 2).padStart(22)} ${f(r.mainThreadCpuPerOrderMs, 2).padStart(14)} ${f(r.clientCpuPerOrderMs, 2).padStart(7)} ${f(r.p50Ms).padStart(19)} ${f(r.p99Ms).padStart(4)}` +
        ` ${f(r.publishToIssuedP50Ms).padStart(16)} ${String(r.errors.length).padStart(7)}  ${(others === undefined ? '?' : `${Math.round(others * 100)}%`).padStart(11)}  ${load.toFixed(1).padStart(4)}`,
    ),
    '',
    `  target: 300 orders/s on SQLite at 32 in flight, pub->issued p50 < 50 ms. Client: the official SDK in a worker thread, polling every ${POLL_MS} ms;`,
    `  the customers' DNS (the challenge server certdesk's validation queries) runs in that thread too: "client" holds both, "certdesk" only certdesk;`,
    `  "(main thread)": certdesk's event loop alone (API, job worker, store), the part of "certdesk" that saturates first.`,
    `  "others busy": CPU share other processes took meanwhile; above 10% the figures are NOT CONCLUSIVE (shared machine);`,
    `  "load": the 1-minute load average at the phase's end. CPU per order is the figure least moved by load;`,
    `  "sql/order" (SQLite: statements certdesk ran, per order) and "req/order" are not moved by it at all.`,
    ...rows.flatMap(({ store, inFlight, r }) =>
      r.errors.length > 0
        ? [`  ${store} ${inFlight}: ${r.errors.length} FAILED, e.g. ${r.errors.slice(0, 2).join('; ')}`]
        : [],
    ),
  ];
  console.log(lines.join('\n'));
}
