// Issue 4, CRLs, end to end: certificates issued and revoked through the SDK (and the
// operator CLI), the CRL fetched over HTTP at the URL each certificate carries, checked with
// `openssl crl -verify` against the issuing CA; partitioned CRLs together list every revoked
// serial exactly once; CRL numbers grow across publications and a restart of the store.
import { after, before, describe as suite, test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import http from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCertdesk, TEST_DATABASE_URL, type Certdesk } from './support/harness.js';
import { dropTestSchema } from './support/pg.js';
import type { ChallengeServer } from './challenge-server.js';
import { Cas, casClient, type CasClient } from './support/sdk.js';
import { runCliJson } from './support/cli.js';
import { freshDomain, publishChallenges, startWithChallenges, waitForType } from './support/orders.js';
import { createAccount } from '../src/accounts/accounts.js';
import { grantPlan } from '../src/accounts/plans.js';
import { addContact } from '../src/accounts/contacts.js';
import { openContext } from '../src/app/context.js';
import { startServer, type RunningServer } from '../src/app/serve.js';
import { silentLogger } from '../src/app/logger.js';
import { toPem } from '../src/crypto/pem.js';
import {
  CRL_REFRESH_MS,
  CRL_REVOCATION_DELAY_MS,
  CRL_VALIDITY_MS,
  FULL_CRL,
  JOB_CRL,
  crlEventSink,
  runCrlPublication,
} from '../src/status/publish-crl.js';
import type { CertificatesTable } from '../src/store/schema.js';
import type { Insertable } from 'kysely';
import { CRL_MAX_AGE_SECONDS } from '../src/api/public/crl.js';

const tmp = mkdtempSync(join(tmpdir(), 'certdesk-crl-e2e-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

let fileNo = 0;
function tmpFile(content: string | Buffer): string {
  const path = join(tmp, `f${++fileNo}`);
  writeFileSync(path, content);
  return path;
}

function openssl(args: string[]): { status: number | null; stdout: string; stderr: string } {
  return spawnSync('openssl', args, { encoding: 'utf8', maxBuffer: 64 << 20 });
}

/** The CRL distribution point URL a certificate carries. */
function crlUrlOf(leaf: X509Certificate): string {
  const r = openssl(['x509', '-noout', '-ext', 'crlDistributionPoints', '-in', tmpFile(leaf.toString())]);
  const urls = [...r.stdout.matchAll(/URI:(\S+)/g)].map((m) => m[1]!);
  assert.equal(urls.length, 1, r.stdout + r.stderr);
  return urls[0]!;
}

const normalize = (serial: string) => serial.toUpperCase().replace(/^0+/, '');

interface ParsedCrl {
  number: number;
  /** Serial (normalized) -> reason text, or null when the entry has no reasonCode. */
  entries: Map<string, string | null>;
  /** How many times each serial appears (a serial must appear once). */
  listed: string[];
  idpUrl: string | undefined;
  text: string;
}

/** `openssl crl -verify` against the issuing CA (fails the test unless it verifies), then the text dump, parsed. */
function checkCrl(der: Buffer, issuingDer: Buffer): ParsedCrl {
  const r = openssl([
    'crl',
    '-inform',
    'DER',
    '-in',
    tmpFile(der),
    '-CAfile',
    tmpFile(toPem('CERTIFICATE', issuingDer)),
    '-verify',
    '-text',
    '-noout',
  ]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /verify OK/);
  const number = Number(/X509v3 CRL Number: \n\s+(\d+)/.exec(r.stdout)?.[1]);
  const entries = new Map<string, string | null>();
  const listed: string[] = [];
  for (const block of r.stdout.split(/\n\s+Serial Number: /).slice(1)) {
    const serial = normalize(/^([0-9A-F]+)/.exec(block)![1]!);
    listed.push(serial);
    entries.set(serial, /CRL Reason Code: \n\s+([A-Za-z][A-Za-z ]*[A-Za-z])/.exec(block)?.[1] ?? null);
  }
  const idpUrl = /Issuing Distribution Point: critical\n\s+Full Name:\n\s+URI:(\S+?)(\s|$)/.exec(r.stdout)?.[1];
  return { number, entries, listed, idpUrl, text: r.stdout };
}

/** A plain GET on a fresh connection, as a relying party makes it (and none outlives a restart). */
function fetchCrl(
  url: string,
): Promise<{ status: number; der: Buffer; type: string | undefined; cacheControl: string | undefined }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode!,
            der: Buffer.concat(chunks),
            type: res.headers['content-type'],
            cacheControl: res.headers['cache-control'],
          }),
        );
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

