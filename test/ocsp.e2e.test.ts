// Issue 4, "Done when": `openssl ocsp` reports revoked, good and unknown correctly against
// the running server; GET (RFC 6960 A.1) and POST both work; responses are pre-signed,
// stored and refreshed before they expire. Certificates are issued through the official SDK.
import { after, before, describe as suite, test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Certdesk } from './support/harness.js';
import type { ChallengeServer } from './challenge-server.js';
import { Cas, casClient, type CasClient } from './support/sdk.js';
import { freshDomain, publishChallenges, startWithChallenges, waitForType } from './support/orders.js';
import { createAccount } from '../src/accounts/accounts.js';
import { grantPlan } from '../src/accounts/plans.js';
import { addContact } from '../src/accounts/contacts.js';
import { toPem } from '../src/crypto/pem.js';
import { revokeBySerial } from '../src/orders/revoke-certificate.js';
import {
  JOB_OCSP_REFRESH,
  OCSP_REFRESH_BEFORE_MS,
  OCSP_VALIDITY_MS,
  runOcspRefresh,
} from '../src/status/ocsp-responses.js';

// Async: the server runs in this process, so a blocking spawn would leave it unable to answer.
const run = promisify(execFile);
const DAY = 86_400_000;

async function openssl(args: string[]): Promise<{ out: string; err: string }> {
  const r = await run('openssl', args, { encoding: 'utf8' });
  return { out: r.stdout, err: r.stderr };
}

