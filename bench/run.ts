// `npm run bench`: issuance throughput and end-to-end orders per second, each beside
// `openssl speed ecdsap256` signs/s measured in the same run (the ratio is the figure to
// compare between machines; docs/ARCHITECTURE.md: performance is measured by benchmarks,
// never by timed tests). Nothing here asserts: it prints.
//
//   npm run bench                 full run (about a minute)
//   npm run bench -- --quick      short durations, for a smoke run
//
// Progress goes to stderr; the table and notes to stdout.

import { parseArgs } from 'node:util';
import { runEndToEnd, type EndToEndResult } from './end-to-end.js';
import {
  countCertificates,
  measureStoreOnly,
  prepareIssuanceBench,
  runIssuanceSingle,
  runIssuanceThreaded,
  type IssuanceResult,
  type RunOptions,
} from './issuance.js';
import { cores, loadAverage, readCpuTimes, stealShare } from './machine.js';
import { opensslSpeed } from './openssl-speed.js';
import { formatCount, renderTable, type Row } from './table.js';

const { values: flags } = parseArgs({ options: { quick: { type: 'boolean', default: false } } });
const quick = flags.quick === true;

/** The issue's target (best configuration, ECDSA P-256 CA, SQLite) and its reference machine. */
const TARGET_CERTS_PER_SECOND = 3000;
const REFERENCE_OPENSSL_SIGNS_PER_CORE = 52_000;

const settings = quick
  ? { opensslSeconds: 1, warmupMs: 500, measureMs: 1500, orders: 40, csrPool: 64 }
  : { opensslSeconds: 3, warmupMs: 1000, measureMs: 5000, orders: 200, csrPool: 300 };
const BATCH = 64;
const CONCURRENCY = 32;
const POLL_MS = 50;
const threads = cores();

function progress(msg: string): void {
  process.stderr.write(`bench: ${msg}\n`);
}

const loadAtStart = loadAverage();
const cpuAtStart = readCpuTimes();

progress(`openssl speed -seconds ${settings.opensslSeconds} ecdsap256`);
const ossl1 = await opensslSpeed(settings.opensslSeconds);
progress(`openssl speed -seconds ${settings.opensslSeconds} -multi ${threads} ecdsap256`);
const osslN = threads > 1 ? await opensslSpeed(settings.opensslSeconds, threads) : ossl1;

progress(`issuance: making ${settings.csrPool} P-256 CSRs and a P-256 CA`);
const bench = await prepareIssuanceBench(settings.csrPool);
const runOpts: RunOptions = { warmupMs: settings.warmupMs, measureMs: settings.measureMs, batchSize: BATCH, insert: 'multi' };
let single: IssuanceResult;
let threaded: IssuanceResult;
let threadedEngineFacts: IssuanceResult;
let storeOnly: { row: number; multi: number };
let totalRows: number;
try {
  progress('issuance: 1 thread');
  single = await runIssuanceSingle(bench, runOpts);
  progress(`issuance: ${threads} worker threads + storing thread`);
  threaded = await runIssuanceThreaded(bench, { ...runOpts, threads });
  progress(`issuance: ${threads} worker threads, with certificateFacts() per certificate`);
  threadedEngineFacts = await runIssuanceThreaded(bench, { ...runOpts, threads, engineFacts: true });
  progress('issuance: storing alone');
  storeOnly = await measureStoreOnly(bench, quick ? 5 : 20, BATCH);
  totalRows = await countCertificates(bench.bench.store);
} finally {
  await bench.close();
}

progress(`end-to-end: ${settings.orders} DNS-validated orders, ${CONCURRENCY} at a time`);
const e2e: EndToEndResult = await runEndToEnd({
  orders: settings.orders,
  concurrency: CONCURRENCY,
  pollMs: POLL_MS,
  orderTimeoutMs: 60_000,
  validationRetryMs: 50,
});
const steal = stealShare(cpuAtStart, readCpuTimes());

// ---- Output ----------------------------------------------------------------------------

const s1 = ossl1.signsPerSecond;
const sN = osslN.signsPerSecond;
const ratios = (v: number) => [v / s1, v / sN];
const rows: Row[] = [
  { label: 'openssl speed ecdsap256 (sign/s, 1 core)', value: s1, ratios: ratios(s1) },
  { label: `openssl speed ecdsap256 -multi ${threads} (sign/s)`, value: sN, ratios: ratios(sN) },
  { label: 'issuance, 1 thread (certs/s stored)', value: single.certsPerSecond, ratios: ratios(single.certsPerSecond) },
  { label: `issuance, ${threads} threads + storer (certs/s stored)`, value: threaded.certsPerSecond, ratios: ratios(threaded.certsPerSecond) },
  {
    label: `  same, + certificateFacts() as runIssuance`,
    value: threadedEngineFacts.certsPerSecond,
    ratios: ratios(threadedEngineFacts.certsPerSecond),
  },
  { label: 'end-to-end DNS-validated orders/s (API)', value: e2e.ordersPerSecond, ratios: ratios(e2e.ordersPerSecond) },
];
const title = `certdesk bench (node ${process.version}, ${threads} cores${quick ? ', --quick' : ''})`;
console.log(renderTable(title, ['÷ openssl 1 core', `÷ openssl -multi ${threads}`], rows));

