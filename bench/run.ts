// `npm run bench`: issuance throughput and end-to-end orders per second, each beside
// `openssl speed ecdsap256` signs/s measured in the same run (the ratio is the figure to
// compare between machines; docs/ARCHITECTURE.md: performance is measured by benchmarks,
// never by timed tests). Nothing here asserts: it prints.
//
//   npm run bench                 full run (under a minute)
//   npm run bench -- --quick      short durations, for a smoke run
//
// Progress goes to stderr; the table and notes to stdout.

import { parseArgs } from 'node:util';
import { runScaleBench } from './scale.js';
import { runEdgeBench } from './edge.js';

// `npm run bench -- --edge`: the HTTP framework's own cost per request (docs/decisions/0020).
if (process.argv.includes('--edge')) {
  await runEdgeBench();
  process.exit(0);
}

// `npm run bench -- --cas-path [--quick] [--sqlite]`: CPU per DescribeCertificateState through the CAS gateway alone (no HTTP).
if (process.argv.includes('--cas-path')) {
  const { runCasPathBench } = await import('./cas-path.js');
  await runCasPathBench({
    quick: process.argv.includes('--quick'),
    databaseUrl: process.argv.includes('--sqlite')
      ? undefined
      : (process.env.CERTDESK_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'),
  });
  process.exit(0);
}

// `npm run bench -- --console`: the console's certificate list of an account with 10,000 certificates.
if (process.argv.includes('--console')) {
  const { runConsoleBench } = await import('./console.js');
  await runConsoleBench({
    quick: process.argv.includes('--quick'),
    ...(process.argv.includes('--pg')
      ? { databaseUrl: process.env.CERTDESK_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test' }
      : {}),
  });
  process.exit(0);
}

// `npm run bench -- --e2e [--quick] [--orders N] [--store sqlite|postgres] [--client sdk|raw|sdk,raw]`: end-to-end orders with the default configuration.
if (process.argv.includes('--e2e')) {
  const { runE2eMatrix } = await import('./e2e-matrix.js');
  const arg = (name: string) => {
    const i = process.argv.indexOf(name);
    return i > 0 ? process.argv[i + 1] : undefined;
  };
  const store = arg('--store');
  await runE2eMatrix({
    databaseUrl: process.env.CERTDESK_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
    orders: Number(arg('--orders') ?? (process.argv.includes('--quick') ? 100 : 400)),
    stores: store === 'sqlite' || store === 'postgres' ? [store] : ['sqlite', 'postgres'],
    flags: Object.fromEntries(
      process.argv
        .flatMap((a, i) => (a === '--flag' ? [process.argv[i + 1] ?? ''] : []))
        .map((kv) => [kv.split('=')[0]!, kv.slice(kv.indexOf('=') + 1)]),
    ),
    inFlight: (arg('--in-flight') ?? '8,32').split(',').map(Number),
    clients: (arg('--client') ?? 'sdk,raw').split(',').map((c) => {
      if (c !== 'sdk' && c !== 'raw') throw new Error(`--client takes sdk, raw or both (sdk,raw), not ${c}`);
      return c;
    }),
  });
  process.exit(0);
}

// `npm run bench -- --acme [--quick]`: ACME orders/s with the project JWS client, 8 and 32 in flight.
if (process.argv.includes('--acme')) {
  const { runAcmeBench } = await import('./acme.js');
  await runAcmeBench({ quick: process.argv.includes('--quick') });
  process.exit(0);
}

// `npm run bench -- --issuance [--quick]`: issuance alone in each thread layout, with CPU per certificate.
if (process.argv.includes('--issuance')) {
  const { runIssuanceLayouts } = await import('./issuance-layouts.js');
  await runIssuanceLayouts({ quick: process.argv.includes('--quick') });
  process.exit(0);
}

// `npm run bench -- --mass-revoke [--count N] [--store sqlite|postgres]`: mass revocation from a serials file, SQLite and PostgreSQL.
if (process.argv.includes('--mass-revoke')) {
  const { runMassRevokeBench } = await import('./mass-revoke.js');
  const i = process.argv.indexOf('--count');
  const s = process.argv.indexOf('--store');
  await runMassRevokeBench({
    databaseUrl: process.env.CERTDESK_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
    count: i > 0 ? Number(process.argv[i + 1]) : process.argv.includes('--quick') ? 10_000 : 100_000,
    ...(s > 0 && (process.argv[s + 1] === 'sqlite' || process.argv[s + 1] === 'postgres')
      ? { stores: [process.argv[s + 1] as 'sqlite' | 'postgres'] }
      : {}),
  });
  process.exit(0);
}

// `npm run bench -- --scale`: multi-process scaling on PostgreSQL, its own run;
// `-- --scale --goal`: only the one-process DescribeCertificateState measurement, three times.
if (process.argv.includes('--scale')) {
  await runScaleBench({
    databaseUrl: process.env.CERTDESK_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
    quick: process.argv.includes('--quick'),
    goalOnly: process.argv.includes('--goal'),
  });
  process.exit(0);
}
import { runEndToEnd } from './end-to-end.js';
import { runCrlBench } from './crl.js';
import { runOcspBench } from './ocsp.js';
import {
  measureStoreOnly,
  prepareIssuanceBench,
  runIssuanceSingle,
  runIssuanceThreaded,
  type IssuanceResult,
  type RunOptions,
} from './issuance.js';
import { cores, machineShares, readCpuSnapshot } from './machine.js';
import { opensslSpeed } from './openssl-speed.js';
import { countCertificates } from './store-rows.js';
import { formatCount, renderTable, type Row } from './table.js';

const { values: flags } = parseArgs({ options: { quick: { type: 'boolean', default: false } } });
const quick = flags.quick === true;

/** The issue's target (best configuration, ECDSA P-256 CA, SQLite) and its reference machine. */
const TARGET_CERTS_PER_SECOND = 3000;
const REFERENCE_OPENSSL_SIGNS_PER_CORE = 52_000;

const settings = quick
  ? { opensslSeconds: 1, warmupMs: 500, measureMs: 1500, orders: 40, csrPool: 64 }
  : { opensslSeconds: 3, warmupMs: 1000, measureMs: 5000, orders: 400, csrPool: 300 };
const BATCH = 64;
const CONCURRENCY = 32;
const POLL_MS = 50;
const threads = cores();

function progress(msg: string): void {
  process.stderr.write(`bench: ${msg}\n`);
}

const cpuAtStart = readCpuSnapshot();

interface Measured<T> {
  result: T;
  /** Share of the machine's CPU time other processes used meanwhile (Linux), else undefined. */
  others: number | undefined;
}

/** Runs one phase and notes how busy other processes kept the machine meanwhile. */
async function phase<T>(what: string, fn: () => Promise<T>): Promise<Measured<T>> {
  progress(what);
  const before = readCpuSnapshot();
  const result = await fn();
  return { result, others: machineShares(before, readCpuSnapshot())?.others };
}

const ossl1 = await phase(`openssl speed -seconds ${settings.opensslSeconds} ecdsap256`, () =>
  opensslSpeed(settings.opensslSeconds),
);
const osslN =
  threads > 1
    ? await phase(`openssl speed -seconds ${settings.opensslSeconds} -multi ${threads} ecdsap256`, () =>
        opensslSpeed(settings.opensslSeconds, threads),
      )
    : ossl1;

progress(`issuance: making ${settings.csrPool} P-256 CSRs and a P-256 CA`);
const bench = await prepareIssuanceBench(settings.csrPool);
const runOpts: RunOptions = {
  warmupMs: settings.warmupMs,
  measureMs: settings.measureMs,
  batchSize: BATCH,
  insert: 'multi',
};
let single: Measured<IssuanceResult>;
let threaded: Measured<IssuanceResult>;
let storeOnly: { row: number; multi: number };
let totalRows: number;
try {
  single = await phase('issuance: 1 thread', () => runIssuanceSingle(bench, runOpts));
  threaded = await phase(`issuance: ${threads} worker threads + storing thread`, () =>
    runIssuanceThreaded(bench, { ...runOpts, threads }),
  );
  progress('issuance: storing alone');
  storeOnly = await measureStoreOnly(bench, quick ? 5 : 20, BATCH);
  totalRows = await countCertificates(bench.bench.store);
} finally {
  await bench.close();
}

const e2e = await phase(`end-to-end: ${settings.orders} DNS-validated orders, ${CONCURRENCY} at a time`, () =>
  runEndToEnd({
    orders: settings.orders,
    concurrency: CONCURRENCY,
    pollMs: POLL_MS,
    orderTimeoutMs: 120_000,
    // certdesk's default configuration: no retry or poll flags (`-- --e2e` for both stores, 8 and 32 in flight).
  }),
);
const crl = await phase(`CRL of ${quick ? '100,000' : '1,000,000'} revoked entries`, () => runCrlBench({ quick }));
const ocsp = await phase('OCSP responses served', () => runOcspBench({ quick }));
const machine = machineShares(cpuAtStart, readCpuSnapshot());

// ---- Output ----------------------------------------------------------------------------

const s1 = ossl1.result.signsPerSecond;
const sN = osslN.result.signsPerSecond;
const pct = (x: number) => `${Math.round(x * 100)}%`;
const row = (label: string, value: number, others: number | undefined): Row => ({
  label,
  value,
  ratios: [value / s1, value / sN],
  note: others === undefined ? '' : pct(others),
});
const rows: Row[] = [
  row('openssl speed ecdsap256 (sign/s, 1 core)', s1, ossl1.others),
  row(`openssl speed ecdsap256 -multi ${threads} (sign/s)`, sN, osslN.others),
  row('issuance, 1 thread (certs/s stored)', single.result.certsPerSecond, single.others),
  row(`issuance, ${threads} workers + 1 storer (certs/s stored)`, threaded.result.certsPerSecond, threaded.others),
  row('end-to-end DNS-validated orders/s (API)', e2e.result.ordersPerSecond, e2e.others),
];
const title = `certdesk bench (node ${process.version}, ${threads} cores${quick ? ', --quick' : ''})`;
console.log(renderTable(title, ['÷ openssl 1 core', `÷ openssl -multi ${threads}`], rows, 'others busy*'));

const best = Math.max(single.result.certsPerSecond, threaded.result.certsPerSecond);
const bestName =
  threaded.result.certsPerSecond >= single.result.certsPerSecond ? `${threads} workers + 1 storer` : '1 thread';
// The issue's reference machine: 52,000 signs/s per core, so about 52,000 x cores with -multi.
const targetRatio = TARGET_CERTS_PER_SECOND / (REFERENCE_OPENSSL_SIGNS_PER_CORE * threads);
const bestRatio = best / sN;
const bestRun = threaded.result.certsPerSecond >= single.result.certsPerSecond ? threaded : single;
const disturbed = Math.max(bestRun.others ?? 0, osslN.others ?? 0);
const st = single.result.stageMicros!;
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

const notes = [
  '',
  `target: >= ${formatCount(TARGET_CERTS_PER_SECOND)} certificates/s stored, best configuration (${bestName}): ${formatCount(best)}/s -> ${best >= TARGET_CERTS_PER_SECOND ? 'MET' : 'NOT MET'}`,
  `  as a ratio: the issue's ${formatCount(TARGET_CERTS_PER_SECOND)}/s beside ${formatCount(REFERENCE_OPENSSL_SIGNS_PER_CORE)} openssl signs/s per core x ${threads} cores is` +
    ` ${targetRatio.toPrecision(3)} x openssl -multi ${threads}; measured here ${bestRatio.toPrecision(3)} -> ${bestRatio >= targetRatio ? 'met' : 'not met'}` +
    ` (${formatCount(targetRatio * sN)}/s at this run's openssl speed)`,
  ...(disturbed > 0.1
    ? [
        `  NOT CONCLUSIVE: other processes used ${pct(disturbed)} of the CPU during these measurements; rerun on a quiet machine.`,
      ]
    : []),
  '',
  `issuance: ECDSA P-256 CA; ${settings.csrPool} distinct P-256 CSRs (PEM, made beforehand with buildCsr, not timed), issued from in turn;`,
  `  per certificate: parseCsr (self-signature verified), checkSubscriberKey, prepareLeafTbs, lintLeafTbs, signLeaf, then the`,
  `  certificates row as runIssuance leaves it (state issued, TBS and certificate, SHA-1/SHA-256, validity); SQLite WAL in a temp dir.`,
  `  Batch issuer: several rows per transaction, one multi-row INSERT each (1 thread: ${BATCH} per transaction;` +
    ` threaded: ${Math.round(threaded.result.certificates / Math.max(1, threaded.result.transactions))} on average, whatever the workers had sent).`,
  `  Timed ${(settings.measureMs / 1000).toFixed(1)} s after a ${(settings.warmupMs / 1000).toFixed(1)} s warm-up; only rows committed in that window count (${formatCount(totalRows)} rows written in all).`,
  `  1 thread, µs per certificate: ${stages.map(([n, v]) => `${n} ${us(v)}`).join(', ')} = ${us(perCert)} (CSR ${pct(st.csr / perCert)}).`,
  `  ${threads} workers + 1 storer: ${threaded.result.coresBusy.toFixed(2)} cores busy; the storing thread spent ${pct(threaded.result.storeBusy)} of the time committing.`,
  `  Storing alone, µs per certificate: one multi-row INSERT per batch ${us(storeOnly.multi)}; repos.certificates.insert() per row ${us(storeOnly.row)}.`,
  '',
  `end-to-end: ${e2e.result.orders} orders (CreateCertificateForPackageRequest, DNS, certdesk makes the key), ${CONCURRENCY} at a time,`,
  `  DescribeCertificateState polled every ${POLL_MS} ms: ${e2e.result.ordersPerSecond.toFixed(1)} orders/s over ${e2e.result.seconds.toFixed(1)} s, submit->issued` +
    ` p50 ${Math.round(e2e.result.p50Ms)} ms, p99 ${Math.round(e2e.result.p99Ms)} ms, max ${Math.round(e2e.result.maxMs)} ms; ${(e2e.result.requests / Math.max(1, e2e.result.orders)).toFixed(1)} API calls per order.`,
  `  certdesk (API and job worker, SQLite, default configuration) has the main thread; publication->issued`,
  `  p50 ${Math.round(e2e.result.publishToIssuedP50Ms)} ms; CPU per order: certdesk ${e2e.result.serverCpuPerOrderMs?.toFixed(1) ?? '?'} ms, client ${e2e.result.clientCpuPerOrderMs?.toFixed(1) ?? '?'} ms; the`,
  `  SDK clients and the challenge server (the customers' DNS) run in a worker thread.${e2e.result.errors.length > 0 ? ` ${e2e.result.errors.length} orders FAILED: ${e2e.result.errors.slice(0, 3).join('; ')}` : ''}`,
  '',
  `* others busy: the share of the machine's CPU time that other processes used during that measurement.`,
  `machine: ${ossl1.result.version}` +
    (machine === undefined
      ? '.'
      : `; during the bench other processes used ${pct(machine.others)} of the CPU time and the hypervisor took ${pct(machine.steal)}.` +
        (machine.others + machine.steal > 0.1
          ? ' The machine was shared: trust a figure only where others busy is low for it and its baseline.'
          : '')),
];
console.log(notes.join('\n'));

// Certificate status: CRL build cost and OCSP throughput, the latter beside this run's openssl baseline.
const statusRows = [...crl.result, ...ocsp.result].map((r) => {
  const perSecond = /^([\d,]+)/.exec(r.value)?.[1];
  const ratio =
    perSecond && /responses\/s/.test(r.label)
      ? `  (${(Number(perSecond.replace(/,/g, '')) / s1).toPrecision(3)} x openssl 1 core)`
      : '';
  return `${r.label.padEnd(66)} ${r.value}${ratio}`;
});
console.log(['', 'certificate status', ...statusRows].join('\n'));
