// Mass revocation (`certdesk admin cert revoke --serials-file FILE`): thousands of issued
// certificates revoked from a file by the real command in its own process, killed (SIGKILL)
// after its first batch and run again: every listed certificate revoked once (the first
// run's revocations untouched), the others left alone, `openssl crl` listing each in its CRL
// partition, `openssl ocsp` answering revoked, and one notice per certificate and recipient.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCertdesk, type Certdesk } from './support/harness.js';
import { runCli } from './support/cli.js';
import { insertIssuedCertificates, type BulkCertificate } from './support/bulk-certificates.js';
import { createAccount } from '../src/accounts/accounts.js';
import { grantPlan } from '../src/accounts/plans.js';
import { addContact } from '../src/accounts/contacts.js';
import { toPem } from '../src/crypto/pem.js';
import { FULL_CRL } from '../src/status/publish-crl.js';
import { MASS_REVOCATION_BATCH } from '../src/orders/mass-revoke.js';

// Async: the server runs in this process, so a blocking spawn would leave it unable to answer.
const run = promisify(execFile);
const COUNT = 3000;
const PARTITIONS = 4;
const KEPT = 200; // certificates left out of the file: they must stay unrevoked

let cd: Certdesk;
let dir: string;
let certs: BulkCertificate[];
let accountId: number;
let issuingPem: string;
let rootPem: string;

async function opensslMissing(): Promise<boolean> {
  try {
    await run('openssl', ['version']);
    return false;
  } catch {
    return true;
  }
}

