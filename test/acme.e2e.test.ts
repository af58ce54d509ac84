// ACME (RFC 8555) end to end with the project's JWS client: an EAB-bound account, http-01 and
// dns-01 (wildcard) orders validated against the loopback challenge server, finalize,
// download, revocation reaching OCSP; ACME and CAS orders of one customer spend one plan.
import { after, before, describe as suite, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Certdesk } from './support/harness.js';
import type { ChallengeServer } from './challenge-server.js';
import { Cas, casClient, type CasClient } from './support/sdk.js';
import { freshDomain } from './support/orders.js';
import { AcmeTestClient, newAccountKey } from './support/acme-client.js';
import { csrFor, eabFor, solve, startAcmeCertdesk } from './support/acme.js';
import { createAccount } from '../src/accounts/accounts.js';
import { grantPlan } from '../src/accounts/plans.js';
import { addContact } from '../src/accounts/contacts.js';
import { toPem } from '../src/crypto/pem.js';
import { dnsAccount01RecordName, keyAuthorizationDigest } from '../src/validation/index.js';
import { runCliJson } from './support/cli.js';
import type { AuditEvent } from '../src/domain/audit.js';

const run = promisify(execFile);

suite('ACME with the project JWS client', () => {
  let cd: Certdesk;
  let cs: ChallengeServer;
  let rootPem: string;
  let directoryUrl: string;
  let client: AcmeTestClient;
  let cas: CasClient;
  let accountId: number;
  let dir: string;
  let issued: { pem: string; orderUrl: string };
  /** The EAB credentials made by the CLI and the operator API (their audit entries are checked last). */
  const eabMade: Record<'cli' | 'api', { KeyId: string; HmacKey: string }> = {} as never;

  before(async () => {
    ({ cd, cs, rootPem, directoryUrl } = await startAcmeCertdesk());
    dir = mkdtempSync(join(tmpdir(), 'certdesk-acme-e2e-'));
    const key = await createAccount(cd.ctx.accounts, 'ACME Inc');
    accountId = key.AccountId;
    cas = casClient(cd.endpoint, key);
    await grantPlan(cd.ctx.accounts, { accountId, productCode: 'digicert-free-1-free', count: 3 });
    await grantPlan(cd.ctx.accounts, { accountId, productCode: 'geotrust-dv-w-starter', count: 1 });
    await addContact(cd.ctx.accounts, accountId, { name: 'Ann', email: 'ann@example.com', mobile: '13900001111' });
    client = await new AcmeTestClient(directoryUrl, newAccountKey('ec256'), rootPem).init();
  });
  after(async () => {
    client?.close();
    await cd?.close();
    await cs?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('the directory names every resource and requires EAB; newNonce answers HEAD 200 and GET 204', async () => {
    const d = client.directory;
    for (const k of ['newNonce', 'newAccount', 'newOrder', 'revokeCert', 'keyChange', 'renewalInfo'])
      assert.match(d[k], /^https:\/\/127\.0\.0\.1:\d+\/acme\//, k);
    assert.equal(d.meta.externalAccountRequired, true);
    assert.ok('digicert-free-1-free' in d.meta.profiles);
    const head = await client.raw(d.newNonce, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.match(head.headers.get('replay-nonce')!, /^[A-Za-z0-9_-]{22,}$/);
    assert.equal(head.headers.get('cache-control'), 'no-store');
    assert.equal((await client.raw(d.newNonce)).status, 204);
  });

  test('an EAB account is created (201), and found again (200) by the same key', async () => {
    const eab = await eabFor(cd, accountId, 'digicert-free-1-free');
    const created = await client.newAccount({ keyId: eab.KeyId, hmac: eab.HmacKey });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.body.status, 'valid');
    assert.match(created.headers.get('location')!, /\/acme\/acct\/[A-Za-z0-9_-]{16,}$/);
    const again = await client.post(client.directory.newAccount, { onlyReturnExisting: true }, { useJwk: true });
    assert.equal(again.status, 200);
    assert.equal(again.headers.get('location'), created.headers.get('location'));
  });

  test('an http-01 order: pending, ready, finalized, valid; the chain verifies with openssl', async () => {
    const name = freshDomain('acme');
    const created = await client.newOrder([name]);
    assert.equal(created.status, 201, created.text);
    assert.equal(created.body.status, 'pending');
    const orderUrl = created.headers.get('location')!;
    const authzUrl = created.body.authorizations[0] as string;
    const ch = (await client.post(authzUrl, '')).body.challenges.find((c: any) => c.type === 'http-01');
    cs.setA(name, ['127.0.0.1']);
    cs.setHttp(name, `/.well-known/acme-challenge/${ch.token}`, { body: await client.keyAuthorization(ch.token) });
    const started = await client.post(ch.url, {});
    assert.equal(started.status, 200, started.text);
    assert.match(started.headers.get('link') ?? '', new RegExp(`<${authzUrl}>;rel="up"`));
    const repos = cd.ctx.store.repos;
    // Decision 0033: the answer waits (up to 1 s) for the attempt it started. Settled: the
    // order is ready at once and the attempt's job ended with it; else processing, Retry-After.
    if (started.body.status === 'valid') {
      assert.equal((await client.post(orderUrl, '')).body.status, 'ready');
      const { challenge } = (await repos.acme.challengeWithAuthorization(ch.url.split('/').pop()))!;
      assert.equal(await repos.jobs.find('acme-challenge', challenge.id), undefined);
    } else {
      assert.equal(started.body.status, 'processing', started.text);
      assert.equal(started.headers.get('retry-after'), '1');
    }
    const ready = await client.poll(orderUrl, (b) => b.status !== 'pending');
    assert.equal(ready.body.status, 'ready', ready.text);
    const { der } = csrFor([name]);
    const fin = await client.post(ready.body.finalize, { csr: der.toString('base64url') });
    assert.equal(fin.status, 200, fin.text);
    // Issued in the request: its issue job, leased to this process, ended in issuance's own
    // transaction, so no worker claims it and runs issuance again to find it done.
    const orderId = (await repos.acme.orderByUrlId(orderUrl.split('/').pop()!))!.order.id;
    if (fin.body.status === 'valid') assert.equal(await repos.jobs.find('issue', orderId), undefined);
    else assert.equal(fin.headers.get('retry-after'), '1');
    const valid = await client.poll(orderUrl, (b) => b.status === 'valid' || b.status === 'invalid');
    assert.equal(valid.body.status, 'valid');
    const cert = await client.post(valid.body.certificate, '');
    assert.equal(cert.status, 200);
    assert.match(cert.headers.get('content-type')!, /application\/pem-certificate-chain/);
    const pems = cert.text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/g)!;
    assert.equal(pems.length, 2, 'leaf and issuing CA, no root');
    assert.equal(new X509Certificate(pems[0]).subjectAltName, `DNS:${name}`);
    writeFileSync(join(dir, 'leaf.pem'), pems[0]);
    writeFileSync(join(dir, 'chain.pem'), pems[1]!);
    writeFileSync(join(dir, 'root.pem'), rootPem);
    const v = await run('openssl', [
      'verify',
      '-CAfile',
      join(dir, 'root.pem'),
      '-untrusted',
      join(dir, 'chain.pem'),
      join(dir, 'leaf.pem'),
    ]);
    assert.match(v.stdout, /OK/);
    issued = { pem: pems[0], orderUrl };
  });

  test('a challenge attempt the worker runs (handed back, or after a restart) settles it and ends its job', async () => {
    await grantPlan(cd.ctx.accounts, { accountId, productCode: 'symantec-free-1-free', count: 1 });
    const name = freshDomain('worker');
    const created = await client.newOrder([name], { profile: 'symantec-free-1-free' });
    assert.equal(created.status, 201, created.text);
    const authzUrl = created.body.authorizations[0] as string;
    const ch = (await client.post(authzUrl, '')).body.challenges.find((c: any) => c.type === 'http-01');
    cs.setA(name, ['127.0.0.1']);
    cs.setHttp(name, `/.well-known/acme-challenge/${ch.token}`, { body: await client.keyAuthorization(ch.token) });
    // What a challenge POST leaves when its own attempt was handed back to the queue: the
    // challenge processing, its job due and leased to nobody; the worker claims and runs it.
    const store = cd.ctx.store;
    const { challenge } = (await store.repos.acme.challengeWithAuthorization(ch.url.split('/').pop()))!;
    const now = cd.ctx.clock.now();
    await store.writeTransaction(async (tx) => {
      assert.ok(await tx.acme.setChallenge(challenge.id, ['pending'], { status: 'processing' }));
      await tx.jobs.enqueue('acme-challenge', challenge.id, now, now);
    });
    const ready = await client.poll(created.headers.get('location')!, (b) => b.status !== 'pending');
    assert.equal(ready.body.status, 'ready', ready.text);
    assert.equal((await client.post(ch.url, '')).body.status, 'valid');
    assert.equal(await store.repos.jobs.find('acme-challenge', challenge.id), undefined);
  });

  test('a wildcard dns-01 order under another profile of the customer', async () => {
    const base = freshDomain('wild');
    const created = await client.newOrder([`*.${base}`], { profile: 'geotrust-dv-w-starter' });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.body.profile, 'geotrust-dv-w-starter');
    const authz = (await client.post(created.body.authorizations[0], '')).body;
    assert.equal(authz.wildcard, true);
    assert.equal(authz.identifier.value, base);
    assert.deepEqual(
      authz.challenges.map((c: any) => c.type),
      ['dns-01', 'dns-account-01'],
    );
    await solve(cs, client, created.body, 'dns-01');
    const orderUrl = created.headers.get('location')!;
    const ready = await client.poll(orderUrl, (b) => b.status !== 'pending');
    assert.equal(ready.body.status, 'ready', ready.text);
    const fin = await client.post(ready.body.finalize, { csr: csrFor([`*.${base}`]).der.toString('base64url') });
    assert.equal(fin.status, 200, fin.text);
    const valid = await client.poll(orderUrl, (b) => b.status === 'valid');
    const cert = await client.post(valid.body.certificate, '');
    assert.equal(new X509Certificate(cert.text).subjectAltName, `DNS:*.${base}`);
  });

  test('tls-alpn-01 (a real TLS responder with the acme-tls/1 certificate) and dns-account-01', async () => {
    await grantPlan(cd.ctx.accounts, { accountId, productCode: 'symantec-free-1-free', count: 2 });
    const alpnName = freshDomain('alpn');
    const labelName = freshDomain('label');
    for (const [name, type] of [
      [alpnName, 'tls-alpn-01'],
      [labelName, 'dns-account-01'],
    ] as const) {
      const created = await client.newOrder([name], { profile: 'symantec-free-1-free' });
      assert.equal(created.status, 201, created.text);
      const authz = (await client.post(created.body.authorizations[0], '')).body;
      const ch = authz.challenges.find((c: any) => c.type === type);
      assert.ok(ch, `${type} is offered`);
      const keyAuth = await client.keyAuthorization(ch.token);
      if (type === 'tls-alpn-01') {
        cs.setA(name, ['127.0.0.1']);
        cs.setTlsAlpn(name, { keyAuthorization: keyAuth });
      } else {
        cs.setTxt(dnsAccount01RecordName(name, client.kid!), [keyAuthorizationDigest(keyAuth)]);
      }
      assert.equal((await client.post(ch.url, {})).status, 200);
      const orderUrl = created.headers.get('location')!;
      const ready = await client.poll(orderUrl, (b) => b.status !== 'pending');
      assert.equal(ready.body.status, 'ready', `${type}: ${ready.text}`);
      const done = await client.post(ready.body.finalize, { csr: csrFor([name]).der.toString('base64url') });
      assert.equal(done.status, 200);
      const valid = await client.poll(orderUrl, (b) => b.status === 'valid');
      const finalAuthz = (await client.post(valid.body.authorizations[0], '')).body;
      assert.deepEqual(
        finalAuthz.challenges.map((c: any) => [c.type, c.status]),
        [[type, 'valid']],
        'a valid authorization lists only the challenge that decided it',
      );
    }
  });

  test('ACME and CAS orders spend the same plan; the ACME certificate is listed by ListUserCertificateOrder', async () => {
    const state = async () =>
      (await cas.describePackageState(new Cas.DescribePackageStateRequest({ productCode: 'digicert-free-1-free' })))
        .body!;
    const before = await state();
    assert.equal(before.totalCount, 3);
    assert.equal(before.usedCount, 1, 'the http-01 order');
    assert.equal(before.issuedCount, 1);
    await cas.createCertificateForPackageRequest(
      new Cas.CreateCertificateForPackageRequestRequest({ domain: freshDomain('cas'), validateType: 'DNS' }),
    );
    const pending = await client.newOrder([freshDomain('acme2')]);
    assert.equal(pending.status, 201);
    const afterBoth = await state();
    assert.equal(afterBoth.usedCount, 3, 'one ACME issued, one CAS pending, one ACME pending');
    // The plan is empty now: the next ACME order is refused as userActionRequired (not a rate limit).
    const refused = await client.newOrder([freshDomain('acme3')]);
    assert.equal(refused.status, 403);
    assert.equal(refused.body.type, 'urn:ietf:params:acme:error:userActionRequired');
    assert.equal((await state()).usedCount, 3, 'nothing was spent');
    const serial = new X509Certificate(issued.pem).serialNumber;
    const listed = await cas.listUserCertificateOrder(new Cas.ListUserCertificateOrderRequest({ orderType: 'CPACK' }));
    assert.ok(
      listed.body!.certificateOrderList!.some(
        (o) => o.status === 'ISSUED' && o.domain === new X509Certificate(issued.pem).subjectAltName!.slice(4),
      ),
      `the ACME order ${serial} is listed`,
    );
  });

  test('EAB credentials from `certdesk admin acme eab` and the operator API: create, list, revoke', async () => {
    const created = await runCliJson<{ KeyId: string; HmacKey: string }>(
      [
        'admin',
        'acme',
        'eab',
        'create',
        '--account',
        String(accountId),
        '--product',
        'digicert-free-1-free',
        '--max-accounts',
        '2',
        ...cd.storeArgs,
      ],
      cd.storeEnv,
    );
    assert.match(created.KeyId, /^eab_/);
    assert.match(created.HmacKey, /^[A-Za-z0-9_-]{43}$/);
    eabMade.cli = created;
    const second = await new AcmeTestClient(directoryUrl, newAccountKey('rsa2048'), rootPem).init();
    try {
      const made = await second.newAccount({ keyId: created.KeyId, hmac: created.HmacKey });
      assert.equal(made.status, 201, made.text);
    } finally {
      second.close();
    }
    const listed = await runCliJson<Array<{ KeyId: string; UsedAccounts: number }>>(
      ['admin', 'acme', 'eab', 'list', '--account', String(accountId), ...cd.storeArgs],
      cd.storeEnv,
    );
    assert.equal(listed.find((k) => k.KeyId === created.KeyId)?.UsedAccounts, 1);
    // The operator API does the same.
    const token = readFileSync(join(cd.dataDir, 'admin-token'), 'utf8').trim();
    const call = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${cd.server.adminUrl}/v1${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
      return { status: res.status, body: await res.json() };
    };
    const api = await call('POST', '/acme/eab', { AccountId: accountId, ProductCode: 'digicert-free-1-free' });
    assert.equal(api.status, 201);
    assert.match(api.body.HmacKey, /^[A-Za-z0-9_-]{43}$/);
    eabMade.api = api.body;
    assert.equal((await call('POST', `/acme/eab/${api.body.KeyId}/revoke`)).status, 200);
    const revoked = await call('GET', `/acme/eab?AccountId=${accountId}`);
    assert.equal(revoked.body.EabKeys.find((k: any) => k.KeyId === api.body.KeyId).Revoked, true);
    // A revoked credential makes no account: 403 unauthorized.
    const third = await new AcmeTestClient(directoryUrl, newAccountKey('ec384'), rootPem).init();
    try {
      const refused = await third.newAccount({ keyId: api.body.KeyId, hmac: api.body.HmacKey });
      assert.equal(refused.status, 403);
      assert.equal(refused.body.type, 'urn:ietf:params:acme:error:unauthorized');
    } finally {
      third.close();
    }
    await runCliJson(['admin', 'acme', 'eab', 'revoke', created.KeyId, ...cd.storeArgs], cd.storeEnv);
  });

  test('revocation by the ordering account reaches OCSP; a second one is alreadyRevoked', async () => {
    const der = new X509Certificate(issued.pem).raw;
    const r = await client.post(client.directory.revokeCert, { certificate: der.toString('base64url'), reason: 4 });
    assert.equal(r.status, 200, r.text);
    const again = await client.post(client.directory.revokeCert, { certificate: der.toString('base64url') });
    assert.equal(again.status, 400);
    assert.equal(again.body.type, 'urn:ietf:params:acme:error:alreadyRevoked');
    writeFileSync(join(dir, 'issuing.pem'), toPem('CERTIFICATE', cd.server.hierarchy.issuing.certDer));
    const ocspUrl = /OCSP - URI:(\S+)/.exec(new X509Certificate(issued.pem).infoAccess ?? '')![1]!;
    const o = await run('openssl', [
      'ocsp',
      '-issuer',
      join(dir, 'issuing.pem'),
      '-cert',
      join(dir, 'leaf.pem'),
      '-url',
      ocspUrl,
      '-CAfile',
      join(dir, 'root.pem'),
    ]);
    assert.match(o.stdout, /: revoked/);
    assert.match(o.stdout, /Reason: superseded/);
    // The order stays valid and its certificate downloadable (RFC 8555 §7.6 leaves both).
    const order = await client.post(issued.orderUrl, '');
    assert.equal(order.body.status, 'valid');
    assert.equal((await client.post(order.body.certificate, '')).status, 200);
  });

  test('`certdesk admin audit list` names the ACME account as who ordered, finalized and revoked', async () => {
    const events = await runCliJson<AuditEvent[]>(
      ['admin', 'audit', 'list', '--account', String(accountId), ...cd.storeArgs],
      cd.storeEnv,
    );
    const urlId = client.kid!.slice(client.kid!.lastIndexOf('/') + 1);
    const orderUrlId = issued.orderUrl.slice(issued.orderUrl.lastIndexOf('/') + 1);
    const serial = new X509Certificate(issued.pem).serialNumber.toUpperCase();
    const find = (kind: string, pred: (e: AuditEvent) => boolean) => {
      const e = events.find((x) => x.kind === kind && pred(x));
      assert.ok(e, `${kind} in ${JSON.stringify(events.map((x) => [x.kind, x.actor.kind]))}`);
      return e;
    };
    const submitted = find('order.submitted', (e) => e.detail.acmeOrder === orderUrlId);
    const issuedEvent = find('certificate.issued', (e) => String(e.detail.serial).toUpperCase() === serial);
    const revoked = find('certificate.revoked', (e) => String(e.detail.serial).toUpperCase() === serial);
    assert.equal(issuedEvent.orderId, submitted.orderId);
    for (const e of [submitted, issuedEvent, revoked]) {
      assert.deepEqual(
        { kind: e.actor.kind, id: e.actor.id },
        { kind: 'acme_account', id: urlId },
        `${e.kind} is the ACME account's`,
      );
      assert.match(e.actor.remoteAddress ?? '', /127\.0\.0\.1/);
    }
    assert.deepEqual(submitted.detail.names, [new X509Certificate(issued.pem).subjectAltName!.replace(/^DNS:/, '')]);
    assert.equal(revoked.detail.reasonCode, 4);
  });

  test('EAB credentials made and revoked are in the audit trail, by who did it, without their MAC key', async () => {
    const events = await runCliJson<AuditEvent[]>(
      ['admin', 'audit', 'list', '--account', String(accountId), ...cd.storeArgs],
      cd.storeEnv,
    );
    const eab = (kind: string, keyId: string) => {
      const e = events.find((x) => x.kind === kind && x.detail.keyId === keyId);
      assert.ok(e, `${kind} ${keyId} in ${JSON.stringify(events.map((x) => [x.kind, x.detail.keyId]))}`);
      return e;
    };
    const cliMade = eab('acme_eab.created', eabMade.cli.KeyId);
    assert.deepEqual(cliMade.detail, {
      keyId: eabMade.cli.KeyId,
      productCode: 'digicert-free-1-free',
      maxAccounts: 2,
      expiresAt: null,
    });
    assert.equal(cliMade.actor.kind, 'operator');
    assert.match(cliMade.actor.id ?? '', /^cli:/);
    assert.match(eab('acme_eab.revoked', eabMade.cli.KeyId).actor.id ?? '', /^cli:/);
    for (const kind of ['acme_eab.created', 'acme_eab.revoked']) {
      const e = eab(kind, eabMade.api.KeyId);
      assert.deepEqual({ kind: e.actor.kind, id: e.actor.id }, { kind: 'operator', id: 'api' }, kind);
      assert.match(e.actor.remoteAddress ?? '', /127\.0\.0\.1/);
      assert.equal(e.accountId, accountId);
    }
    // The kinds filter of `audit list` knows them, and no entry holds a MAC key.
    const revokedOnly = await runCliJson<AuditEvent[]>(
      ['admin', 'audit', 'list', '--account', String(accountId), '--kind', 'acme_eab.revoked', ...cd.storeArgs],
      cd.storeEnv,
    );
    assert.deepEqual(revokedOnly.map((e) => e.kind).sort(), ['acme_eab.revoked', 'acme_eab.revoked']);
    const text = JSON.stringify(events);
    for (const made of [eabMade.cli, eabMade.api]) assert.ok(!text.includes(made.HmacKey), 'no MAC key in the trail');
  });
});
