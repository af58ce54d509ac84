// `npm run bench -- --console`: the customer console's certificate list for an account with
// 10,000 issued certificates (issue: under 100 ms server-side, paginated). A certdesk runs in
// this process on SQLite (or on PostgreSQL with --pg); the rows are written straight into the
// store; a signed-in session asks for the first page, a deep page, a keyword search and a
// status filter over loopback keep-alive. The baseline is /healthz on the same listener in
// the same run (the HTTP path without the page), so the ratio is the page's own cost.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { buildConfig } from '../src/config/schema.js';
import { openContext } from '../src/app/context.js';
import { startServer } from '../src/app/serve.js';
import { silentLogger } from '../src/app/logger.js';
import { createAccount } from '../src/accounts/accounts.js';
import { grantPlan } from '../src/accounts/plans.js';
import { signInWithAccessKey } from '../src/accounts/console-sessions.js';
import { cores, machineShares, readCpuSnapshot } from './machine.js';

const COUNT = 10_000;
const DAY = 86_400_000;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function timeGets(url: string, cookie: string, n: number): Promise<{ median: number; p95: number }> {
  for (let i = 0; i < 5; i++) await (await fetch(url, { headers: { cookie } })).text();
  const ms: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const r = await fetch(url, { headers: { cookie } });
    await r.text();
    if (r.status !== 200) throw new Error(`${url}: ${r.status}`);
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  return { median: percentile(ms, 50), p95: percentile(ms, 95) };
}

export async function runConsoleBench(opts: { quick: boolean; databaseUrl?: string }): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'certdesk-bench-console-'));
  const env: NodeJS.ProcessEnv = opts.databaseUrl ? { CERTDESK_PG_SCHEMA: `b_${randomBytes(6).toString('hex')}` } : {};
  const config = buildConfig({
    'data-dir': dataDir,
    listen: '127.0.0.1:0',
    'admin-listen': '127.0.0.1:0',
    'acme-listen': '127.0.0.1:0',
    ...(opts.databaseUrl ? { 'database-url': opts.databaseUrl } : {}),
  });
  const ctx = await openContext({ config, env, logger: silentLogger });
  const server = await startServer(ctx, { workerPollMs: 60_000 });
  try {
    const acct = await createAccount(ctx.accounts, 'Bench');
    await grantPlan(ctx.accounts, {
      accountId: acct.AccountId,
      productCode: 'digicert-free-1-free',
      count: COUNT,
      expiresAt: null,
    });
    const plan = (await ctx.store.repos.plans.listByAccount(acct.AccountId))[0]!;
    process.stderr.write(`writing ${COUNT} orders and certificates...\n`);
    const now = Date.now();
    const issuerId = server.orders.ca.id;
    for (let start = 0; start < COUNT; start += 500) {
      await ctx.store.writeTransaction(async (repos) => {
        for (let i = start; i < Math.min(COUNT, start + 500); i++) {
          const name = `host-${i}.bench-${i % 97}.example.com`;
          const order = await repos.orders.insert({
            accountId: acct.AccountId,
            planId: plan.id,
            productCode: 'digicert-free-1-free',
            state: 'domain_verify',
            names: [name],
            validateType: 'DNS',
            keyAlgorithm: 'ecdsa-p256',
            spki: 'AA==',
            csrDer: null,
            keySealed: null,
            contact: { name: 'n', phone: '1', email: 'e@example.com' },
            companyId: null,
            company: null,
            tags: [],
            failReason: null,
            approvedAt: now,
            validationDeadline: now + 30 * DAY,
            caaCheckedAt: null,
            renewedFrom: null,
            createdAt: now - i * 1000,
            updatedAt: now,
          });
          await repos.orders.moveOrder(order.id, { to: 'process' }, { updatedAt: now });
          await repos.orders.moveOrder(order.id, { to: 'certificate' }, { updatedAt: now });
          await repos.certificates.insert({
            accountId: acct.AccountId,
            orderId: order.id,
            source: 'issued',
            name,
            serial: randomBytes(16).toString('hex').toUpperCase(),
            issuerId,
            state: 'issued',
            tbsDer: null,
            certDer: 'AA==',
            chainPem: null,
            keySealed: null,
            commonName: name,
            sans: [name],
            issuerCn: 'bench',
            notBefore: now - DAY,
            notAfter: now + ((i % 200) + 1) * DAY,
            sha1: '00',
            sha256: '00',
            orgName: '',
            country: '',
            province: '',
            city: '',
            revokedAt: null,
            revocationReason: null,
            deletedAt: null,
            createdAt: now,
            crlShard: null,
          });
        }
      });
    }
    const { token } = await signInWithAccessKey(ctx.accounts, acct.AccessKeyId, acct.AccessKeySecret);
    const cookie = `cd_session=${token}`;
    const n = opts.quick ? 30 : 150;
    const before = readCpuSnapshot();
    const rows: Array<[string, { median: number; p95: number }]> = [];
    const api = server.apiUrl;
    rows.push(['baseline: GET /healthz', await timeGets(`${api}/healthz`, cookie, n)]);
    rows.push(['list, page 1 of 500 (20 rows)', await timeGets(`${api}/console/certificates`, cookie, n)]);
    rows.push(['list, page 400', await timeGets(`${api}/console/certificates?Page=400`, cookie, n)]);
    rows.push(['list, keyword "bench-42"', await timeGets(`${api}/console/certificates?Keyword=bench-42`, cookie, n)]);
    rows.push([
      'list, Status=WILLEXPIRED',
      await timeGets(`${api}/console/certificates?Status=WILLEXPIRED`, cookie, n),
    ]);
    const shares = machineShares(before, readCpuSnapshot());
    const base = rows[0]![1].median;
    console.log(
      `certdesk bench --console (node ${process.version}, ${cores()} cores, ${opts.databaseUrl ? 'PostgreSQL' : 'SQLite'}, ${COUNT} certificates, ${n} requests each, sequential)`,
    );
    for (const [label, r] of rows)
      console.log(
        `${label.padEnd(40)} median ${r.median.toFixed(1).padStart(6)} ms   p95 ${r.p95.toFixed(1).padStart(6)} ms   ${(r.median / base).toFixed(1).padStart(5)} x baseline`,
      );
    console.log(
      `goal: each list page under 100 ms server-side (includes loopback HTTP; baseline is the HTTP path alone). ` +
        (shares
          ? `Other processes used ${(shares.others * 100).toFixed(0)}% of the CPU during the run` +
            (shares.others > 0.25 ? ': NOT CONCLUSIVE, rerun on a quiet machine.' : '.')
          : 'CPU shares unknown (no /proc).'),
    );
  } finally {
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