before(async () => {
  if (await opensslMissing()) throw new Error('openssl is missing: run `bash scripts/setup-system.sh`');
  cd = await startCertdesk({ 'crl-partitions': String(PARTITIONS) });
  dir = mkdtempSync(join(tmpdir(), 'certdesk-mass-revoke-'));
  const key = await createAccount(cd.ctx.accounts, 'Mass Inc');
  accountId = key.AccountId;
  await grantPlan(cd.ctx.accounts, { accountId, productCode: 'digicert-free-1-free', count: COUNT });
  await addContact(cd.ctx.accounts, accountId, {
    name: 'Mia',
    email: 'mia@example.com',
    mobile: '13900001111',
    webhooks: ['https://hooks.example.com/certdesk'],
  });
  const planId = (await cd.ctx.store.repos.plans.listByAccount(accountId))[0]!.id;
  certs = await insertIssuedCertificates(cd.ctx.store, {
    accountId,
    issuerId: cd.server.orders.ca.id,
    count: COUNT,
    partitions: PARTITIONS,
    orderEvery: 3,
    planId,
    contactEmail: 'orders@example.com',
    now: cd.clock.now(),
  });
  issuingPem = join(dir, 'issuing.pem');
  rootPem = join(dir, 'root.pem');
  writeFileSync(issuingPem, toPem('CERTIFICATE', cd.server.hierarchy.issuing.certDer));
  writeFileSync(rootPem, toPem('CERTIFICATE', cd.server.hierarchy.root.certDer));
});
after(async () => {
  await cd?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function revokedRows(): Promise<Map<number, number>> {
  const rows = await cd.ctx.store.db
    .selectFrom('certificates')
    .select(['id', 'revoked_at'])
    .where('account_id', '=', accountId)
    .where('revoked_at', 'is not', null)
    .execute();
  return new Map(rows.map((r) => [Number(r.id), Number(r.revoked_at)]));
}

/** `openssl crl -verify` against the issuing CA, then the serials it lists (normalized). */
async function crlSerials(der: Buffer): Promise<string[]> {
  const path = join(dir, `crl-${Math.random().toString(36).slice(2)}.der`);
  writeFileSync(path, der);
  const r = await run(
    'openssl',
    ['crl', '-inform', 'DER', '-in', path, '-CAfile', issuingPem, '-verify', '-text', '-noout'],
    { encoding: 'utf8', maxBuffer: 256 << 20 },
  );
  assert.match(r.stderr, /verify OK/);
  return [...r.stdout.matchAll(/Serial Number: ([0-9A-F]+)/g)].map((m) => m[1]!.replace(/^0+/, ''));
}

test('a serials file: killed after a batch, run again; each listed certificate revoked once, in its CRL partition, OCSP revoked, notices once', async () => {
  const listed = certs.slice(0, COUNT - KEPT);
  const kept = certs.slice(COUNT - KEPT);
  // Serials as people paste them: lower case, colon-separated, with and without a leading
  // zero; one unknown serial, a blank line, and a comment.
  const lines = listed.map((c, i) =>
    i % 7 === 0 ? c.serial.toLowerCase() : i % 11 === 0 ? c.serial.match(/../g)!.join(':') : c.serial,
  );
  const file = join(dir, 'serials.txt');
  writeFileSync(file, ['# affected by the incident', ...lines, '', 'DEADBEEF01'].join('\n'));
  const args = [
    'admin',
    'cert',
    'revoke',
    '--serials-file',
    file,
    '--reason',
    'keyCompromise',
    '--json',
    ...cd.storeArgs,
  ];

  // First run: dies (SIGKILL) once its first batch has committed.
  const killed = await runCli(args, { ...cd.storeEnv, CERTDESK_FAULT: 'kill-after-revocation-batch:1' });
  assert.notEqual(killed.code, 0, 'the faulted run was killed');
  const firstRun = await revokedRows();
  assert.equal(firstRun.size, MASS_REVOCATION_BATCH, 'exactly the first batch committed');

  const again = await runCli(args, cd.storeEnv);
  assert.equal(again.code, 0, again.stderr);
  const summary = JSON.parse(again.stdout);
  assert.equal(summary.Revoked, listed.length - MASS_REVOCATION_BATCH);
  assert.equal(summary.AlreadyRevoked, MASS_REVOCATION_BATCH);
  assert.deepEqual(summary.NotFoundSerials, ['DEADBEEF01']);
  assert.deepEqual(summary.CrlsPublishedFor, [cd.server.orders.ca.id]);

  // Nothing missed, nothing revoked twice (the first run's times stand), nothing else revoked.
  const revoked = await revokedRows();
  assert.deepEqual([...revoked.keys()].sort(), listed.map((c) => c.id).sort());
  for (const [id, at] of firstRun) assert.equal(revoked.get(id), at, `certificate ${id} kept its revocation time`);
  const reasons = await cd.ctx.store.db
    .selectFrom('certificates')
    .select('revocation_reason')
    .distinct()
    .where('account_id', '=', accountId)
    .where('revoked_at', 'is not', null)
    .execute();
  assert.deepEqual(
    reasons.map((r) => r.revocation_reason),
    [1],
  );
  const orderStates = await cd.ctx.store.db
    .selectFrom('orders')
    .select(['id', 'state'])
    .where('account_id', '=', accountId)
    .execute();
  const stateOf = new Map(orderStates.map((o) => [Number(o.id), o.state]));
  for (const c of listed) if (c.orderId !== null) assert.equal(stateOf.get(c.orderId), 'revoked');
  for (const c of kept) if (c.orderId !== null) assert.equal(stateOf.get(c.orderId), 'certificate');

  // The CRLs were re-signed by the command: each partition lists exactly its revoked certificates.
  const norm = (s: string) => s.replace(/^0+/, '');
  for (let p = 0; p < PARTITIONS; p++) {
    const res = await fetch(`${cd.server.apiUrl}/crl/issuing-p${p}.crl`);
    assert.equal(res.status, 200);
    const serials = await crlSerials(Buffer.from(await res.arrayBuffer()));
    assert.equal(new Set(serials).size, serials.length, `partition ${p} lists each serial once`);
    assert.deepEqual(
      serials.sort(),
      listed
        .filter((c) => c.shard === p)
        .map((c) => norm(c.serial))
        .sort(),
      `partition ${p}`,
    );
  }
  const full = await cd.ctx.store.repos.crls.latest(cd.server.orders.ca.id, FULL_CRL);
  assert.equal((await crlSerials(full!.der)).length, listed.length);

  // OCSP, as a relying party asks: a sample of the revoked, and a kept one.
  for (const c of [listed[0]!, listed[1500]!, listed[listed.length - 1]!, kept[0]!]) {
    const r = await run(
      'openssl',
      [
        'ocsp',
        '-issuer',
        issuingPem,
        '-serial',
        `0x${c.serial}`,
        '-url',
        `${cd.server.apiUrl}/ocsp`,
        '-CAfile',
        rootPem,
      ],
      { encoding: 'utf8' },
    );
    assert.match(r.stderr, /Response verify OK/);
    const expected = kept.includes(c) ? 'good' : 'revoked';
    assert.match(r.stdout, new RegExp(`^0x${c.serial}: ${expected}$`, 'm'));
    if (expected === 'revoked') assert.match(r.stdout, /Reason: keyCompromise/);
  }

  // Notices: one per certificate and recipient (the contact's webhook; the order's address too).
  const notices = await cd.ctx.store.db
    .selectFrom('notices')
    .select(['id', 'certificate_id', 'channel'])
    .where('account_id', '=', accountId)
    .where('event', '=', 'revoked')
    .execute();
  const perCert = new Map<number, string[]>();
  for (const n of notices)
    perCert.set(Number(n.certificate_id), [...(perCert.get(Number(n.certificate_id)) ?? []), n.channel]);
  assert.equal(perCert.size, listed.length);
  for (const c of listed)
    assert.deepEqual(
      perCert.get(c.id)!.sort(),
      c.orderId === null ? ['webhook'] : ['email', 'webhook'],
      `notices of ${c.id}`,
    );
  // The server's worker is delivering them meanwhile: a job is deleted once its notice is
  // settled, so read the jobs first, then the notices' status; a pending one must have its job.
  const jobs = await cd.ctx.store.db.selectFrom('jobs').select('ref_id').where('kind', '=', 'notice').execute();
  const withJob = new Set(jobs.map((j) => Number(j.ref_id)));
  const statuses = await cd.ctx.store.db
    .selectFrom('notices')
    .select(['id', 'status'])
    .where('account_id', '=', accountId)
    .where('event', '=', 'revoked')
    .execute();
  const orphans = statuses.filter((n) => n.status === 'pending' && !withJob.has(Number(n.id)));
  assert.deepEqual(orphans, [], 'each pending notice has its delivery job');
});
