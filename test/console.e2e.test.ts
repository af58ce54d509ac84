// The web console in a real browser (issue: customers and operators in Chinese and English):
// Debian's chromium driven by playwright-core, against a certdesk on loopback with the DNS
// challenge server. Sign-in by one-time link and by AccessKey; a DNS order applied for,
// published and issued; PEM and PKCS#12 downloads (the PKCS#12 opened by openssl); an OV
// order approved in the operator console; revocation; CSV export; a read-only key; another
// account's order; both languages with no missing message; axe on the main pages.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';
import type { ChallengeServer } from './challenge-server.js';
import type { Certdesk } from './support/harness.js';
import { freshDomain, startWithChallenges } from './support/orders.js';
import { runCliJson } from './support/cli.js';
import { createAccount } from '../src/accounts/accounts.js';
import { grantPlan } from '../src/accounts/plans.js';
import { addCompany } from '../src/accounts/companies.js';
import { createAccessKey } from '../src/accounts/access-keys.js';
import { allMessages } from '../src/api/console/i18n.js';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const OV_PRODUCT = 'geotrust-ov-1-personal';
const DV_PRODUCT = 'digicert-free-1-free';

let cd: Certdesk;
let cs: ChallengeServer;
let browser: Browser;
let api: string;
let admin: string;
let acct: { AccountId: number; AccessKeyId: string; AccessKeySecret: string };
let other: { AccountId: number; AccessKeyId: string; AccessKeySecret: string };
let dvOrderId = 0;
const contexts: BrowserContext[] = [];

async function newPage(locale = 'en-US'): Promise<Page> {
  const context = await browser.newContext({ locale, acceptDownloads: true });
  contexts.push(context);
  return context.newPage();
}

async function signInWithKey(id: string, secret: string, locale = 'en-US'): Promise<Page> {
  const page = await newPage(locale);
  await page.goto(`${api}/console/sign-in`);
  await page.fill('#ak', id);
  await page.fill('#sk', secret);
  await page.click('main button[type=submit]');
  await page.waitForURL(`${api}/console/`);
  return page;
}

async function orderIdOf(page: Page): Promise<number> {
  await page.waitForURL(/\/console\/orders\/\d+$/);
  return Number(/\/orders\/(\d+)$/.exec(page.url())![1]);
}

/** Applies through the form, publishes the TXT record the order page shows, returns the order id. */
async function applyAndPublish(page: Page, productCode: string, domain: string): Promise<number> {
  await page.goto(`${api}/console/apply`);
  await page.selectOption('#ProductCode', productCode);
  await page.fill('#Domain', domain);
  await page.check('input[name=ValidateType][value=DNS]');
  await page.fill('#Username', 'Console Tester');
  await page.fill('#Phone', '13900001111');
  await page.fill('#Email', 'tester@example.com');
  await page.click('button[name=do][value=check]');
  assert.match((await page.textContent('.notice')) ?? '', new RegExp(domain.replace(/\./g, '\\.')));
  await page.click('button[name=do][value=apply]');
  const orderId = await orderIdOf(page);
  const name = (await page.textContent('[data-field=txt-name]'))!.trim();
  const value = (await page.textContent('[data-field=txt-value]'))!.trim();
  assert.equal(name, `_dnsauth.${domain}`);
  // The live check shows what certdesk's resolver sees: nothing yet, then the value.
  await page.click('#live-h + p a');
  await page.waitForSelector('#live table');
  assert.match((await page.textContent('#live')) ?? '', /\(none\)/);
  cs.setTxt(name, [value]);
  await page.click('#live-h + p a');
  await page.waitForFunction((v) => document.querySelector('#live')?.textContent?.includes(v), value);
  return orderId;
}

/** htmx polls the order body until the order settles; wait for the state. */
async function waitForState(page: Page, state: string, timeout = 45_000): Promise<void> {
  await page.waitForSelector(`[data-field=state][data-state=${state}]`, { timeout });
}