/** Fetches the CRL at `url` until `ready` holds for it (the worker publishes asynchronously). */
async function waitForCrl(
  url: string,
  issuingDer: Buffer,
  ready: (crl: ParsedCrl) => boolean,
  timeoutMs = 20_000,
): Promise<ParsedCrl> {
  const until = Date.now() + timeoutMs;
  let last: string;
  for (;;) {
    const r = await fetchCrl(url);
    if (r.status === 200) {
      const crl = checkCrl(r.der, issuingDer);
      if (ready(crl)) return crl;
      last = `CRL ${crl.number} with ${crl.listed.length} entries`;
    } else {
      last = `HTTP ${r.status}`;
    }
    if (Date.now() > until) throw new Error(`the CRL at ${url} did not become ready (${last})`);
    await new Promise((res) => setTimeout(res, 100));
  }
}

async function setUp(flags: Record<string, string> = {}) {
  const { cd, cs } = await startWithChallenges(flags);
  const key = await createAccount(cd.ctx.accounts, 'CRL Inc');
  await grantPlan(cd.ctx.accounts, { accountId: key.AccountId, productCode: 'digicert-free-1-free', count: 20 });
  await addContact(cd.ctx.accounts, key.AccountId, { name: 'C', email: 'c@example.com', mobile: '13900007777' });
  return { cd, cs, client: casClient(cd.endpoint, key) };
}

async function issue(
  cs: ChallengeServer,
  client: CasClient,
): Promise<{ orderId: number; leaf: X509Certificate; serial: string }> {
  const orderId = (
    await client.createCertificateForPackageRequest(
      new Cas.CreateCertificateForPackageRequestRequest({ domain: freshDomain('crl'), validateType: 'DNS' }),
    )
  ).body!.orderId!;
  await publishChallenges(cs, client, orderId);
  const s = await waitForType(client, orderId, ['certificate']);
  const leaf = new X509Certificate(s.certificate!);
  return { orderId, leaf, serial: normalize(leaf.serialNumber) };
}

async function revoke(client: CasClient, orderId: number): Promise<void> {
  await client.cancelCertificateForPackageRequest(new Cas.CancelCertificateForPackageRequestRequest({ orderId }));
}

