// The console's account pages in a real browser (Debian's chromium through playwright-core):
// the audit trail names who acted in the console (the AccessKey, the account of a one-time
// link, the operator) instead of certdesk itself; AccessKeys made (secret shown once, never
// logged), disabled, enabled and deleted under the session key's action policy; contacts and
// companies added, edited and removed with the API's errors.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { ChallengeServer } from './challenge-server.js';
import type { Certdesk } from './support/harness.js';
import { freshDomain, startWithChallenges } from './support/orders.js';
import { grantPlan } from '../src/accounts/plans.js';
import { CRL_REVOCATION_DELAY_MS } from '../src/status/publish-crl.js';
import { runCliJson } from './support/cli.js';
import { createJsonLogger } from '../src/app/logger.js';
import { createAccount } from '../src/accounts/accounts.js';
import { createAccessKey, listAccessKeys } from '../src/accounts/access-keys.js';
import type { AuditEvent } from '../src/domain/audit.js';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'];

let cd: Certdesk;
let cs: ChallengeServer;
let browser: Browser;
let api: string;
let admin: string;
let adminToken: string;
let acct: { AccountId: number; AccessKeyId: string; AccessKeySecret: string };
let other: { AccountId: number; AccessKeyId: string; AccessKeySecret: string };
const logLines: string[] = [];
const contexts: BrowserContext[] = [];

async function newPage(locale = 'en-US'): Promise<Page> {
  const context = await browser.newContext({ locale });
  contexts.push(context);
  return context.newPage();
}

async function signInWithKey(id: string, secret: string): Promise<Page> {
  const page = await newPage();
  await page.goto(`${api}/console/sign-in`);
  await page.fill('#ak', id);
  await page.fill('#sk', secret);
  await page.click('main button[type=submit]');
  await page.waitForURL(`${api}/console/`);
  return page;
}

async function signInWithLink(accountId: number): Promise<Page> {
  const { Url } = await runCliJson<{ Url: string }>(
    ['admin', 'account', 'console-link', '--account', String(accountId), '--console-url', api, ...cd.storeArgs],
    cd.storeEnv,
  );
  const page = await newPage();
  await page.goto(Url);
  await page.click('main button[type=submit]');
  await page.waitForURL(`${api}/console/`);
  return page;
}

async function signInOperator(): Promise<Page> {
  const op = await newPage();
  await op.goto(`${admin}/console/sign-in`);
  await op.fill('#tok', adminToken);
  await op.click('main button[type=submit]');
  await op.waitForURL(`${admin}/console/`);
  return op;
}

function auditCli(accountId: number, kind: string): Promise<AuditEvent[]> {
  return runCliJson<AuditEvent[]>(
    ['admin', 'audit', 'list', '--account', String(accountId), '--kind', kind, ...cd.storeArgs],
    cd.storeEnv,
  );
}

async function auditApi(accountId: number, kind: string): Promise<AuditEvent[]> {
  const r = await fetch(`${admin}/v1/audit?account=${accountId}&kind=${kind}`, {
    headers: { authorization: `Bearer ${adminToken}` },
  });
  assert.equal(r.status, 200);
  const body = (await r.json()) as { Events?: AuditEvent[] } | AuditEvent[];
  return Array.isArray(body) ? body : (body.Events ?? []);
}

before(async () => {
  ({ cd, cs } = await startWithChallenges({}, { logger: createJsonLogger('debug', (l) => logLines.push(l)) }));
  api = cd.server.apiUrl;
  admin = cd.server.adminUrl;
  adminToken = readFileSync(join(cd.dataDir, 'admin-token'), 'utf8').trim();
  acct = await createAccount(cd.ctx.accounts, 'Manage Customer');
  other = await createAccount(cd.ctx.accounts, 'Other Customer');
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
});

after(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  await browser?.close();
  await cd?.close();
  await cs?.close();
});

