import { prepareIssuanceBench, runIssuanceSingle, runIssuanceThreaded } from './issuance.js';
const b = await prepareIssuanceBench(300);
const mode = process.argv[2];
const o = { warmupMs: 1000, measureMs: 5000, batchSize: 64, insert: 'multi' as const };
const r = mode === 'single' ? await runIssuanceSingle(b, o) : await runIssuanceThreaded(b, { ...o, threads: 2 });
console.log(mode, JSON.stringify(r));
await b.close();
