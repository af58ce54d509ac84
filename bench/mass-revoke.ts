// `npm run bench -- --mass-revoke [--count N] [--quick]`: mass revocation (BR §4.9.1.1: every
// affected certificate within 24 hours), on SQLite and on PostgreSQL. N issued certificates
// (default 100,000; 16 CRL partitions; every third with an order, so orders move and get an
// e-mail notice besides the contact's webhook) are written straight into a fresh store, then
// the real command revokes them from a serials file in its own process:
//   certdesk admin cert revoke --serials-file FILE --reason keyCompromise --json
// Timed: the command's wall time (dist/, start of the process to its exit, CRLs re-signed included),
// beside `openssl speed ecdsap256` of the same run (each revocation signs one OCSP response).
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { openContext } from '../src/app/context.js';
import { buildConfig } from '../src/config/schema.js';
import { silentLogger } from '../src/app/logger.js';
import { caSettings, ensureHierarchy } from '../src/app/ca-bootstrap.js';
import { buildOrderDeps } from '../src/app/orders-wiring.js';
import { runCrlPublication } from '../src/status/publish-crl.js';
import { createAccount } from '../src/accounts/accounts.js';
import { grantPlan } from '../src/accounts/plans.js';
import { addContact } from '../src/accounts/contacts.js';
import { insertIssuedCertificates } from '../test/support/bulk-certificates.js';
import { dropTestSchema } from '../test/support/pg.js';
import { childrenCpuSeconds, machineShares, processCpuSeconds, readCpuSnapshot } from './machine.js';
import { opensslSpeed } from './openssl-speed.js';

const BIN = fileURLToPath(new URL('../bin/certdesk.js', import.meta.url));
const PARTITIONS = 16;

export interface MassRevokeResult {
  store: 'sqlite' | 'postgres';
  certificates: number;
  /** Wall time of the command, process start to exit. */
  seconds: number;
  /** The command's own figure (store opened to CRLs stored). */
  commandSeconds: number;
  revoked: number;
  notices: number;
  crlEntries: number;
  /** Share of the machine's CPU other processes used meanwhile (PostgreSQL's server included). */
  others: number | undefined;
  /** CPU seconds of the command's process (all its threads), a figure the machine's load barely moves. */
  cpuSeconds: number | undefined;
  /** CPU seconds the local PostgreSQL server used meanwhile (other clients of it included). */
  serverCpuSeconds: number | undefined;
}

function progress(msg: string): void {
  process.stderr.write(`bench: ${msg}\n`);
}