before(async () => {
  assert.ok(
    existsSync(CHROMIUM),
    `${CHROMIUM} is missing: run \`bash scripts/setup-system.sh\` (installs chromium and fonts-wqy-microhei)`,
  );
  ({ cd, cs } = await startWithChallenges());
  api = cd.server.apiUrl;
  admin = cd.server.adminUrl;
  acct = await createAccount(cd.ctx.accounts, 'Console Customer');
  other = await createAccount(cd.ctx.accounts, 'Someone Else');
  for (const [productCode, count] of [
    [DV_PRODUCT, 5],
    [OV_PRODUCT, 2],
  ] as const)
    await grantPlan(cd.ctx.accounts, { accountId: acct.AccountId, productCode, count, expiresAt: null });
  await addCompany(cd.ctx.accounts, acct.AccountId, { name: 'Console Co', country: 'CN', city: 'Hangzhou' });
  // Playwright starts chromium with a fresh temporary --user-data-dir of its own.
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
});

after(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  await browser?.close();
  await cd?.close();
  await cs?.close();
});

test('a one-time link from `certdesk admin account console-link` signs in once', async () => {
  const { Url } = await runCliJson<{ Url: string }>(
    ['admin', 'account', 'console-link', '--account', String(acct.AccountId), '--console-url', api, ...cd.storeArgs],
    cd.storeEnv,
  );
  assert.match(Url, new RegExp(`^${api}/console/sign-in/link\\?token=[A-Za-z0-9]{43}$`));
  const page = await newPage();
  await page.goto(Url);
  await page.click('main button[type=submit]');
  await page.waitForURL(`${api}/console/`);
  assert.equal(await page.textContent('h1'), 'Overview');
  const cookies = await page.context().cookies();
  const session = cookies.find((c) => c.name === 'cd_session')!;
  assert.equal(session.httpOnly, true);
  assert.equal(session.sameSite, 'Strict');
  // Used once: a second browser gets a refusal.
  const again = await newPage();
  await again.goto(Url);
  const [res] = await Promise.all([
    again.waitForResponse((r) => r.request().method() === 'POST'),
    again.click('main button[type=submit]'),
  ]);
  assert.equal(res.status(), 403);
  assert.match((await again.textContent('.error')) ?? '', /Forbidden/);
});

test('sign-in by AccessKey, apply for a DNS order, publish, issued, downloads, revoke, CSV', async () => {
  const wrong = await newPage();
  await wrong.goto(`${api}/console/sign-in`);
  await wrong.fill('#ak', acct.AccessKeyId);
  await wrong.fill('#sk', 'not-the-secret');
  await wrong.click('main button[type=submit]');
  assert.match((await wrong.textContent('.error')) ?? '', /Forbidden/);

  const page = await signInWithKey(acct.AccessKeyId, acct.AccessKeySecret);
  assert.equal(await page.textContent(`tr[data-product="${DV_PRODUCT}"] [data-field=total]`), '5');
  const domain = freshDomain('console');
  dvOrderId = await applyAndPublish(page, DV_PRODUCT, domain);
  await waitForState(page, 'certificate');
  const serial = (await page.textContent('[data-field=serial]'))!.trim();
  assert.match(serial, /^[0-9A-F]+$/);

  const base = `${api}/console/orders/${dvOrderId}`;
  const full = await (await page.request.get(`${base}/fullchain.pem`)).text();
  assert.ok((full.match(/-----BEGIN CERTIFICATE-----/g) ?? []).length >= 2, 'leaf and chain');
  const leaf = await (await page.request.get(`${base}/certificate.pem`)).text();
  assert.equal((leaf.match(/-----BEGIN CERTIFICATE-----/g) ?? []).length, 1);
  const key = await page.request.get(`${base}/key.pem`);
  assert.equal(key.status(), 200);
  assert.match(await key.text(), /-----BEGIN PRIVATE KEY-----/);

  await page.fill('#p12pw', 'tomcat-Pass1');
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.click('form[action$="certificate.p12"] button'),
  ]);
  const p12 = await download.path();
  const opened = execFileSync('openssl', ['pkcs12', '-in', p12, '-passin', 'pass:tomcat-Pass1', '-nodes'], {
    encoding: 'utf8',
  });
  assert.match(opened, /-----BEGIN CERTIFICATE-----/);
  assert.match(opened, /-----BEGIN PRIVATE KEY-----/);
  assert.match(opened, new RegExp(`subject=.*${domain.replace(/\./g, '\\.')}`));
  assert.throws(() =>
    execFileSync('openssl', ['pkcs12', '-in', p12, '-passin', 'pass:wrong', '-nodes'], { stdio: 'pipe' }),
  );

  await page.selectOption('#reason', 'keyCompromise');
  await page.click('form[action$="/revoke"] button');
  await page.waitForSelector('[data-field=revoked]');
  assert.match((await page.textContent('[data-field=revoked]')) ?? '', /Key compromise/);
  assert.equal(await page.getAttribute('[data-field=state]', 'data-state'), 'revoked');

  const csv = await (await page.request.get(`${api}/console/certificates.csv`)).text();
  const lines = csv.trimEnd().split('\r\n');
  assert.deepEqual(lines[0]!.split(','), [
    'OrderId',
    'Domains',
    'ProductCode',
    'Status',
    'NotBefore',
    'NotAfter',
    'Serial',
    'CreatedAt',
  ]);
  const row = lines.map((l) => l.split(',')).find((f) => f[0] === String(dvOrderId));
  assert.ok(row, 'the order is in the export');
  assert.equal(row[1], domain);
  assert.equal(row[3], 'REVOKED');
  assert.equal(row[6], serial);
  const revokedOnly = await (await page.request.get(`${api}/console/certificates?Status=REVOKED`)).text();
  assert.match(revokedOnly, new RegExp(`data-order="${dvOrderId}"`));
});