suite('the full CRL', () => {
  let cd: Certdesk;
  let cs: ChallengeServer;
  let client: CasClient;
  let issuingDer: Buffer;
  let caId: number;
  let fullUrl: string;
  /** Set once the test restarts certdesk on the same store: the running server to close. */
  let restarted: RunningServer | undefined;
  const numbers: number[] = [];
  let revokedSerials: string[] = [];

  before(async () => {
    ({ cd, cs, client } = await setUp());
    issuingDer = cd.server.hierarchy.issuing.certDer;
    caId = cd.server.orders.ca.id;
    fullUrl = `${cd.server.apiUrl}/crl/issuing.crl`;
  });
  after(async () => {
    if (restarted) {
      await restarted.close();
      await dropTestSchema(TEST_DATABASE_URL, cd.storeEnv.CERTDESK_PG_SCHEMA);
      rmSync(cd.dataDir, { recursive: true, force: true });
    } else {
      await cd?.close();
    }
    await cs?.close();
  });

  test('the first start publishes a CRL (no entries yet) that openssl verifies against the issuing CA', async () => {
    const crl = await waitForCrl(fullUrl, issuingDer, () => true);
    assert.equal(crl.listed.length, 0);
    assert.match(crl.text, /No Revoked Certificates/);
    assert.equal(crl.idpUrl, undefined, 'the full CRL carries no IDP');
    numbers.push(crl.number);
    const r = await fetchCrl(fullUrl);
    assert.equal(r.type, 'application/pkix-crl');
    const maxAge = Number(/max-age=(\d+)/.exec(r.cacheControl ?? '')?.[1]);
    assert.ok(maxAge > 0 && maxAge <= CRL_MAX_AGE_SECONDS, `cache-control ${r.cacheControl}`);
    assert.equal(
      (await fetchCrl(`${cd.server.apiUrl}/crl/issuing-p0.crl`)).status,
      404,
      'no partitions are configured',
    );
  });

  test('a revoked certificate is listed at the URL it carries, within a minute; the others are not', async () => {
    const [a, b, c] = await Promise.all([issue(cs, client), issue(cs, client), issue(cs, client)]);
    const url = crlUrlOf(a.leaf);
    assert.equal(url, fullUrl, 'without partitions, certificates name the full CRL');
    await revoke(client, a.orderId);
    // The revocation scheduled the CRL job a minute later (CRL_REVOCATION_DELAY_MS)...
    const cert = await cd.ctx.store.repos.certificates.forOrder(a.orderId);
    const job = await cd.ctx.store.repos.jobs.find(JOB_CRL, caId);
    assert.equal(Number(job?.run_at), Number(cert!.revokedAt) + CRL_REVOCATION_DELAY_MS);
    // ...which the worker runs once that minute has passed.
    cd.clock.advance(CRL_REVOCATION_DELAY_MS + 1000);
    const crl = await waitForCrl(url, issuingDer, (x) => x.entries.has(a.serial));
    assert.ok(crl.number > numbers.at(-1)!, `CRL number ${crl.number} after ${numbers.at(-1)}`);
    numbers.push(crl.number);
    assert.deepEqual(crl.listed, [a.serial]);
    assert.equal(crl.entries.get(a.serial), null, 'CancelCertificateForPackageRequest states no reason: no reasonCode');
    assert.ok(!crl.entries.has(b.serial) && !crl.entries.has(c.serial));
    revokedSerials = [a.serial];

    // An operator revokes another with a reason, from another process (the CLI).
    await runCliJson(
      ['admin', 'cert', 'revoke', '--serial', b.leaf.serialNumber, '--reason', 'keyCompromise', ...cd.storeArgs],
      cd.storeEnv,
    );
    cd.clock.advance(CRL_REVOCATION_DELAY_MS + 1000);
    const next = await waitForCrl(url, issuingDer, (x) => x.entries.has(b.serial));
    assert.ok(next.number > crl.number);
    numbers.push(next.number);
    assert.equal(next.entries.get(b.serial), 'Key Compromise');
    assert.deepEqual([...next.listed].sort(), [a.serial, b.serial].sort());
    revokedSerials.push(b.serial);
  });

  test('CRL numbers strictly increase across publications and across a restart of the store', async () => {
    await runCrlPublication(cd.server.orders, caId);
    const again = checkCrl((await fetchCrl(fullUrl)).der, issuingDer);
    assert.ok(again.number > numbers.at(-1)!);
    numbers.push(again.number);

    // Stop certdesk and start a new one on the same data directory / schema.
    await cd.server.close();
    const ctx = await openContext({
      config: cd.ctx.config,
      env: { ...cd.storeEnv },
      logger: silentLogger,
      clock: cd.clock,
    });
    restarted = await startServer(ctx, { workerPollMs: 100 });
    assert.equal(restarted.orders.ca.id, caId);
    // The stored CRL is served by the new process before it publishes anything.
    const served = checkCrl((await fetchCrl(fullUrl)).der, issuingDer);
    assert.equal(served.number, again.number);
    await runCrlPublication(restarted.orders, caId);
    const republished = checkCrl((await fetchCrl(fullUrl)).der, issuingDer);
    assert.ok(
      republished.number > again.number,
      `CRL number ${republished.number} after a restart, ${again.number} before`,
    );
    assert.deepEqual(
      [...republished.listed].sort(),
      [...revokedSerials].sort(),
      'the revoked serials are still listed',
    );
    numbers.push(republished.number);
    assert.deepEqual(
      [...numbers].sort((x, y) => x - y),
      numbers,
      `numbers in publication order: ${numbers.join(', ')}`,
    );
    assert.equal(new Set(numbers).size, numbers.length);
  });
});

