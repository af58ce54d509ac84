// `npm run bench -- --e2e [--quick] [--orders N]`: the end-to-end figure with certdesk's
// DEFAULT configuration (no retry or poll flags), on SQLite and PostgreSQL, N orders (400) at
// 8 and at 32 in flight, beside `openssl speed ecdsap256` of the same run. The customers are
// the official SDK (@alicloud/cas20200407) and a signed raw client (bench/scale-client.ts), each
// in turn, in a worker thread (bench/order-client-worker.ts),
// publishing the TXT record as soon as DescribeCertificateState names it and polling every
// 50 ms after; their DNS (the loopback challenge server certdesk queries) runs in that thread
// too, so the main thread is certdesk's alone. Per phase: orders/s, API requests per order,
// CPU per order of certdesk (this process minus the client thread), of its main thread alone,
// and of the client thread (SDK and DNS server), submit->issued p50/p99, and
// publication->issued p50 (the record on the DNS server to the order's row in `certificate`).
// Each store's levels follow an unmeasured warm-up (BENCH_E2E_WARMUP orders at 32 in flight,
// 400 by default; 0 for a cold start): V8 optimizes the request path only after some hundreds
// of orders, so a first level measured right after start holds that compilation, not the
// sustained rate the issue asks about (docs/decisions/0034, the same for the ACME bench).
import { loadavg } from 'node:os';
import { runEndToEnd, type EndToEndResult } from './end-to-end.js';
import { machineShares, readCpuSnapshot } from './machine.js';
import { opensslSpeed } from './openssl-speed.js';

const POLL_MS = 50;
const WARMUP_ORDERS = Number(process.env.BENCH_E2E_WARMUP ?? 400);

export async function runE2eMatrix(opts: {
  databaseUrl: string;
  orders: number;
  stores: Array<'sqlite' | 'postgres'>;
  /** certdesk flags besides the defaults (--flag NAME=VALUE): shown in the title, so a figure never hides them. */
  flags: Record<string, string>;
  inFlight: number[];
  /** The customers' clients, each measured at every level: the SDK, the signed raw client. */
  clients: Array<'sdk' | 'raw'>;
}) {
  process.stderr.write('bench: openssl speed -seconds 2 ecdsap256\n');
  const ossl = await opensslSpeed(2);
  const rows: Array<{
    store: string;
    client: string;
    inFlight: number;
    r: EndToEndResult;
    others: number | undefined;
    load: number;
  }> = [];
  for (const store of opts.stores) {
    if (WARMUP_ORDERS > 0) {
      process.stderr.write(
        `bench: end-to-end ${store}, warm-up: ${WARMUP_ORDERS} orders at 32 in flight, not measured\n`,
      );
      const warm = await runEndToEnd({
        orders: WARMUP_ORDERS,
        concurrency: 32,
        pollMs: POLL_MS,
        orderTimeoutMs: 120_000,
        ...(store === 'postgres' ? { databaseUrl: opts.databaseUrl } : {}),
        flags: opts.flags,
      });
      if (warm.errors.length > 0) throw new Error(`the warm-up failed: ${warm.errors.slice(0, 2).join('; ')}`);
    }
    for (const client of opts.clients) {
      for (const inFlight of opts.inFlight) {
        process.stderr.write(
          `bench: end-to-end ${store}, ${client} client, ${opts.orders} orders, ${inFlight} in flight\n`,
        );
        const before = readCpuSnapshot();
        const r = await runEndToEnd({
          orders: opts.orders,
          concurrency: inFlight,
          pollMs: POLL_MS,
          orderTimeoutMs: 120_000,
          client,
          ...(store === 'postgres' ? { databaseUrl: opts.databaseUrl } : {}),
          flags: opts.flags,
        });
        const others = machineShares(before, readCpuSnapshot())?.others;
        rows.push({ store, client, inFlight, r, others, load: loadavg()[0]! });
      }
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
    }; ${WARMUP_ORDERS > 0 ? `each store warmed by ${WARMUP_ORDERS} unmeasured orders` : 'cold start (BENCH_E2E_WARMUP=0)'}; openssl speed ecdsap256 1 core: ${Math.round(ossl.signsPerSecond).toLocaleString('en')} signs/s`,
    '',
    'store     client  in flight  orders/s  req/order  sql/order  cpu ms/order certdesk  (main thread)  client  submit->issued p50  p99  pub->issued p50  failed  others busy  load',
    ...rows.map(
      ({ store, client, inFlight, r, others, load }) =>
        `${store.padEnd(9)} ${client.padEnd(6)} ${String(inFlight).padStart(9)} ${f(r.ordersPerSecond, 1).padStart(9)} ${f(r.requests / Math.max(1, r.orders), 1).padStart(10)} ${f(r.statementsPerOrder, 1).padStart(10)}` +
        ` ${f(r.serverCpuPerOrderMs, 2).padStart(22)} ${f(r.mainThreadCpuPerOrderMs, 2).padStart(14)} ${f(r.clientCpuPerOrderMs, 2).padStart(7)} ${f(r.p50Ms).padStart(19)} ${f(r.p99Ms).padStart(4)}` +
        ` ${f(r.publishToIssuedP50Ms).padStart(16)} ${String(r.errors.length).padStart(7)}  ${(others === undefined ? '?' : `${Math.round(others * 100)}%`).padStart(11)}  ${load.toFixed(1).padStart(4)}`,
    ),
    '',
    `  target: 300 orders/s on SQLite at 32 in flight, pub->issued p50 < 50 ms. Clients, in a worker thread, polling every ${POLL_MS} ms:`,
    `  "sdk" the official SDK (@alicloud/cas20200407), "raw" the same calls signed with ACS3-HMAC-SHA256 by bench/scale-client.ts over keep-alive node:http;`,
    `  the customers' DNS (the challenge server certdesk's validation queries) runs in that thread too: "client" holds both, "certdesk" only certdesk;`,
    `  "(main thread)": certdesk's event loop alone (API, job worker, store), the part of "certdesk" that saturates first.`,
    `  "others busy": CPU share other processes took meanwhile; above 10% the figures are NOT CONCLUSIVE (shared machine);`,
    `  "load": the 1-minute load average at the phase's end. CPU per order is the figure least moved by load;`,
    `  "sql/order" (SQLite: statements certdesk ran, per order) and "req/order" are not moved by it at all.`,
    ...rows.flatMap(({ store, client, inFlight, r }) =>
      r.errors.length > 0
        ? [`  ${store} ${client} ${inFlight}: ${r.errors.length} FAILED, e.g. ${r.errors.slice(0, 2).join('; ')}`]
        : [],
    ),
  ];
  console.log(lines.join('\n'));
}
