import { prepareIssuanceBench } from './issuance.js';
import { issueOne, openIssuing } from './issue-one.js';
import { storeRows } from './store-rows.js';
import BetterSqlite3 from 'better-sqlite3';
import { join } from 'node:path';
const b = await prepareIssuanceBench(64);
const s = openIssuing(b.setup);
const batches = Array.from({ length: 60 }, () => Array.from({ length: 64 }, () => issueOne(s, Date.now())));
for (const mode of ['row', 'multi', 'row', 'multi'] as const) {
  const t0 = performance.now();
  for (const rows of batches.slice(0, 30)) await storeRows(b.bench.store, rows.map((r) => ({ ...r, serial: r.serial + mode + Math.random() })), mode);
  console.log(mode, ((performance.now() - t0) * 1000 / (30 * 64)).toFixed(1), 'µs/row');
}
const raw = new BetterSqlite3(join(b.bench.dir, 'certdesk.db'));
const cols = Object.keys(batches[0]![0]!);
const stmt = raw.prepare(`insert into certificates (${cols.join(',')}) values (${cols.map((c) => '@' + c).join(',')})`);
const tx = raw.transaction((rows: any[]) => { for (const r of rows) stmt.run(r); });
for (let k = 0; k < 2; k++) {
const t0 = performance.now();
for (const rows of batches.slice(30)) tx(rows.map((r) => ({ ...r, serial: r.serial + 'raw' + Math.random() })));
console.log('raw prepared', ((performance.now() - t0) * 1000 / (30 * 64)).toFixed(1), 'µs/row');
}
raw.close();
await b.close();