test('an OV order waits for review, is approved in the operator console, then issued', async () => {
  const page = await signInWithKey(acct.AccessKeyId, acct.AccessKeySecret);
  const orderId = await applyAndPublish(page, OV_PRODUCT, freshDomain('console-ov'));
  await waitForState(page, 'process');

  const token = readFileSync(join(cd.dataDir, 'admin-token'), 'utf8').trim();
  const op = await newPage();
  await op.goto(`${admin}/console/`);
  await op.waitForURL(`${admin}/console/sign-in`);
  await op.fill('#tok', 'wrong-token');
  await op.click('main button[type=submit]');
  assert.match((await op.textContent('.error')) ?? '', /Forbidden/);
  await op.goto(`${admin}/console/sign-in`);
  await op.fill('#tok', token);
  await op.click('main button[type=submit]');
  await op.waitForURL(`${admin}/console/`);
  await op.click(`tr[data-order="${orderId}"] form[action$="/approve"] button`);
  await op.waitForSelector('.notice');
  assert.equal(await op.locator(`tr[data-order="${orderId}"]`).count(), 0);
  await waitForState(page, 'certificate');
});

test('a read-only key gets a read-only console; a forged POST is refused', async () => {
  const ro = await createAccessKey(cd.ctx.accounts, acct.AccountId, 'Describe*,List*,Get*');
  const page = await signInWithKey(ro.AccessKeyId, ro.AccessKeySecret);
  assert.equal(await page.locator('a[href="/console/apply"]').count(), 0);
  assert.ok(await page.locator('.notice').isVisible());
  const form = await page.goto(`${api}/console/apply`);
  assert.equal(form!.status(), 403);
  assert.match((await page.textContent('.error')) ?? '', /Forbidden\.RAM/);
  await page.goto(`${api}/console/orders/${dvOrderId}`);
  assert.equal(await page.locator('form[action$="/revoke"]').count(), 0);

  const before = await (await page.request.get(`${api}/console/certificates.csv`)).text();
  const fields = { ProductCode: DV_PRODUCT, Domain: freshDomain('forged'), ValidateType: 'DNS' };
  // No CSRF token: refused whatever the key may do.
  const full = await signInWithKey(acct.AccessKeyId, acct.AccessKeySecret);
  for (const p of [page, full]) {
    const r = await p.request.post(`${api}/console/apply`, { form: { ...fields, do: 'apply' } });
    assert.equal(r.status(), 403);
  }
  // A token from another site's page: refused by Origin even with the session's token.
  const csrf = await full.getAttribute('input[name=_csrf]', 'value');
  const cross = await full.request.post(`${api}/console/apply`, {
    form: { ...fields, do: 'apply', _csrf: csrf! },
    headers: { origin: 'https://attacker.example' },
  });
  assert.equal(cross.status(), 403);
  // The read-only key with its own token: refused by policy.
  const roCsrf = await page.getAttribute('input[name=_csrf]', 'value');
  const denied = await page.request.post(`${api}/console/apply`, { form: { ...fields, do: 'apply', _csrf: roCsrf! } });
  assert.equal(denied.status(), 403);
  const afterCsv = await (await page.request.get(`${api}/console/certificates.csv`)).text();
  assert.equal(afterCsv, before, 'no order was made');
});