suite('OCSP against the running server', () => {
  let cd: Certdesk;
  let cs: ChallengeServer;
  let client: CasClient;
  let dir: string;
  let ocspUrl: string;
  let issuingPem: string;
  let rootPem: string;
  const leaves = new Map<string, { path: string; serial: string; orderId: number }>();

  async function issue(label: string): Promise<void> {
    const orderId = (
      await client.createCertificateForPackageRequest(
        new Cas.CreateCertificateForPackageRequestRequest({ domain: freshDomain(label), validateType: 'DNS' }),
      )
    ).body!.orderId!;
    await publishChallenges(cs, client, orderId);
    const done = await waitForType(client, orderId, ['certificate']);
    const pem = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/.exec(done.certificate!)![0];
    const path = join(dir, `${label}.pem`);
    writeFileSync(path, pem);
    leaves.set(label, { path, serial: new X509Certificate(pem).serialNumber, orderId });
  }

  /** `openssl ocsp` as a relying party runs it: POST to the URL, verified against the issuer and root. */
  async function ask(extra: string[]): Promise<{ out: string; err: string }> {
    return openssl(['ocsp', '-issuer', issuingPem, ...extra, '-url', ocspUrl, '-CAfile', rootPem]);
  }

  before(async () => {
    ({ cd, cs } = await startWithChallenges());
    dir = mkdtempSync(join(tmpdir(), 'certdesk-ocsp-e2e-'));
    const key = await createAccount(cd.ctx.accounts, 'OCSP Inc');
    client = casClient(cd.endpoint, key);
    await grantPlan(cd.ctx.accounts, { accountId: key.AccountId, productCode: 'digicert-free-1-free', count: 10 });
    await addContact(cd.ctx.accounts, key.AccountId, {
      name: 'Olga',
      email: 'olga@example.com',
      mobile: '13900001111',
    });
    issuingPem = join(dir, 'issuing.pem');
    rootPem = join(dir, 'root.pem');
    writeFileSync(issuingPem, toPem('CERTIFICATE', cd.server.hierarchy.issuing.certDer));
    writeFileSync(rootPem, toPem('CERTIFICATE', cd.server.hierarchy.root.certDer));
    for (const label of ['kept', 'cancelled', 'compromised', 'unsigned']) await issue(label);
    // Certificates carry the responder's URL in AIA (RFC 5280 §4.2.2.1).
    ocspUrl = /OCSP - URI:(\S+)/.exec(
      new X509Certificate(readFileSync(leaves.get('kept')!.path)).infoAccess ?? '',
    )![1]!;
    assert.equal(ocspUrl, `${cd.server.apiUrl}/ocsp`);
  });
  after(async () => {
    await cd?.close();
    await cs?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('good, then revoked once CancelCertificateForPackageRequest revokes it, and unknown for a serial never issued', async () => {
    const kept = leaves.get('kept')!;
    const cancelled = leaves.get('cancelled')!;
    // Asked before the revocation, so the answer sits in the responder's cache.
    let r = await ask(['-cert', cancelled.path]);
    assert.match(r.out, new RegExp(`${cancelled.path}: good`));
    await client.cancelCertificateForPackageRequest(
      new Cas.CancelCertificateForPackageRequestRequest({ orderId: cancelled.orderId }),
    );

    r = await ask(['-cert', kept.path]);
    assert.match(r.err, /Response verify OK/);
    assert.match(r.out, new RegExp(`${kept.path}: good`));
    r = await ask(['-cert', cancelled.path]);
    assert.match(r.err, /Response verify OK/);
    assert.match(r.out, new RegExp(`${cancelled.path}: revoked`));
    assert.match(r.out, /Revocation Time: /);
    assert.doesNotMatch(r.out, /Reason:/, 'CancelCertificateForPackageRequest states no reason');
    // Same issuer name and key hash, a made-up serial: unknown, never good (BR 4.9, 4.10, 7.2; RFC 5280, RFC 6960).
    r = await ask(['-serial', '0x1234']);
    assert.match(r.err, /Response verify OK/);
    assert.match(r.out, /^0x1234: unknown$/m);
  });

  test('an operator revocation for keyCompromise states the reason', async () => {
    const c = leaves.get('compromised')!;
    await revokeBySerial(cd.server.orders, c.serial, 1);
    const r = await ask(['-cert', c.path]);
    assert.match(r.err, /Response verify OK/);
    assert.match(r.out, new RegExp(`${c.path}: revoked`));
    assert.match(r.out, /Reason: keyCompromise/);
  });

  test('GET with the URL-encoded request (RFC 6960 A.1) serves stored bytes, cacheable until nextUpdate', async () => {
    const kept = leaves.get('kept')!;
    const reqPath = join(dir, 'get-req.der');
    await openssl(['ocsp', '-issuer', issuingPem, '-cert', kept.path, '-no_nonce', '-reqout', reqPath]);
    const url = `${ocspUrl}/${encodeURIComponent(readFileSync(reqPath).toString('base64'))}`;
    const first = await fetch(url);
    assert.equal(first.status, 200);
    assert.equal(first.headers.get('content-type'), 'application/ocsp-response');
    const body = Buffer.from(await first.arrayBuffer());
    const stored = await cd.ctx.store.repos.ocspResponses.get(cd.server.orders.ca.id, kept.serial);
    assert.ok(stored, 'the response is stored');
    assert.ok(body.equals(stored.der), 'GET serves the stored response byte for byte');
    // RFC 5019 §6.2: max-age after thisUpdate and before nextUpdate.
    const maxAge = Number(/max-age=(\d+)/.exec(first.headers.get('cache-control') ?? '')?.[1]);
    assert.ok(maxAge > 0 && Date.now() + maxAge * 1000 < stored.next_update, `max-age ${maxAge} within nextUpdate`);
    assert.match(first.headers.get('cache-control')!, /public/);
    assert.equal(Date.parse(first.headers.get('expires')!), Math.floor(stored.next_update / 1000) * 1000);
    const etag = first.headers.get('etag')!;
    assert.equal((await fetch(url, { headers: { 'if-none-match': etag } })).status, 304);
    // The base64 left raw ('/' and '+' unescaped), as some clients send it, works too.
    const raw = await fetch(`${ocspUrl}/${readFileSync(reqPath).toString('base64')}`);
    assert.ok(Buffer.from(await raw.arrayBuffer()).equals(body));

    const respPath = join(dir, 'get-resp.der');
    writeFileSync(respPath, body);
    const r = await openssl([
      'ocsp',
      '-respin',
      respPath,
      '-issuer',
      issuingPem,
      '-cert',
      kept.path,
      '-CAfile',
      rootPem,
      '-no_nonce',
    ]);
    assert.match(r.err, /Response verify OK/);
    assert.match(r.out, new RegExp(`${kept.path}: good`));
  });

  test('POST with application/ocsp-request; not cacheable', async () => {
    const cancelled = leaves.get('cancelled')!;
    const reqPath = join(dir, 'post-req.der');
    await openssl(['ocsp', '-issuer', issuingPem, '-cert', cancelled.path, '-reqout', reqPath]);
    const res = await fetch(ocspUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/ocsp-request' },
      body: readFileSync(reqPath),
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/ocsp-response');
    assert.equal(res.headers.get('cache-control'), 'no-store');
    const respPath = join(dir, 'post-resp.der');
    writeFileSync(respPath, Buffer.from(await res.arrayBuffer()));
    const r = await openssl([
      'ocsp',
      '-respin',
      respPath,
      '-issuer',
      issuingPem,
      '-cert',
      cancelled.path,
      '-CAfile',
      rootPem,
      '-no_nonce',
    ]);
    assert.match(r.err, /Response verify OK/);
    assert.match(r.out, new RegExp(`${cancelled.path}: revoked`));
  });

  test('SHA-256 CertIDs, and several certificates in one request', async () => {
    const kept = leaves.get('kept')!;
    const cancelled = leaves.get('cancelled')!;
    let r = await ask(['-sha256', '-cert', kept.path]);
    assert.match(r.err, /Response verify OK/);
    assert.match(r.out, new RegExp(`${kept.path}: good`));
    r = await ask(['-cert', kept.path, '-cert', cancelled.path, '-serial', '0xABCDEF']);
    assert.match(r.err, /Response verify OK/);
    assert.match(r.out, new RegExp(`${kept.path}: good`));
    assert.match(r.out, new RegExp(`${cancelled.path}: revoked`));
    assert.match(r.out, /^0xABCDEF: unknown$/m);
  });

  test("another issuer's CertID is unauthorized; a garbled request is malformedRequest", async () => {
    // The issuing CA's own certificate, asked of its issuer (the root): not ours to answer.
    const r = await openssl([
      'ocsp',
      '-issuer',
      rootPem,
      '-cert',
      issuingPem,
      '-url',
      ocspUrl,
      '-CAfile',
      rootPem,
    ]).catch((e: { stdout: string }) => ({ out: e.stdout, err: '' }));
    assert.match(r.out, /Responder Error: unauthorized \(6\)/i);
    const bad = await fetch(ocspUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/ocsp-request' },
      body: Buffer.from('not DER'),
    });
    assert.deepEqual([...Buffer.from(await bad.arrayBuffer())], [0x30, 0x03, 0x0a, 0x01, 0x01]);
    const badGet = await fetch(`${ocspUrl}/%%%`);
    assert.deepEqual([...Buffer.from(await badGet.arrayBuffer())], [0x30, 0x03, 0x0a, 0x01, 0x01]);
    assert.equal((await fetch(ocspUrl, { method: 'PUT', body: 'x' })).status, 405);
    assert.equal((await fetch(ocspUrl, { method: 'POST', body: Buffer.alloc(64 * 1024) })).status, 413);
  });

  test('a revocation the stored response does not state yet is answered revoked all the same', async () => {
    const c = leaves.get('unsigned')!;
    const issuerId = cd.server.orders.ca.id;
    const { ocspResponses } = cd.ctx.store.repos;
    // Pre-signed by the refresh job, never asked for (so not in this process's cache).
    await runOcspRefresh(cd.server.orders, issuerId);
    assert.equal((await ocspResponses.get(issuerId, c.serial))!.revoked_at, null);
    // As if another process revoked it without re-signing: only the certificates row changes.
    const revokedAt = Date.now() - 5000;
    await cd.ctx.store.db
      .updateTable('certificates')
      .set({ revoked_at: revokedAt, revocation_reason: 4 })
      .where('issuer_id', '=', issuerId)
      .where('serial', '=', c.serial)
      .execute();
    const r = await ask(['-cert', c.path]);
    assert.match(r.err, /Response verify OK/);
    assert.match(r.out, new RegExp(`${c.path}: revoked`));
    assert.match(r.out, /Reason: superseded/);
    const stored = (await ocspResponses.get(issuerId, c.serial))!;
    assert.equal(stored.revoked_at, revokedAt, 'the lookup stored the re-signed response');
    // A refresh that signed "good" from a read made before the revocation cannot overwrite it.
    await ocspResponses.save([{ ...stored, revoked_at: null, this_update: stored.this_update + 1000 }]);
    assert.equal((await ocspResponses.get(issuerId, c.serial))!.revoked_at, revokedAt, 'good never replaces revoked');
  });

  test('responses are pre-signed for every issued certificate and re-signed before they expire', async () => {
    const { store } = cd.ctx;
    const issuerId = cd.server.orders.ca.id;
    // Issuance scheduled the refresh job.
    assert.ok(await store.repos.jobs.find(JOB_OCSP_REFRESH, issuerId), 'the refresh job is scheduled');
    const serials = [...leaves.values()].map((l) => l.serial);
    const before = Date.now();
    assert.deepEqual(await runOcspRefresh(cd.server.orders, issuerId), { kind: 'done' });
    for (const serial of serials) {
      const row = await store.repos.ocspResponses.get(issuerId, serial);
      assert.ok(row, `a response is stored for ${serial}`);
      assert.equal(row.next_update - row.this_update, OCSP_VALIDITY_MS);
    }
    const job = await store.repos.jobs.find(JOB_OCSP_REFRESH, issuerId);
    assert.ok(job && job.run_at > before + 30 * 60_000, 'the job runs again in about an hour');

    // One response close to its nextUpdate: the next run re-signs it, the others stay.
    const kept = leaves.get('kept')!;
    const other = leaves.get('compromised')!;
    const otherBefore = (await store.repos.ocspResponses.get(issuerId, other.serial))!;
    await store.db
      .updateTable('ocsp_responses')
      .set({ next_update: Date.now() + OCSP_REFRESH_BEFORE_MS - DAY / 2 })
      .where('issuer_id', '=', issuerId)
      .where('serial', '=', kept.serial)
      .execute();
    await runOcspRefresh(cd.server.orders, issuerId);
    const refreshed = (await store.repos.ocspResponses.get(issuerId, kept.serial))!;
    assert.ok(
      refreshed.next_update >= Date.now() + OCSP_VALIDITY_MS - 60_000,
      'the near-expiry response was re-signed',
    );
    assert.ok(
      (await store.repos.ocspResponses.get(issuerId, other.serial))!.der.equals(otherBefore.der),
      'a fresh response is left alone',
    );
    // The revoked certificates' stored responses say revoked, with the revocation time.
    const cancelled = leaves.get('cancelled')!;
    const cert = await store.repos.certificates.findIssuedBySerial([issuerId], cancelled.serial);
    assert.equal((await store.repos.ocspResponses.get(issuerId, cancelled.serial))!.revoked_at, cert!.revokedAt);
  });
});
