// `node --import tsx bench/trace-order.ts [--flag NAME=VALUE ...]`: a trace of one order's way
// through certdesk with its default configuration, on SQLite: every SQL statement (what it
// touched, from the start of the trace), every DNS query certdesk made and every API call of the
// customer, who behaves as the end-to-end bench's client does (bench/order-client-worker.ts:
// submit, read the record, publish it, ask again at once, then poll every 50 ms). A
// diagnostic, not a benchmark: it prints a timeline.
import BetterSqlite3 from 'better-sqlite3';
import { Resolver } from 'node:dns/promises';
import { performance } from 'node:perf_hooks';
import { createAccount } from '../src/accounts/accounts.js';
import { addContact } from '../src/accounts/contacts.js';
import { grantPlan } from '../src/accounts/plans.js';
import { DEFAULT_PRODUCT_CODE } from '../src/policy/products.js';
import { describe, freshDomain, startWithChallenges } from '../test/support/orders.js';
import { Cas, casClient } from '../test/support/sdk.js';

const t0 = performance.now();
let tracing = false;
const lines: string[] = [];
const mark = (what: string) => {
  if (tracing) lines.push(`${(performance.now() - t0).toFixed(1).padStart(8)} ms  ${what}`);
};

// Every statement better-sqlite3 prepares and runs (Kysely prepares each statement anew).
const proto = BetterSqlite3.prototype as unknown as { prepare: (sql: string) => Record<string, unknown> };
const prepare = proto.prepare;
proto.prepare = function (this: unknown, text: string) {
  const stmt = prepare.call(this, text);
  for (const m of ['run', 'all', 'get']) {
    const f = stmt[m] as (...a: unknown[]) => unknown;
    stmt[m] = (...a: unknown[]) => {
      mark(`sql  ${text.replace(/\s+/g, ' ').slice(0, 110)}`);
      return f.apply(stmt, a);
    };
  }
  return stmt;
};
for (const m of ['resolveTxt', 'resolveCaa', 'resolve4'] as const) {
  const f = Resolver.prototype[m] as (name: string) => Promise<unknown>;
  (Resolver.prototype as unknown as Record<string, unknown>)[m] = function (this: Resolver, name: string) {
    mark(`dns  ${m} ${name}`);
    return f.call(this, name);
  };
}

const flags = Object.fromEntries(
  process.argv
    .flatMap((a, i) => (a === '--flag' ? [process.argv[i + 1] ?? ''] : []))
    .map((kv) => [kv.split('=')[0]!, kv.slice(kv.indexOf('=') + 1)]),
);
const { cd, cs } = await startWithChallenges(flags, { defaults: true });
try {
  const key = await createAccount(cd.ctx.accounts, 'Trace Inc');
  await grantPlan(cd.ctx.accounts, { accountId: key.AccountId, productCode: DEFAULT_PRODUCT_CODE, count: 5 });
  await addContact(cd.ctx.accounts, key.AccountId, { name: 'T', email: 't@example.com', mobile: '13900001111' });
  const client = casClient(cd.endpoint, key);
  await new Promise((r) => setTimeout(r, 500)); // the worker's start-up jobs (CRL, OCSP) out of the way
  tracing = true;
  mark('api  CreateCertificateForPackageRequest sent');
  const { body } = await client.createCertificateForPackageRequest(
    new Cas.CreateCertificateForPackageRequestRequest({
      productCode: DEFAULT_PRODUCT_CODE,
      domain: freshDomain('trace'),
      validateType: 'DNS',
    }),
  );
  mark(`api  CreateCertificateForPackageRequest answered: order ${body!.orderId}`);
  let published = false;
  for (;;) {
    mark('api  DescribeCertificateState sent');
    const s = await describe(client, body!.orderId!);
    mark(`api  DescribeCertificateState answered: ${s.type}`);
    if (s.type === 'certificate') break;
    if (!published && s.type === 'domain_verify' && s.recordDomain) {
      cs.setTxt(`${s.recordDomain}.${s.domain}`, [s.recordValue!]);
      published = true;
      mark('---  record published');
      continue;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  tracing = false;
  // Runs of identical lines (the 50 ms polls) are folded into one.
  const out: string[] = [];
  let run = 0;
  for (let i = 0; i < lines.length; i++) {
    const what = lines[i]!.slice(13);
    if (i > 0 && what === lines[i - 1]!.slice(13)) run += 1;
    else {
      if (run > 0) out.push(`             (x${run + 1})`);
      run = 0;
      out.push(lines[i]!);
    }
  }
  console.log(out.join('\n'));
} finally {
  await cd.close();
  await cs.close();
}