test('an AccessKey made in the console: secret shown once, never logged, audited as the session key', async () => {
  const page = await signInWithKey(acct.AccessKeyId, acct.AccessKeySecret);
  await page.goto(`${api}/console/keys`);
  await page.fill('#Policy', 'Describe*,List*,Get*');
  await page.click('form[action="/console/keys"] button');
  const id = (await page.textContent('[data-field=new-key-id]'))!.trim();
  const secret = (await page.textContent('[data-field=new-key-secret]'))!.trim();
  assert.match(id, /^[A-Za-z0-9]{16,}$/);
  assert.ok(secret.length >= 20);
  // Never again: not on the list, not in the log, not in the audit trail.
  await page.goto(`${api}/console/keys`);
  assert.equal(await page.locator(`tr[data-key="${id}"]`).count(), 1);
  assert.ok(!(await page.content()).includes(secret));
  assert.ok(!logLines.join('\n').includes(secret), 'the secret is not logged');
  const events = await auditCli(acct.AccountId, 'access_key.created');
  const made = events.find((e) => e.detail.accessKeyId === id);
  assert.ok(made, 'the creation is audited');
  assert.deepEqual([made.actor.kind, made.actor.id], ['access_key', acct.AccessKeyId]);
  assert.equal(made.actor.remoteAddress, '127.0.0.1');
  assert.ok(!JSON.stringify(events).includes(secret));
  const viaApi = (await auditApi(acct.AccountId, 'access_key.created')).find((e) => e.detail.accessKeyId === id);
  assert.equal(viaApi?.actor.kind, 'access_key');

  // The new (read-only) key signs in, and gets a console that cannot manage keys.
  const ro = await signInWithKey(id, secret);
  await ro.goto(`${api}/console/keys`);
  assert.equal(await ro.locator('form[action="/console/keys"]').count(), 0);
  assert.equal(await ro.locator(`form[action$="/delete"]`).count(), 0);
  const roCsrf = (await ro.getAttribute('input[name=_csrf]', 'value'))!;
  const denied = await ro.request.post(`${api}/console/keys`, { form: { _csrf: roCsrf } });
  assert.equal(denied.status(), 403);
  assert.match(await denied.text(), /Forbidden\.RAM/);
  const deniedDelete = await ro.request.post(`${api}/console/keys/${acct.AccessKeyId}/delete`, {
    form: { _csrf: roCsrf },
  });
  assert.equal(deniedDelete.status(), 403);
  // A forged POST (no token; or another site's Origin) is refused for a full key too.
  const csrf = (await page.getAttribute('input[name=_csrf]', 'value'))!;
  assert.equal((await page.request.post(`${api}/console/keys`, { form: {} })).status(), 403);
  const cross = await page.request.post(`${api}/console/keys/${id}/disable`, {
    form: { _csrf: csrf },
    headers: { origin: 'https://attacker.example' },
  });
  assert.equal(cross.status(), 403);
  const keysAfter = await listAccessKeys(cd.ctx.accounts, acct.AccountId);
  assert.equal(keysAfter.length, 2, 'nothing was made or removed by the refused requests');
  assert.ok(keysAfter.every((k) => k.enabled));
});

test('disable, enable and delete a key; a key of another account is not found', async () => {
  const spare = await createAccessKey(cd.ctx.accounts, acct.AccountId);
  const page = await signInWithKey(acct.AccessKeyId, acct.AccessKeySecret);
  await page.goto(`${api}/console/keys`);
  const row = `tr[data-key="${spare.AccessKeyId}"]`;
  await page.click(`${row} form[action$="/disable"] button`);
  await page.waitForURL(`${api}/console/keys`);
  assert.match((await page.textContent(`${row} [data-field=status]`)) ?? '', /Disabled/);
  // The disabled key cannot sign in.
  const refused = await newPage();
  await refused.goto(`${api}/console/sign-in`);
  await refused.fill('#ak', spare.AccessKeyId);
  await refused.fill('#sk', spare.AccessKeySecret);
  await refused.click('main button[type=submit]');
  assert.match((await refused.textContent('.error')) ?? '', /InvalidAccessKeyId.Inactive/);
  await page.click(`${row} form[action$="/enable"] button`);
  await page.waitForURL(`${api}/console/keys`);
  assert.match((await page.textContent(`${row} [data-field=status]`)) ?? '', /Enabled/);
  await page.click(`${row} form[action$="/delete"] button`);
  await page.waitForURL(`${api}/console/keys`);
  assert.equal(await page.locator(row).count(), 0);
  const kinds = (
    await runCliJson<AuditEvent[]>(
      ['admin', 'audit', 'list', '--account', String(acct.AccountId), ...cd.storeArgs],
      cd.storeEnv,
    )
  )
    .filter((e) => e.detail.accessKeyId === spare.AccessKeyId && e.kind !== 'access_key.created')
    .map((e) => `${e.kind} ${e.actor.kind}:${e.actor.id}`);
  assert.deepEqual(kinds, [
    `access_key.deleted access_key:${acct.AccessKeyId}`,
    `access_key.enabled access_key:${acct.AccessKeyId}`,
    `access_key.disabled access_key:${acct.AccessKeyId}`,
  ]);

  const csrf = (await page.getAttribute('input[name=_csrf]', 'value'))!;
  const foreign = await page.request.post(`${api}/console/keys/${other.AccessKeyId}/disable`, {
    form: { _csrf: csrf },
  });
  assert.equal(foreign.status(), 404);
  assert.equal((await listAccessKeys(cd.ctx.accounts, other.AccountId))[0]!.enabled, true);
});

