// `npm run bench -- --issuance [--quick]`: issuance alone (CSR parsed and its signature
// verified, key checked, TBS prepared, linted, signed, row stored in SQLite), in each thread
// layout, beside `openssl speed ecdsap256` of the same run. Besides certificates/s (wall
// clock, which a shared machine lowers), each layout's CPU time per certificate stored (all
// threads of the process): the figure other processes barely move, and from it the rate
// the layout would reach with the machine's cores to itself.
import { cores, machineShares, readCpuSnapshot } from './machine.js';
import { opensslSpeed } from './openssl-speed.js';
import {
  prepareIssuanceBench,
  runIssuanceSingle,
  runIssuanceThreaded,
  type IssuanceResult,
  type RunOptions,
} from './issuance.js';

const TARGET = 4500;

function progress(msg: string): void {
  process.stderr.write(`bench: ${msg}\n`);
}

export async function runIssuanceLayouts(opts: { quick: boolean }): Promise<void> {
  const n = cores();
  const seconds = opts.quick ? 1 : 3;
  progress(`openssl speed -seconds ${seconds} ecdsap256 (1 core and -multi ${n})`);
  const ossl1 = await opensslSpeed(seconds);
  const osslN = n > 1 ? await opensslSpeed(seconds, n) : ossl1;
  const b = await prepareIssuanceBench(opts.quick ? 64 : 300);
  const run: RunOptions = {
    warmupMs: opts.quick ? 500 : 1000,
    measureMs: opts.quick ? 1500 : 5000,
    batchSize: 64,
    insert: 'multi',
  };
  const layouts: Array<{ name: string; run: () => Promise<IssuanceResult> }> = [
    { name: '1 thread (issue + store)', run: () => runIssuanceSingle(b, run) },
    {
      name: `${n} workers + storing main thread`,
      run: () => runIssuanceThreaded(b, { ...run, threads: n }),
    },
    {
      name: `${n - 1 || 1} worker + main issuing and storing`,
      run: () => runIssuanceThreaded(b, { ...run, threads: n - 1 || 1, mainIssues: true }),
    },
    {
      name: `${n} workers + main issuing and storing`,
      run: () => runIssuanceThreaded(b, { ...run, threads: n, mainIssues: true }),
    },
  ];
  const results: Array<{ name: string; r: IssuanceResult; others: number | undefined }> = [];
  try {
    for (const l of layouts) {
      progress(`issuance: ${l.name}`);
      const before = readCpuSnapshot();
      const r = await l.run();
      results.push({ name: l.name, r, others: machineShares(before, readCpuSnapshot())?.others });
    }
  } finally {
    await b.close();
  }
  const pct = (x: number | undefined) => (x === undefined ? '?' : `${Math.round(x * 100)}%`);
  const fmt = (x: number) => Math.round(x).toLocaleString('en');
  const best = results.reduce((a, c) => (c.r.certsPerSecond > a.r.certsPerSecond ? c : a));
  const cheapest = results.reduce((a, c) => (c.r.cpuMicrosPerCert < a.r.cpuMicrosPerCert ? c : a));
  const lines = [
    `certdesk bench --issuance (node ${process.version}, ${n} cores): P-256 CSRs -> certificates stored in SQLite`,
    `  openssl speed ecdsap256: ${fmt(ossl1.signsPerSecond)} signs/s on 1 core, ${fmt(osslN.signsPerSecond)} with -multi ${n} (${ossl1.version})`,
    '',
    'layout                                   certs/s  ÷ openssl -multi  CPU µs/cert  cores busy  certs/s at ' +
      `${n} free cores  others busy`,
    ...results.map(
      ({ name, r, others }) =>
        `${name.padEnd(38)} ${fmt(r.certsPerSecond).padStart(9)} ${(r.certsPerSecond / osslN.signsPerSecond)
          .toPrecision(3)
          .padStart(17)} ${r.cpuMicrosPerCert.toFixed(0).padStart(12)} ${r.coresBusy.toFixed(2).padStart(11)} ${fmt(
          (n * 1e6) / r.cpuMicrosPerCert,
        ).padStart(25)} ${pct(others).padStart(12)}`,
    ),
    '',
    `target >= ${fmt(TARGET)} certificates/s stored: best measured ${fmt(best.r.certsPerSecond)}/s (${best.name}) -> ${
      best.r.certsPerSecond >= TARGET ? 'MET' : 'NOT MET'
    }` +
      (Math.max(...results.map((x) => x.others ?? 0)) > 0.1
        ? `; NOT CONCLUSIVE: other processes took up to ${pct(Math.max(...results.map((x) => x.others ?? 0)))} of the CPU.`
        : '.'),
    `  Cheapest per certificate: ${cheapest.name}, ${cheapest.r.cpuMicrosPerCert.toFixed(0)} µs of CPU, i.e. ${fmt(
      (n * 1e6) / cheapest.r.cpuMicrosPerCert,
    )}/s if it had the ${n} cores to itself and scaled perfectly (an upper bound, not a measurement).`,
    `  Per certificate: parseCsr (self-signature verified), checkSubscriberKey, prepareLeafTbs, lintLeafTbs, signLeaf, the row`,
    `  runIssuance leaves (fingerprints, base64); rows stored ${run.batchSize} or more per transaction, one multi-row INSERT.`,
    `  Timed ${run.measureMs / 1000} s after a ${run.warmupMs / 1000} s warm-up; CPU µs/cert: all threads of the process over the rows`,
    `  committed in the window; "others busy": the share of the machine's CPU other processes used meanwhile.`,
  ];
  console.log(lines.join('\n'));
}