function runCommand(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    // BENCH_PROFILE_DIR=DIR: a V8 CPU profile of the command, written there.
    const prof = process.env.BENCH_PROFILE_DIR;
    // The flag of bin/certdesk.js's shebang line, which spawning `node BIN` bypasses.
    const flags = ['--max-semi-space-size=64', ...(prof ? ['--cpu-prof', `--cpu-prof-dir=${prof}`] : [])];
    const child = spawn(process.execPath, [...flags, BIN, ...args], {
      env: { ...process.env, CERTDESK_FROM_SOURCE: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.once('exit', (code) => resolve({ code, out, err }));
  });
}

async function runOne(kind: 'sqlite' | 'postgres', count: number, databaseUrl: string): Promise<MassRevokeResult> {
  const dataDir = mkdtempSync(join(tmpdir(), 'certdesk-mass-revoke-'));
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const env: Record<string, string> = kind === 'postgres' ? { CERTDESK_PG_SCHEMA: schema } : {};
  const storeArgs = ['--data-dir', dataDir, ...(kind === 'postgres' ? ['--database-url', databaseUrl] : [])];
  try {
    const ctx = await openContext({
      config: buildConfig({
        'data-dir': dataDir,
        'crl-partitions': String(PARTITIONS),
        ...(kind === 'postgres' ? { 'database-url': databaseUrl } : {}),
      }),
      env: { ...env },
      logger: silentLogger,
    });
    let serialsFile: string;
    try {
      const hierarchy = await ensureHierarchy(
        { store: ctx.store, sealer: ctx.sealer, clock: ctx.clock, random: ctx.random, logger: ctx.logger },
        caSettings(ctx.config),
      );
      const deps = buildOrderDeps(ctx, hierarchy, () => {});
      // The CRLs as a running server publishes them at first start (the full CRL and each partition).
      await runCrlPublication(deps, deps.ca.id);
      const key = await createAccount(ctx.accounts, 'Mass revocation');
      await grantPlan(ctx.accounts, { accountId: key.AccountId, productCode: 'digicert-free-1-free', count });
      await addContact(ctx.accounts, key.AccountId, {
        name: 'Bench',
        email: 'bench@example.com',
        mobile: '13900001111',
        webhooks: ['https://hooks.example.com/certdesk'],
      });
      const planId = (await ctx.store.repos.plans.listByAccount(key.AccountId))[0]!.id;
      const t0 = performance.now();
      const certs = await insertIssuedCertificates(ctx.store, {
        accountId: key.AccountId,
        issuerId: deps.ca.id,
        count,
        partitions: PARTITIONS,
        orderEvery: 3,
        planId,
        contactEmail: 'orders@example.com',
        now: ctx.clock.now(),
      });
      progress(`${kind}: ${count} certificates written in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      serialsFile = join(dataDir, 'serials.txt');
      writeFileSync(serialsFile, certs.map((c) => c.serial).join('\n') + '\n');
    } finally {
      await ctx.store.close();
    }

    progress(`${kind}: certdesk admin cert revoke --serials-file (${count} serials)`);
    const before = readCpuSnapshot();
    const cpu0 = childrenCpuSeconds();
    const pg0 = kind === 'postgres' ? processCpuSeconds('postgres') : undefined;
    const t = performance.now();
    const r = await runCommand(
      ['admin', 'cert', 'revoke', '--serials-file', serialsFile, '--reason', 'keyCompromise', '--json', ...storeArgs],
      env,
    );
    const seconds = (performance.now() - t) / 1000;
    const others = machineShares(before, readCpuSnapshot())?.others;
    const cpu1 = childrenCpuSeconds();
    const pg1 = kind === 'postgres' ? processCpuSeconds('postgres') : undefined;
    if (r.code !== 0) throw new Error(`the command failed (${r.code}): ${r.err}`);
    const summary = JSON.parse(r.out) as { Revoked: number; Seconds: number };

    const check = await openContext({
      config: buildConfig({ 'data-dir': dataDir, ...(kind === 'postgres' ? { 'database-url': databaseUrl } : {}) }),
      env: { ...env },
      logger: silentLogger,
    });
    try {
      const n = await check.store.db
        .selectFrom('notices')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('event', '=', 'revoked')
        .executeTakeFirstOrThrow();
      const counter = await check.store.db.selectFrom('crl_counters').select('revision').executeTakeFirst();
      return {
        store: kind,
        certificates: count,
        seconds,
        commandSeconds: summary.Seconds,
        revoked: summary.Revoked,
        notices: Number(n.n),
        crlEntries: Number(counter?.revision ?? 0),
        others,
        cpuSeconds: cpu0 === undefined || cpu1 === undefined ? undefined : cpu1 - cpu0,
        serverCpuSeconds: pg0 === undefined || pg1 === undefined ? undefined : pg1 - pg0,
      };
    } finally {
      await check.store.close();
    }
  } finally {
    if (kind === 'postgres') await dropTestSchema(databaseUrl, schema);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export async function runMassRevokeBench(opts: {
  databaseUrl: string;
  count: number;
  stores?: ReadonlyArray<'sqlite' | 'postgres'>;
}): Promise<void> {
  // The command runs the compiled dist/, as after `npm ci`, not the TypeScript through tsx.
  progress('npm run build (the command runs dist/)');
  const root = fileURLToPath(new URL('..', import.meta.url));
  const built = spawnSync(
    process.execPath,
    [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.build.json')],
    { stdio: 'inherit' },
  );
  if (built.status !== 0) throw new Error('the build failed');
  progress('openssl speed -seconds 2 ecdsap256');
  const ossl = await opensslSpeed(2);
  const results: MassRevokeResult[] = [];
  for (const kind of opts.stores ?? (['sqlite', 'postgres'] as const))
    results.push(await runOne(kind, opts.count, opts.databaseUrl));
  const pct = (x: number | undefined) => (x === undefined ? '?' : `${Math.round(x * 100)}%`);
  const lines = [
    `certdesk bench --mass-revoke (node ${process.version}): ${opts.count.toLocaleString('en')} issued certificates revoked from a serials file`,
    `  openssl speed ecdsap256 (1 core, same run): ${Math.round(ossl.signsPerSecond).toLocaleString('en')} signs/s`,
    '',
    'store      wall s  command s  revoked/s  revoked  notices  CRL revision  target <60 s  others busy  CPU s  PG CPU s',
    ...results.map(
      (r) =>
        `${r.store.padEnd(9)} ${r.seconds.toFixed(1).padStart(7)} ${r.commandSeconds.toFixed(1).padStart(10)} ${Math.round(
          r.revoked / r.seconds,
        )
          .toLocaleString('en')
          .padStart(
            10,
          )} ${String(r.revoked).padStart(8)} ${String(r.notices).padStart(8)} ${String(r.crlEntries).padStart(13)}  ${r.seconds < 60 ? 'MET' : 'NOT MET'}`.padEnd(
          87,
        ) +
        `  ${pct(r.others).padStart(11)}  ${r.cpuSeconds?.toFixed(1).padStart(5) ?? '    ?'}  ${
          r.serverCpuSeconds?.toFixed(1).padStart(8) ?? '       -'
        }`,
    ),
    '',
    `  per certificate: marked revoked (guarded UPDATE), order moved (every third), OCSP response signed and stored,`,
    `  notices queued (webhook; e-mail too for those with an order); then the full CRL and ${PARTITIONS} partitions re-signed once.`,
    `  Batches of 1,000, one transaction each. "others busy": CPU share other processes took meanwhile (machine shared:`,
    `  figures above 10% are NOT CONCLUSIVE; PostgreSQL's server is among the others). CPU s: the command's process,`,
    `  all threads; PG CPU s: the local PostgreSQL server's processes meanwhile (other clients of it included).`,
  ];
  console.log(lines.join('\n'));
}