test('a one-time link session acts as the account; the operator console acts as the operator', async () => {
  const page = await signInWithLink(other.AccountId);
  await page.goto(`${api}/console/keys`);
  await page.click('form[action="/console/keys"] button');
  const id = (await page.textContent('[data-field=new-key-id]'))!.trim();
  const made = (await auditCli(other.AccountId, 'access_key.created')).find((e) => e.detail.accessKeyId === id);
  assert.deepEqual([made?.actor.kind, made?.actor.id], ['account', String(other.AccountId)]);

  const op = await signInOperator();
  await op.goto(`${admin}/console/accounts`);
  await op.fill(`#n-${other.AccountId}`, '3');
  await op.click(`tr[data-account="${other.AccountId}"] form[action$="/plans"] button`);
  await op.waitForSelector('.notice');
  const granted = await auditApi(other.AccountId, 'plan.granted');
  assert.equal(granted.length, 1);
  assert.deepEqual([granted[0]!.actor.kind, granted[0]!.actor.id], ['operator', 'console']);
});

test('contacts and companies: added, edited and removed with the API checks; read-only keys change none', async () => {
  const page = await signInWithKey(acct.AccessKeyId, acct.AccessKeySecret);
  await page.goto(`${api}/console/contacts`);
  await page.fill('#f-Name', 'Li Lei');
  await page.fill('#f-Email', 'lilei@example.com');
  await page.fill('#f-Mobile', '13800001111');
  await page.fill('#f-Webhooks', 'https://hooks.example.com/certdesk');
  await page.click('#record-form button[type=submit]');
  await page.waitForURL(`${api}/console/contacts`);
  const row = page.locator('tr[data-record]').filter({ hasText: 'Li Lei' });
  assert.equal(await row.locator('[data-field=webhooks]').textContent(), 'https://hooks.example.com/certdesk');
  const contactId = Number(await row.getAttribute('data-record'));

  // The API's check, the API's code; nothing changes.
  await row.locator('a[data-action=edit]').click();
  assert.equal(await page.inputValue('#f-Name'), 'Li Lei');
  await page.fill('#f-Mobile', 'not a phone');
  const [bad] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST'),
    page.click('#record-form button[type=submit]'),
  ]);
  assert.equal(bad.status(), 400);
  assert.match((await page.textContent('.error')) ?? '', /Mobile is not a valid phone number\. \(InvalidParameter\)/);
  assert.equal(await page.inputValue('#f-Mobile'), 'not a phone', 'what was typed is kept');
  await page.fill('#f-Mobile', '13800002222');
  await page.fill('#f-Webhooks', '');
  await page.click('#record-form button[type=submit]');
  await page.waitForURL(`${api}/console/contacts`);
  assert.equal(await row.locator('[data-field=mobile]').textContent(), '13800002222');
  assert.equal(await row.locator('[data-field=webhooks]').textContent(), '');

  await page.goto(`${api}/console/companies`);
  await page.fill('#f-Name', 'Example Ltd');
  await page.fill('#f-Country', 'C1');
  await page.click('#record-form button[type=submit]');
  assert.match((await page.textContent('.error')) ?? '', /two-letter ISO 3166-1 code/);
  await page.fill('#f-Country', 'cn');
  await page.fill('#f-City', 'Shanghai');
  await page.click('#record-form button[type=submit]');
  await page.waitForURL(`${api}/console/companies`);
  const company = page.locator('tr[data-record]').filter({ hasText: 'Example Ltd' });
  assert.equal(await company.locator('[data-field=country]').textContent(), 'CN');
  await company.locator('a[data-action=edit]').click();
  await page.fill('#f-City', 'Hangzhou');
  await page.click('#record-form button[type=submit]');
  await page.waitForURL(`${api}/console/companies`);
  assert.equal(await company.locator('[data-field=city]').textContent(), 'Hangzhou');

  // Another account cannot touch them; a read-only key sees no form and is refused.
  const stranger = await signInWithKey(other.AccessKeyId, other.AccessKeySecret);
  await stranger.goto(`${api}/console/contacts`);
  const sCsrf = (await stranger.getAttribute('input[name=_csrf]', 'value'))!;
  const foreign = await stranger.request.post(`${api}/console/contacts/${contactId}/delete`, {
    form: { _csrf: sCsrf },
  });
  assert.equal(foreign.status(), 404);
  const ro = await createAccessKey(cd.ctx.accounts, acct.AccountId, 'Describe*,List*,Get*');
  const roPage = await signInWithKey(ro.AccessKeyId, ro.AccessKeySecret);
  await roPage.goto(`${api}/console/contacts`);
  assert.equal(await roPage.locator('#record-form').count(), 0);
  assert.equal(await roPage.locator('form[action$="/delete"]').count(), 0);
  const roCsrf = (await roPage.getAttribute('input[name=_csrf]', 'value'))!;
  const denied = await roPage.request.post(`${api}/console/contacts/${contactId}/delete`, { form: { _csrf: roCsrf } });
  assert.equal(denied.status(), 403);
  assert.equal(await page.request.post(`${api}/console/contacts/${contactId}/delete`).then((r) => r.status()), 403);
  await page.goto(`${api}/console/contacts`);
  assert.equal(await page.locator(`tr[data-record="${contactId}"]`).count(), 1, 'still there');

  await page.click(`tr[data-record="${contactId}"] form[action$="/delete"] button`);
  await page.waitForURL(`${api}/console/contacts`);
  assert.equal(await page.locator(`tr[data-record="${contactId}"]`).count(), 0);
  await page.goto(`${api}/console/companies`);
  await company.locator('form[action$="/delete"] button').click();
  await page.waitForURL(`${api}/console/companies`);
  assert.equal(await company.count(), 0);
});