const best = Math.max(single.certsPerSecond, threaded.certsPerSecond);
const bestName = threaded.certsPerSecond >= single.certsPerSecond ? `${threads} threads + storer` : '1 thread';
const scaledTarget = (TARGET_CERTS_PER_SECOND / REFERENCE_OPENSSL_SIGNS_PER_CORE) * s1;
const st = single.stageMicros!;
const stages: Array<[string, number]> = [
  ['CSR parse+verify', st.csr],
  ['key check', st.keyCheck],
  ['prepare+lint', st.prepareLint],
  ['sign', st.sign],
  ['row (hashes, base64)', st.row],
  ['store', st.store],
];
const perCert = stages.reduce((a, [, v]) => a + v, 0);
const us = (v: number) => (v >= 10 ? Math.round(v).toString() : v.toFixed(1));
const pct = (x: number) => `${Math.round(x * 100)}%`;

const notes = [
  '',
  `target: >= ${formatCount(TARGET_CERTS_PER_SECOND)} certificates/s stored (best configuration: ${bestName}): ${formatCount(best)}/s -> ${best >= TARGET_CERTS_PER_SECOND ? 'MET' : 'NOT MET'}`,
  `  the issue's ${formatCount(TARGET_CERTS_PER_SECOND)}/s was set beside ${formatCount(REFERENCE_OPENSSL_SIGNS_PER_CORE)} openssl signs/s per core (ratio ${(TARGET_CERTS_PER_SECOND / REFERENCE_OPENSSL_SIGNS_PER_CORE).toPrecision(3)});` +
    ` at this machine's openssl speed that is ${formatCount(scaledTarget)}/s -> ${best >= scaledTarget ? 'met' : 'not met'}`,
  '',
  `issuance: ECDSA P-256 CA; ${settings.csrPool} distinct P-256 CSRs (PEM, made beforehand with buildCsr, not timed), issued from in turn;`,
  `  per certificate: parseCsr (self-signature verified), checkSubscriberKey, prepareLeafTbs, lintLeafTbs, signLeaf, then the`,
  `  certificates row as runIssuance leaves it (state issued, TBS and certificate, SHA-1/SHA-256, validity); SQLite WAL in a temp dir.`,
  `  Batch issuer: several rows per transaction, one multi-row INSERT each (1 thread: ${BATCH} per transaction;` +
    ` threaded: ${Math.round(threaded.certificates / Math.max(1, threaded.transactions))} on average, whatever the workers had sent).`,
  `  Timed ${(settings.measureMs / 1000).toFixed(1)} s after a ${(settings.warmupMs / 1000).toFixed(1)} s warm-up; only rows committed in that window count (${formatCount(totalRows)} rows written in all).`,
  `  1 thread, µs per certificate: ${stages.map(([n, v]) => `${n} ${us(v)}`).join(', ')} = ${us(perCert)} (CSR ${pct(st.csr / perCert)}).`,
  `  ${threads} threads: ${threaded.coresBusy.toFixed(2)} cores busy; the storing thread spent ${pct(threaded.storeBusy)} of the time committing.`,
  `  certificateFacts() (src/orders/issue-certificate.ts) parses each new certificate with X509Certificate to read back its hashes`,
  `  and validity; the row above uses the hashes and the validity it just encoded instead.`,
  `  Storing alone, µs per certificate: one multi-row INSERT per batch ${us(storeOnly.multi)}; repos.certificates.insert() per row ${us(storeOnly.row)}.`,
  '',
  `end-to-end: ${e2e.orders} orders (CreateCertificateForPackageRequest, DNS, certdesk makes the key), ${CONCURRENCY} at a time,`,
  `  DescribeCertificateState polled every ${POLL_MS} ms: ${e2e.ordersPerSecond.toFixed(1)} orders/s over ${e2e.seconds.toFixed(1)} s, submit->issued` +
    ` p50 ${Math.round(e2e.p50Ms)} ms, p99 ${Math.round(e2e.p99Ms)} ms, max ${Math.round(e2e.maxMs)} ms; ${(e2e.requests / Math.max(1, e2e.orders)).toFixed(1)} API calls per order.`,
  `  certdesk (API and job worker, SQLite, --validation-retry-ms 50, worker poll 100 ms) and the challenge server share the main`,
  `  thread; the SDK clients run in a worker thread.${e2e.errors.length > 0 ? ` ${e2e.errors.length} orders FAILED: ${e2e.errors.slice(0, 3).join('; ')}` : ''}`,
  '',
  `machine: ${ossl1.version}; load average ${loadAtStart.toFixed(2)} at start` +
    (steal === undefined ? '.' : `; ${pct(steal)} of CPU time stolen by the hypervisor during the bench.`) +
    (loadAtStart > 0.5 || (steal ?? 0) > 0.05 ? ' The machine was busy: figures are low and noisy; the ratios less so.' : ''),
];
console.log(notes.join('\n'));