suite('partitioned CRLs (--crl-partitions 4)', () => {
  let cd: Certdesk;
  let cs: ChallengeServer;
  let client: CasClient;

  before(async () => {
    ({ cd, cs, client } = await setUp({ 'crl-partitions': '4' }));
  });
  after(async () => {
    await cd?.close();
    await cs?.close();
  });

  test('together the partitions list every revoked serial exactly once, each in the partition its certificate names', async () => {
    const issuingDer = cd.server.hierarchy.issuing.certDer;
    const caId = cd.server.orders.ca.id;
    const certs = await Promise.all(Array.from({ length: 12 }, () => issue(cs, client)));
    const revoked = certs.slice(0, 8);
    for (const c of revoked) await revoke(client, c.orderId);
    await runCrlPublication(cd.server.orders, caId);

    const partitionUrls = Array.from({ length: 4 }, (_, n) => `${cd.server.apiUrl}/crl/issuing-p${n}.crl`);
    const partitions = new Map<string, ParsedCrl>();
    for (const url of partitionUrls) {
      const r = await fetchCrl(url);
      assert.equal(r.status, 200, url);
      const crl = checkCrl(r.der, issuingDer);
      assert.equal(crl.idpUrl, url, 'each partition names itself in a critical IDP');
      assert.match(crl.text, /Only User Certificates/);
      partitions.set(url, crl);
    }
    const numbers = new Set([...partitions.values()].map((p) => p.number));
    assert.equal(numbers.size, 1, 'one publication, one CRL number');

    // Every revoked serial: once across all partitions, in the one its certificate names.
    const allListed = [...partitions.values()].flatMap((p) => p.listed);
    assert.deepEqual([...allListed].sort(), revoked.map((c) => c.serial).sort());
    for (const c of certs) {
      const url = crlUrlOf(c.leaf);
      assert.ok(partitionUrls.includes(url), `certificate names a partition: ${url}`);
      const isRevoked = revoked.includes(c);
      for (const [pUrl, p] of partitions) {
        assert.equal(p.entries.has(c.serial), isRevoked && pUrl === url, `${c.serial} in ${pUrl}`);
      }
    }

    // The full CRL lists them all, once each.
    const full = checkCrl((await fetchCrl(`${cd.server.apiUrl}/crl/issuing.crl`)).der, issuingDer);
    assert.deepEqual([...full.listed].sort(), revoked.map((c) => c.serial).sort());
    assert.equal(full.idpUrl, undefined);
    assert.equal(full.number, [...numbers][0]);
  });
});

