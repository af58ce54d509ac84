import { prepareIssuanceBench, runIssuanceSingle, runIssuanceThreaded, countCertificates } from './issuance.js';
const b = await prepareIssuanceBench(256);
for (const insert of ['row', 'multi'] as const) {
  const r = await runIssuanceSingle(b, { warmupMs: 500, measureMs: 2000, batchSize: 64, insert });
  console.log('single', insert, JSON.stringify(r));
}
for (const insert of ['row', 'multi'] as const) {
  const r = await runIssuanceThreaded(b, { warmupMs: 1000, measureMs: 3000, batchSize: 64, insert, threads: 2 });
  console.log('threaded', insert, JSON.stringify(r));
}
console.log(await countCertificates(b.bench.store));
await b.close();