test('webhooks: a test notice goes through the outbox to a loopback receiver, and shows as delivered', async () => {
  const received: Array<{ headers: IncomingHttpHeaders; body: string }> = [];
  const receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  try {
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/certdesk-hook`;
    const page = await signInWithKey(acct.AccessKeyId, acct.AccessKeySecret);
    await page.goto(`${api}/console/webhooks`);
    assert.equal(await page.locator('tr[data-target]').count(), 0);
    await page.goto(`${api}/console/contacts`);
    await page.fill('#f-Name', 'Hook Owner');
    await page.fill('#f-Email', 'hooks@example.com');
    await page.fill('#f-Mobile', '13800003333');
    await page.fill('#f-Webhooks', url);
    await page.click('#record-form button[type=submit]');
    await page.waitForURL(`${api}/console/contacts`);

    await page.goto(`${api}/console/webhooks`);
    await page.click(`tr[data-target="${url}"] button`);
    const queued = (await page.textContent('.notice')) ?? '';
    const id = Number(/(\d+)/.exec(queued)?.[1]);
    assert.ok(id > 0, queued);
    for (let i = 0; i < 200 && received.length === 0; i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(received.length, 1, 'the receiver got the notice');
    const body = JSON.parse(received[0]!.body) as { NoticeId: number; Event: string };
    assert.equal(body.Event, 'test');
    assert.equal(body.NoticeId, id);
    assert.equal(received[0]!.headers['x-certdesk-notice-id'], String(id));
    assert.match(String(received[0]!.headers['x-certdesk-signature']), /v1=/);
    let status = '';
    for (let i = 0; i < 50 && status !== 'sent'; i++) {
      await page.goto(`${api}/console/webhooks`);
      status = (await page.textContent(`tr[data-notice="${id}"] [data-field=status]`)) ?? '';
      if (status !== 'sent') await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(status, 'sent');

    // Only the account's own targets, and not by a read-only key.
    const csrf = (await page.getAttribute('input[name=_csrf]', 'value'))!;
    const elsewhere = await page.request.post(`${api}/console/webhooks/test`, {
      form: { _csrf: csrf, Url: 'http://127.0.0.1:9/other' },
    });
    assert.equal(elsewhere.status(), 404);
    const ro = await createAccessKey(cd.ctx.accounts, acct.AccountId, 'Describe*,List*,Get*');
    const roPage = await signInWithKey(ro.AccessKeyId, ro.AccessKeySecret);
    await roPage.goto(`${api}/console/webhooks`);
    assert.equal(await roPage.locator('form[action="/console/webhooks/test"]').count(), 0);
    const roCsrf = (await roPage.getAttribute('input[name=_csrf]', 'value'))!;
    const denied = await roPage.request.post(`${api}/console/webhooks/test`, { form: { _csrf: roCsrf, Url: url } });
    assert.equal(denied.status(), 403);
    assert.equal(received.length, 1, 'nothing else was sent');
  } finally {
    receiver.close();
  }
});

test('certificate page: OCSP and CRL status as the responder and the published CRL say', async () => {
  await grantPlan(cd.ctx.accounts, {
    accountId: acct.AccountId,
    productCode: 'digicert-free-1-free',
    count: 1,
    expiresAt: null,
  });
  const page = await signInWithKey(acct.AccessKeyId, acct.AccessKeySecret);
  const domain = freshDomain('console-status');
  await page.goto(`${api}/console/apply`);
  await page.selectOption('#ProductCode', 'digicert-free-1-free');
  await page.fill('#Domain', domain);
  await page.fill('#Username', 'Status Tester');
  await page.fill('#Phone', '13900001111');
  await page.fill('#Email', 'status@example.com');
  await page.click('button[name=do][value=apply]');
  await page.waitForURL(/\/console\/orders\/\d+$/);
  const orderUrl = page.url();
  cs.setTxt((await page.textContent('[data-field=txt-name]'))!.trim(), [
    (await page.textContent('[data-field=txt-value]'))!.trim(),
  ]);
  await page.waitForSelector('[data-field=state][data-state=certificate]', { timeout: 45_000 });
  const serial = (await page.textContent('[data-field=serial]'))!.trim();
  assert.equal(await page.textContent('[data-field=crl]'), 'Not revoked: no CRL lists it.');
  assert.equal(await page.getAttribute('[data-field=ocsp]', 'data-ocsp'), 'good');
  assert.match((await page.textContent('[data-field=ocsp]')) ?? '', /^good · /);

  await page.selectOption('#reason', 'superseded');
  await page.click('form[action$="/revoke"] button');
  await page.waitForSelector('[data-field=revoked]');
  // The revocation re-signed the stored response in its own transaction: it is the one served.
  assert.equal(await page.getAttribute('[data-field=ocsp]', 'data-ocsp'), 'revoked');
  assert.match((await page.textContent('[data-field=ocsp]')) ?? '', /^revoked \(.+\) · thisUpdate \d{4}-/);
  // Until the CRL job runs (a minute after a revocation), the newest full CRL predates it.
  assert.equal(await page.getAttribute('[data-field=crl] li[data-partition="-1"]', 'data-listed'), 'false');
  assert.match((await page.textContent('[data-field=crl]')) ?? '', /not listed yet: CRL number \d+/);
  cd.clock.advance(CRL_REVOCATION_DELAY_MS + 1000);
  let listed: string | null = null;
  for (let i = 0; i < 100 && listed !== 'true'; i++) {
    await page.goto(orderUrl);
    listed = await page.getAttribute('[data-field=crl] li[data-partition="-1"]', 'data-listed');
    if (listed !== 'true') await new Promise((r) => setTimeout(r, 200));
  }
  assert.equal(listed, 'true', 'the full CRL lists it');
  const text = (await page.textContent('[data-field=crl] li[data-partition="-1"]')) ?? '';
  const crlNumber = Number(/CRL number (\d+)/.exec(text)?.[1]);

  // The published CRL says the same: the serial is on it, under that CRL number.
  const leaf = await (await page.request.get(`${orderUrl}/certificate.pem`)).text();
  const dir = mkdtempSync(join(tmpdir(), 'console-crl-'));
  writeFileSync(join(dir, 'leaf.pem'), leaf);
  const cdp = execFileSync(
    'openssl',
    ['x509', '-in', join(dir, 'leaf.pem'), '-noout', '-ext', 'crlDistributionPoints'],
    {
      encoding: 'utf8',
    },
  );
  const crlUrl = /URI:(\S+)/.exec(cdp)![1]!;
  const crl = Buffer.from(await (await fetch(crlUrl.replace(/^http:\/\/[^/]+/, api))).arrayBuffer());
  writeFileSync(join(dir, 'crl.der'), crl);
  const crlText = execFileSync('openssl', ['crl', '-inform', 'DER', '-in', join(dir, 'crl.der'), '-noout', '-text'], {
    encoding: 'utf8',
  });
  assert.match(crlText, new RegExp(`Serial Number: ${serial}`, 'i'));
  assert.match(crlText, new RegExp(`X509v3 CRL Number:\\s*\\n\\s*${crlNumber}\\b`));
});

test('operator console: an account page with plan history, keys, contacts and EAB credentials; CA OCSP freshness', async () => {
  const op = await signInOperator();
  await op.goto(`${admin}/console/accounts`);
  await op.click(`tr[data-account="${other.AccountId}"] a`);
  await op.waitForURL(`${admin}/console/accounts/${other.AccountId}`);
  // The grant made in the operator console above, and who made it.
  assert.equal(await op.textContent('td[data-field=count]'), '3');
  assert.equal(await op.textContent('td[data-field=actor]'), 'operator:console');

  await op.click(`tr[data-key="${other.AccessKeyId}"] form[action$="/disable"] button`);
  await op.waitForURL(`${admin}/console/accounts/${other.AccountId}`);
  assert.match((await op.textContent(`tr[data-key="${other.AccessKeyId}"] [data-field=status]`)) ?? '', /Disabled/);
  const disabled = (await auditApi(other.AccountId, 'access_key.disabled'))[0];
  assert.deepEqual([disabled?.actor.kind, disabled?.actor.id], ['operator', 'console']);
  await op.click(`tr[data-key="${other.AccessKeyId}"] form[action$="/enable"] button`);
  await op.waitForURL(`${admin}/console/accounts/${other.AccountId}`);

  await op.fill('#eab-max', '2');
  await op.click(`form[action$="/eab"] button`);
  const keyId = (await op.textContent('[data-field=eab-key-id]'))!.trim();
  const hmac = (await op.textContent('[data-field=eab-hmac]'))!.trim();
  assert.match(keyId, /^eab_/);
  assert.equal(Buffer.from(hmac, 'base64url').length, 32);
  await op.goto(`${admin}/console/accounts/${other.AccountId}`);
  assert.ok(!(await op.content()).includes(hmac), 'the HmacKey is shown once');
  assert.ok(!logLines.join('\n').includes(hmac), 'and never logged');
  await op.click(`tr[data-eab="${keyId}"] form[action$="/revoke"] button`);
  await op.waitForURL(`${admin}/console/accounts/${other.AccountId}`);
  assert.equal(await op.textContent(`tr[data-eab="${keyId}"] [data-field=status]`), 'Revoked');
  // Both are in the audit trail as the console's operator, without the MAC key.
  for (const kind of ['acme_eab.created', 'acme_eab.revoked']) {
    const e = (await auditApi(other.AccountId, kind)).find((x) => x.detail.keyId === keyId);
    assert.deepEqual([e?.actor.kind, e?.actor.id], ['operator', 'console'], kind);
    assert.ok(!JSON.stringify(e).includes(hmac), `${kind} holds no MAC key`);
  }
  await op.fill('#eab-max', 'many');
  const [bad] = await Promise.all([
    op.waitForResponse((r) => r.request().method() === 'POST'),
    op.click(`form[action$="/eab"] button`),
  ]);
  assert.equal(bad.status(), 400);
  assert.match((await op.textContent('.error')) ?? '', /max-accounts/);

  await op.goto(`${admin}/console/ca`);
  // The issuing CA's row (the root signs no leaf and has none): the certificate issued above
  // has a stored response, so the oldest thisUpdate is shown, and the refresh job's next run.
  const ocsp = (await op.locator('td[data-field=ocsp]', { hasText: 'stored' }).first().textContent()) ?? '';
  assert.match(ocsp, /stored: [1-9]\d* · oldest thisUpdate: \d{4}-\d\d-\d\d \d\d:\d\d UTC/);
});