suite('publication rules (certificate rows written directly)', () => {
  let cd: Certdesk;
  let caId: number;
  let accountId: number;
  let serialNo = 0;
  const DAY = 86_400_000;

  /** A certificate row as issuance leaves it; `over` changes what the case needs. */
  function certRow(over: Partial<Insertable<CertificatesTable>> = {}): Insertable<CertificatesTable> {
    const now = cd.clock.now();
    serialNo += 1;
    const serial = `5${serialNo.toString(16).toUpperCase().padStart(31, '0')}`;
    return {
      account_id: accountId,
      order_id: null,
      source: 'issued',
      name: `crl-${serial}`,
      serial,
      issuer_id: caId,
      state: 'issued',
      tbs_der: null,
      cert_der: null,
      chain_pem: null,
      key_sealed: null,
      common_name: 'crl.example.com',
      sans: 'crl.example.com',
      issuer_cn: 'certdesk Issuing CA E1',
      not_before: now - 10 * DAY,
      not_after: now + 80 * DAY,
      sha1: '',
      sha256: '',
      org_name: '',
      country: '',
      province: '',
      city: '',
      revoked_at: null,
      revocation_reason: null,
      deleted_at: null,
      created_at: now,
      crl_shard: null,
      ...over,
    };
  }

  async function insert(rows: Array<Insertable<CertificatesTable>>): Promise<number[]> {
    const ids: number[] = [];
    for (let i = 0; i < rows.length; i += 500) {
      const r = await cd.ctx.store.db
        .insertInto('certificates')
        .values(rows.slice(i, i + 500))
        .returning('id')
        .execute();
      ids.push(...r.map((x) => Number(x.id)));
    }
    return ids;
  }

  const served = async () =>
    checkCrl((await fetchCrl(`${cd.server.apiUrl}/crl/issuing.crl`)).der, cd.server.hierarchy.issuing.certDer);

  before(async () => {
    cd = await startCertdesk();
    caId = cd.server.orders.ca.id;
    accountId = (await createAccount(cd.ctx.accounts, 'CRL rows')).AccountId;
    // The publication the worker makes at start, so that it does not run beside these tests.
    await waitForCrl(`${cd.server.apiUrl}/crl/issuing.crl`, cd.server.hierarchy.issuing.certDer, () => true);
  });
  after(async () => {
    await cd?.close();
  });

  test('lists revoked certificates, across pages, until a day after they expire; never uploads or unrevoked ones', async () => {
    const now = cd.clock.now();
    const reasons = [null, 1, 3, 4, 5, 9];
    const live = Array.from({ length: 4500 }, (_, i) =>
      certRow({ revoked_at: now - i * 1000, revocation_reason: reasons[i % reasons.length]! }),
    );
    const expiredLately = certRow({ revoked_at: now - 20 * DAY, not_after: now - DAY / 2 });
    const expiredLong = certRow({ revoked_at: now - 20 * DAY, not_after: now - 2 * DAY });
    const upload = certRow({ source: 'upload', issuer_id: null, revoked_at: now });
    const unrevoked = [certRow(), certRow(), certRow()];
    await insert([...live, expiredLately, expiredLong, upload, ...unrevoked]);

    await runCrlPublication(cd.server.orders, caId);
    const crl = await served();
    const expected = [...live, expiredLately].map((r) => normalize(r.serial));
    assert.equal(crl.listed.length, expected.length);
    assert.deepEqual([...crl.listed].sort(), expected.sort());
    assert.equal(crl.entries.get(normalize(live[1]!.serial)), 'Key Compromise');
    assert.equal(crl.entries.get(normalize(live[0]!.serial)), null);

    const header = await cd.ctx.store.repos.crls.header(caId, FULL_CRL);
    assert.equal(header!.crl_number, crl.number);
    assert.equal(header!.next_update - header!.this_update, CRL_VALIDITY_MS);
    assert.ok(CRL_VALIDITY_MS <= 10 * DAY);
    const job = await cd.ctx.store.repos.jobs.find(JOB_CRL, caId);
    assert.equal(Number(job!.run_at), header!.this_update + CRL_REFRESH_MS, 'next run scheduled');
    assert.ok(CRL_REFRESH_MS < 4 * DAY);
  });

  test('two publications at once get distinct numbers; the higher one is stored, a lower one is refused', async () => {
    await Promise.all([runCrlPublication(cd.server.orders, caId), runCrlPublication(cd.server.orders, caId)]);
    const counter = await cd.ctx.store.db
      .selectFrom('crl_counters')
      .select('last_number')
      .where('issuer_id', '=', caId)
      .executeTakeFirstOrThrow();
    const stored = await cd.ctx.store.repos.crls.latest(caId, FULL_CRL);
    assert.equal(stored!.crl_number, Number(counter.last_number), 'the last number handed out is the one stored');
    assert.equal((await served()).number, stored!.crl_number);
    const older = { ...stored!, crl_number: stored!.crl_number - 1, der: Buffer.from('older') };
    assert.equal(await cd.ctx.store.repos.crls.save(older), false);
    assert.ok((await cd.ctx.store.repos.crls.latest(caId, FULL_CRL))!.der.equals(stored!.der));
  });

  test('a revocation that commits while a publication runs gets a new CRL within the delay, not days later', async () => {
    const [id] = await insert([certRow()]);
    let revocation: Promise<void> | undefined;
    // The clock is read once the publication has taken its number: the revocation starts then.
    const clock = {
      now: () => {
        const t = cd.clock.now();
        revocation ??= cd.ctx.store.writeTransaction(async (repos) => {
          await repos.certificates.markRevoked(id!, t, null);
          await crlEventSink(CRL_REVOCATION_DELAY_MS)(
            repos,
            { kind: 'revoked', accountId, orderId: null, certificateId: id!, reason: null },
            t,
          );
        });
        return t;
      },
    };
    await runCrlPublication({ ...cd.server.orders, clock }, caId);
    await revocation;
    const job = await cd.ctx.store.repos.jobs.find(JOB_CRL, caId);
    assert.ok(
      Number(job!.run_at) <= cd.clock.now() + CRL_REVOCATION_DELAY_MS,
      `next run at ${new Date(Number(job!.run_at)).toISOString()}`,
    );
  });
});
