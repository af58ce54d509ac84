// Issue 5, "Moving up": a running certdesk on SQLite is copied with the real `certdesk store
// copy` process, then certdesk runs on the copy with the same master key and answers the
// official SDK as the original did. The copy goes to PostgreSQL (a schema of its own) when
// CERTDESK_TEST_DATABASE_URL is set (CI), to another SQLite file otherwise.
import { after, before, describe as suite, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { sql } from 'kysely';
import { buildConfig } from '../src/config/schema.js';
import { openContext, type AppContext } from '../src/app/context.js';
import { startServer, type RunningServer } from '../src/app/serve.js';
import { silentLogger } from '../src/app/logger.js';
import { Store } from '../src/store/store.js';
import { toPem } from '../src/crypto/pem.js';
import { startChallengeServer, type ChallengeServer } from './challenge-server.js';
import { freePort, TestClock, TEST_DATABASE_URL } from './support/harness.js';
import { dropTestSchema } from './support/pg.js';
import { runCli, runCliJson } from './support/cli.js';
import { Cas, casClient } from './support/sdk.js';
import { OCSP_ISSUED_BATCH_MS } from '../src/status/ocsp-responses.js';
import { CAA_IDENTITY, freshDomain, publishChallenges, waitForType } from './support/orders.js';

const run = promisify(execFile);

interface Running {
  ctx: AppContext;
  clock: TestClock;
  server: RunningServer;
  endpoint: string;
  close(): Promise<void>;
}

/** certdesk in this process, on the store the flags name (never the harness's choice). */
async function startOn(flags: Record<string, string | boolean>, env: Record<string, string>): Promise<Running> {
  const config = buildConfig({
    listen: `127.0.0.1:${await freePort()}`,
    'admin-listen': '127.0.0.1:0',
    'acme-listen': '127.0.0.1:0',
    'validation-retry-ms': '200',
    ...flags,
  });
  const clock = new TestClock();
  const ctx = await openContext({ config, env, logger: silentLogger, clock });
  const server = await startServer(ctx, { workerPollMs: 100 });
  return { ctx, clock, server, endpoint: server.apiUrl.replace('http://', ''), close: () => server.close() };
}

/** The answer without what differs per request. */
function answer<T extends { requestId?: string }>(body: T | undefined): Omit<T, 'requestId'> {
  const { requestId: _id, ...rest } = body ?? ({} as T);
  return rest;
}

const toPostgres = TEST_DATABASE_URL !== undefined;

suite(`certdesk store copy: a running SQLite installation to ${toPostgres ? 'PostgreSQL' : 'SQLite'}`, () => {
  const tmp = mkdtempSync(join(tmpdir(), 'certdesk-store-copy-'));
  const sourceDir = join(tmp, 'source');
  const targetDir = join(tmp, 'target');
  const schema = `t_${randomBytes(6).toString('hex')}`;
  // Where the copy goes, as `--to` names it, and how certdesk is pointed at it afterwards.
  const toArgs = toPostgres
    ? ['--to', TEST_DATABASE_URL!, '--to-schema', schema]
    : ['--to', `sqlite:${join(targetDir, 'certdesk.db')}`];
  const targetFlags: Record<string, string> = {
    'data-dir': targetDir,
    ...(toPostgres ? { 'database-url': TEST_DATABASE_URL! } : {}),
  };
  const targetStoreArgs = ['--data-dir', targetDir, ...(toPostgres ? ['--database-url', TEST_DATABASE_URL!] : [])];
  const targetEnv = (): Record<string, string> => ({
    ...(toPostgres ? { CERTDESK_PG_SCHEMA: schema } : {}),
    CERTDESK_MASTER_KEY: readFileSync(join(sourceDir, 'master.key'), 'utf8').trim(),
  });

  let cs: ChallengeServer;
  let source: Running;
  let target: Running | undefined;
  let key: { AccountId: number; AccessKeyId: string; AccessKeySecret: string };
  let orderId: number;
  let leafPem: string;
  let copy: { code: number; stdout: string; stderr: string };

  const adminSource = (args: string[]) => runCliJson(['admin', ...args, '--data-dir', sourceDir]);

  before(async () => {
    cs = await startChallengeServer();
    source = await startOn(
      {
        'data-dir': sourceDir,
        'dns-resolver': cs.dnsAddress,
        'http-validation-port': String(cs.httpPort),
        'allow-private-validation-targets': true,
        'caa-identity': CAA_IDENTITY,
      },
      {},
    );
    // Set up through the CLI, as an operator would, while the server runs.
    key = await adminSource(['account', 'create', '--name', 'Acme']);
    const other = await adminSource(['account', 'create', '--name', 'Other']);
    await adminSource([
      'plan',
      'grant',
      '--account',
      String(key.AccountId),
      '--product',
      'digicert-free-1-free',
      '--count',
      '5',
    ]);
    await adminSource([
      'plan',
      'grant',
      '--account',
      String(other.AccountId),
      '--product',
      'digicert-free-1-free',
      '--count',
      '2',
    ]);
    await adminSource([
      'contact',
      'add',
      '--account',
      String(key.AccountId),
      '--name',
      'Tom',
      '--email',
      'tom@example.com',
      '--mobile',
      '13900001111',
    ]);
    await adminSource([
      'contact',
      'add',
      '--account',
      String(key.AccountId),
      '--name',
      'Ana',
      '--email',
      'ana@example.org',
      '--mobile',
      '13900002222',
      '--webhook',
      'https://hooks.example.com/a',
    ]);
    const gone = await adminSource([
      'contact',
      'add',
      '--account',
      String(key.AccountId),
      '--name',
      'Gone',
      '--email',
      'gone@example.com',
      '--mobile',
      '13900003333',
    ]);
    await adminSource(['contact', 'remove', '--account', String(key.AccountId), String(gone.ContactId)]);
    await adminSource([
      'company',
      'add',
      '--account',
      String(key.AccountId),
      '--name',
      'Acme Ltd',
      '--country',
      'CN',
      '--province',
      'Zhejiang',
      '--city',
      'Hangzhou',
    ]);

    // A certificate through the SDK: orders, authorizations, certificates, an OCSP response.
    const client = casClient(source.endpoint, key);
    orderId = (
      await client.createCertificateForPackageRequest(
        new Cas.CreateCertificateForPackageRequestRequest({ domain: freshDomain('copy'), validateType: 'DNS' }),
      )
    ).body!.orderId!;
    await publishChallenges(cs, client, orderId);
    const done = await waitForType(client, orderId, ['certificate']);
    leafPem = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/.exec(done.certificate!)![0];
    // CRLs are published from the first start; OCSP responses are pre-signed by a refresh a
    // minute after issuance (moved forward here). Both are blobs to carry over.
    source.clock.advance(OCSP_ISSUED_BATCH_MS + 1_000);
    const db = source.ctx.store.db;
    for (let i = 0; ; i++) {
      const crls = await db.selectFrom('crls').select('issuer_id').execute();
      const ocsp = await db.selectFrom('ocsp_responses').select('serial').execute();
      if (crls.length > 0 && ocsp.length > 0) break;
      if (i > 200) throw new Error('no CRL or OCSP response was stored');
      await new Promise((r) => setTimeout(r, 100));
    }

    // The copy runs as its own process while the source keeps serving.
    copy = await runCli(['store', 'copy', '--from', `sqlite:${join(sourceDir, 'certdesk.db')}`, ...toArgs, '--json']);
  });

  after(async () => {
    await target?.close();
    await source?.close();
    await cs?.close();
    if (toPostgres) await dropTestSchema(TEST_DATABASE_URL, schema);
    rmSync(tmp, { recursive: true, force: true });
  });

  test('the copy succeeds, reports every table and says secrets stay sealed', async () => {
    assert.equal(copy.code, 0, copy.stderr);
    const out = JSON.parse(copy.stdout);
    assert.equal(out.From, 'sqlite');
    assert.equal(out.To, toPostgres ? 'postgres' : 'sqlite');
    assert.equal(out.Verified, true);
    const tables = new Map<string, { Rows: number; Checksum: string; TargetRows: number; TargetChecksum: string }>(
      out.Tables.map((t: any) => [t.Table, t]),
    );
    for (const [name, t] of tables) {
      assert.equal(t.TargetRows, t.Rows, name);
      assert.equal(t.TargetChecksum, t.Checksum, name);
    }
    for (const [name, atLeast] of [
      ['accounts', 2],
      ['access_keys', 2],
      ['plans', 2],
      ['contacts', 2],
      ['companies', 1],
      ['issuers', 2],
      ['meta', 1],
      ['orders', 1],
      ['authorizations', 1],
      ['certificates', 1],
      ['crls', 1],
      ['ocsp_responses', 1],
    ] as const) {
      assert.ok((tables.get(name)?.Rows ?? 0) >= atLeast, `${name}: ${tables.get(name)?.Rows} rows`);
    }
    assert.match(out.Note, /sealed/);
    assert.match(out.Note, /CERTDESK_MASTER_KEY/);
  });

  test('the copy matches the source table by table (counted independently)', async () => {
    const copied = await Store.open(
      toPostgres
        ? { kind: 'postgres', target: TEST_DATABASE_URL!, postgres: { schema } }
        : { kind: 'sqlite', target: join(targetDir, 'certdesk.db') },
    );
    try {
      const count = async (s: Store, t: string) =>
        Number((await sql<{ n: number }>`select count(*) as n from ${sql.table(t)}`.execute(s.db)).rows[0]!.n);
      // Tables the running source rewrites on its own (job leases, nonces, counters) may have moved on since the snapshot.
      for (const t of [
        'accounts',
        'access_keys',
        'plans',
        'contacts',
        'companies',
        'issuers',
        'orders',
        'certificates',
        'crl_counters',
      ]) {
        assert.equal(await count(copied, t), await count(source.ctx.store, t), t);
      }
      const der = async (s: Store) =>
        await s.db.selectFrom('ocsp_responses').select(['serial', 'der']).orderBy('serial').execute();
      assert.deepEqual(
        await der(copied),
        await der(source.ctx.store),
        'OCSP responses (bytea/blob) arrive byte for byte',
      );
    } finally {
      await copied.close();
    }
  });

  test('a second copy into the same target is refused', async () => {
    const again = await runCli(['store', 'copy', '--from', `sqlite:${join(sourceDir, 'certdesk.db')}`, ...toArgs]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /target is not empty/);
  });

  test('with another master key, certdesk refuses to start on the copy', async () => {
    const config = buildConfig({
      ...targetFlags,
      listen: '127.0.0.1:0',
      'admin-listen': '127.0.0.1:0',
      'acme-listen': '127.0.0.1:0',
    });
    const env = { ...targetEnv(), CERTDESK_MASTER_KEY: randomBytes(32).toString('hex') };
    await assert.rejects(openContext({ config, env, logger: silentLogger }), /master key does not match/);
  });

  test('certdesk on the copy, with the same master key: the same AccessKey gets the same answers', async () => {
    target = await startOn(targetFlags, targetEnv());
    const before = casClient(source.endpoint, key);
    const now = casClient(target.endpoint, key);
    assert.equal(target.ctx.store.kind, toPostgres ? 'postgres' : 'sqlite');

    const pkg = new Cas.DescribePackageStateRequest({ productCode: 'digicert-free-1-free' });
    const state = answer((await now.describePackageState(pkg)).body);
    assert.deepEqual(state, answer((await before.describePackageState(pkg)).body));
    assert.equal(state.totalCount, 5);
    assert.equal(state.issuedCount, 1);

    const contacts = answer((await now.listContact(new Cas.ListContactRequest({}))).body);
    assert.deepEqual(contacts, answer((await before.listContact(new Cas.ListContactRequest({}))).body));
    assert.deepEqual(
      contacts.contactList?.map((c: { name?: string }) => c.name),
      ['Ana', 'Tom'],
    );

    const certState = new Cas.DescribeCertificateStateRequest({ orderId });
    const cert = answer((await now.describeCertificateState(certState)).body);
    const was = answer((await before.describeCertificateState(certState)).body);
    assert.equal(cert.type, 'certificate');
    assert.equal(cert.certificate, was.certificate);
    assert.ok(cert.privateKey?.includes('PRIVATE KEY'));
    assert.equal(cert.privateKey, was.privateKey, 'the sealed subscriber key opens under the same master key');

    // The CA came along: same issuing certificate, and the copy's OCSP responder vouches for the leaf.
    assert.ok(target.server.hierarchy.issuing.certDer.equals(source.server.hierarchy.issuing.certDer));
    const issuingPem = join(tmp, 'issuing.pem');
    const rootPem = join(tmp, 'root.pem');
    const leafPath = join(tmp, 'leaf.pem');
    writeFileSync(issuingPem, toPem('CERTIFICATE', target.server.hierarchy.issuing.certDer));
    writeFileSync(rootPem, toPem('CERTIFICATE', target.server.hierarchy.root.certDer));
    writeFileSync(leafPath, leafPem);
    const r = await run(
      'openssl',
      ['ocsp', '-issuer', issuingPem, '-cert', leafPath, '-url', `${target.server.apiUrl}/ocsp`, '-CAfile', rootPem],
      { encoding: 'utf8' },
    );
    assert.match(r.stderr, /Response verify OK/);
    assert.match(r.stdout, new RegExp(`${leafPath}: good`));
  });

  test("new rows on the copy get fresh ids: a deleted contact's id is not handed out again", async () => {
    assert.ok(target, 'certdesk runs on the copy');
    const added = await runCliJson(
      [
        'admin',
        'contact',
        'add',
        '--account',
        String(key.AccountId),
        '--name',
        'New',
        '--email',
        'new@example.com',
        '--mobile',
        '13900004444',
        ...targetStoreArgs,
      ],
      targetEnv(),
    );
    assert.equal(added.ContactId, 4, 'contacts 1-3 were handed out on the source (3 deleted)');
    const listed = await casClient(target.endpoint, key).listContact(new Cas.ListContactRequest({}));
    assert.deepEqual(
      listed.body?.contactList?.map((c) => c.name),
      ['New', 'Ana', 'Tom'],
    );
  });

  test('a copy that does not verify exits non-zero with the table named, and leaves the target empty', async () => {
    const badDir = mkdtempSync(join(tmp, 'garbled-'));
    const badPath = join(badDir, 'certdesk.db');
    // A target that alters rows as they arrive: the verification must notice.
    const bad = await Store.open({ kind: 'sqlite', target: badPath });
    await sql`create trigger garble after insert on contacts begin update contacts set name = name || '!' where id = new.id; end`.execute(
      bad.db,
    );
    await bad.close();
    const r = await runCli([
      'store',
      'copy',
      '--from',
      `sqlite:${join(sourceDir, 'certdesk.db')}`,
      '--to',
      `sqlite:${badPath}`,
      '--json',
    ]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /did not verify \(contacts\)/);
    const out = JSON.parse(r.stdout);
    assert.equal(out.Verified, false);
    const contacts = out.Tables.find((t: any) => t.Table === 'contacts');
    assert.notEqual(contacts.TargetChecksum, contacts.Checksum);
    const check = await Store.open({ kind: 'sqlite', target: badPath });
    try {
      assert.equal((await check.db.selectFrom('accounts').select('id').execute()).length, 0, 'rolled back');
    } finally {
      await check.close();
    }
  });

  test('bad arguments are refused before anything is opened', async () => {
    for (const [args, message] of [
      [['--from', 'mysql://x', '--to', 'sqlite:/tmp/x.db'], /--from: expected sqlite:PATH or postgres:\/\//],
      [['--from', `sqlite:${join(tmp, 'missing.db')}`, '--to', 'sqlite:/tmp/x.db'], /no SQLite database/],
      [
        ['--from', `sqlite:${join(sourceDir, 'certdesk.db')}`, '--to', `sqlite:${join(sourceDir, 'certdesk.db')}`],
        /the same store/,
      ],
      [
        [
          '--from',
          `sqlite:${join(sourceDir, 'certdesk.db')}`,
          '--to',
          'postgres://127.0.0.1/x',
          '--to-schema',
          'Bad-Name',
        ],
        /--to-schema/,
      ],
      [['--to', 'sqlite:/tmp/x.db'], /--from is required/],
    ] as const) {
      const r = await runCli(['store', 'copy', ...args]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, message);
    }
  });
});
