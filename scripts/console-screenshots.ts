// Regenerates docs/console/*.png: the console's main pages in English and Chinese, from a
// certdesk on loopback with a few orders (one issued, one waiting for DNS validation).
//   node --import tsx scripts/console-screenshots.ts   (needs /usr/bin/chromium: scripts/setup-system.sh)
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { startWithChallenges, freshDomain } from '../test/support/orders.js';
import { createAccount } from '../src/accounts/accounts.js';
import { grantPlan } from '../src/accounts/plans.js';
import { addCompany } from '../src/accounts/companies.js';
import { addContact } from '../src/accounts/contacts.js';
import { createAccessKey } from '../src/accounts/access-keys.js';

const OUT = new URL('../docs/console/', import.meta.url).pathname;
mkdirSync(OUT, { recursive: true });
const { cd, cs } = await startWithChallenges();
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking'],
});
try {
  const api = cd.server.apiUrl;
  const acct = await createAccount(cd.ctx.accounts, 'Example Ltd');
  await grantPlan(cd.ctx.accounts, {
    accountId: acct.AccountId,
    productCode: 'digicert-free-1-free',
    count: 20,
    expiresAt: null,
  });
  await grantPlan(cd.ctx.accounts, {
    accountId: acct.AccountId,
    productCode: 'geotrust-ov-1-personal',
    count: 5,
    expiresAt: null,
  });
  await addCompany(cd.ctx.accounts, acct.AccountId, { name: 'Example Ltd', country: 'CN', city: 'Hangzhou' });
  await addContact(cd.ctx.accounts, acct.AccountId, {
    name: 'Li Lei',
    email: 'lilei@example.com',
    mobile: '13900001111',
    webhooks: ['https://hooks.example.com/certdesk'],
  });
  await createAccessKey(cd.ctx.accounts, acct.AccountId, 'Describe*,List*,Get*');
  const context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
  const page = await context.newPage();
  await page.goto(`${api}/console/sign-in?lang=en`);
  await page.fill('#ak', acct.AccessKeyId);
  await page.fill('#sk', acct.AccessKeySecret);
  await page.click('main button[type=submit]');
  await page.waitForURL(`${api}/console/`);
  const apply = async (product: string, domain: string, publish: boolean) => {
    await page.goto(`${api}/console/apply`);
    await page.selectOption('#ProductCode', product);
    await page.fill('#Domain', domain);
    await page.fill('#Username', 'Li Lei');
    await page.fill('#Phone', '13900001111');
    await page.fill('#Email', 'lilei@example.com');
    await page.click('button[name=do][value=apply]');
    await page.waitForURL(/\/orders\/\d+$/);
    const id = Number(/(\d+)$/.exec(page.url())![1]);
    if (publish) {
      cs.setTxt((await page.textContent('[data-field=txt-name]'))!, [
        (await page.textContent('[data-field=txt-value]'))!,
      ]);
      await page.waitForSelector('[data-state=certificate], [data-state=process]', { timeout: 60_000 });
    }
    return id;
  };
  const issued = await apply('digicert-free-1-free', freshDomain('www'), true);
  await apply('digicert-free-1-free', freshDomain('shop'), true);
  const waiting = await apply('digicert-free-1-free', freshDomain('api'), false);
  await apply('geotrust-ov-1-personal', freshDomain('corp'), true);
  for (const lang of ['en', 'zh-CN'] as const) {
    const shot = async (path: string, name: string) => {
      await page.goto(`${api}${path}?lang=${lang}`);
      await page.screenshot({ path: join(OUT, `${name}-${lang}.png`), fullPage: true });
    };
    await shot('/console/', 'overview');
    await shot('/console/apply', 'apply');
    await shot('/console/certificates', 'certificates');
    await shot(`/console/orders/${waiting}`, 'order-dns');
    await shot(`/console/orders/${issued}`, 'order-issued');
    await shot('/console/calendar', 'calendar');
    await shot('/console/keys', 'keys');
    await shot('/console/contacts', 'contacts');
    await shot('/console/webhooks', 'webhooks');
  }
  const op = await (await browser.newContext({ viewport: { width: 1200, height: 800 } })).newPage();
  await op.goto(`${cd.server.adminUrl}/console/sign-in`);
  await op.fill('#tok', readFileSync(join(cd.dataDir, 'admin-token'), 'utf8').trim());
  await op.click('main button[type=submit]');
  for (const lang of ['en', 'zh-CN'] as const) {
    await op.goto(`${cd.server.adminUrl}/console/?lang=${lang}`);
    await op.screenshot({ path: join(OUT, `operator-review-${lang}.png`), fullPage: true });
    await op.goto(`${cd.server.adminUrl}/console/accounts/${acct.AccountId}?lang=${lang}`);
    await op.screenshot({ path: join(OUT, `operator-account-${lang}.png`), fullPage: true });
    await op.goto(`${cd.server.adminUrl}/console/ca?lang=${lang}`);
    await op.screenshot({ path: join(OUT, `operator-ca-${lang}.png`), fullPage: true });
  }
} finally {
  await browser.close();
  await cd.close();
  await cs.close();
}