test("another account's order id is not found", async () => {
  const page = await signInWithKey(other.AccessKeyId, other.AccessKeySecret);
  const r = await page.goto(`${api}/console/orders/${dvOrderId}`);
  assert.equal(r!.status(), 404);
  assert.match((await page.textContent('.error')) ?? '', /NotFound/);
  const pem = await page.request.get(`${api}/console/orders/${dvOrderId}/certificate.pem`);
  assert.equal(pem.status(), 404);
});

test('zh-CN and en pages render with no missing message, and axe finds no serious violation', async () => {
  const keys = [...new Set(allMessages().map((m) => m.key))];
  const page = await signInWithKey(acct.AccessKeyId, acct.AccessKeySecret, 'zh-CN');
  assert.equal(await page.getAttribute('html', 'lang'), 'zh-CN', 'Accept-Language chooses zh-CN');
  const pages = [
    '/console/',
    '/console/apply',
    '/console/certificates',
    `/console/orders/${dvOrderId}`,
    '/console/keys',
    '/console/contacts',
    '/console/companies',
    '/console/webhooks',
    '/console/calendar',
  ];
  for (const lang of ['zh-CN', 'en'] as const) {
    for (const path of pages) {
      await page.goto(`${api}${path}?lang=${lang}`);
      assert.equal(await page.getAttribute('html', 'lang'), lang, path);
      const text = await page.innerText('body');
      const stray = keys.filter((k) => text.includes(k));
      assert.deepEqual(stray, [], `${lang} ${path} shows message keys`);
      assert.equal(/[\u4e00-\u9fff]/.test(await page.innerText('main h1')), lang === 'zh-CN', `${lang} ${path} title`);
      const axe = await new AxeBuilder({ page }).analyze();
      const serious = axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
      assert.deepEqual(
        serious.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join('; ')}`),
        [],
        `${lang} ${path}`,
      );
    }
  }
});

test('the expiry calendar lists valid certificates and its ICS feed opens without a session', async () => {
  const page = await signInWithKey(acct.AccessKeyId, acct.AccessKeySecret);
  await page.goto(`${api}/console/calendar`);
  const href = (await page.getAttribute('[data-field=ics]', 'href'))!;
  assert.match(href, new RegExp(`^/console/calendar/${acct.AccountId}-[A-Za-z0-9_-]{43}\\.ics$`));
  const feed = await fetch(`${api}${href}`);
  assert.equal(feed.status, 200);
  assert.match(feed.headers.get('content-type')!, /^text\/calendar/);
  const ics = await feed.text();
  assert.match(ics, /^BEGIN:VCALENDAR\r\n/);
  assert.match(ics, /\r\nBEGIN:VEVENT\r\nUID:certificate-\d+@/, 'the OV certificate issued above');
  const forged = href.replace(/-[A-Za-z0-9_-]{43}\.ics$/, `-${'A'.repeat(43)}.ics`);
  assert.equal((await fetch(`${api}${forged}`)).status, 404);
});
