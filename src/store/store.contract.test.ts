// The store contract: every repository behaves the same on SQLite and on PostgreSQL.
// SQLite always runs; PostgreSQL runs when CERTDESK_TEST_DATABASE_URL is set (CI sets it),
// each run in a schema of its own.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Store, type StoreLocation } from './store.js';
import { dropTestSchema } from '../../test/support/pg.js';

const locations: Array<[string, () => StoreLocation]> = [];
const dir = mkdtempSync(join(tmpdir(), 'certdesk-store-'));
locations.push(['sqlite', () => ({ kind: 'sqlite', target: join(dir, `${randomBytes(4).toString('hex')}.db`) })]);
const pgUrl = process.env.CERTDESK_TEST_DATABASE_URL;
const schemas: string[] = [];
if (pgUrl) {
  locations.push(['postgres', () => {
    const schema = `t_${randomBytes(6).toString('hex')}`;
    schemas.push(schema);
    return { kind: 'postgres', target: pgUrl, postgres: { schema } };
  }]);
}

after(async () => {
  rmSync(dir, { recursive: true, force: true });
  for (const schema of schemas) await dropTestSchema(pgUrl, schema);
});

for (const [name, location] of locations) {
  describe(`store contract (${name})`, () => {
    let store: Store;
    before(async () => {
      store = await Store.open(location());
    });
    after(async () => store?.close());

    test('migrations are idempotent: opening the same store twice works', async () => {
      const loc = location();
      const s1 = await Store.open(loc);
      await s1.close();
      const s2 = await Store.open(loc);
      await s2.ping();
      await s2.close();
    });

    test('accounts and access keys round-trip with the same JS types', async () => {
      const acct = await store.repos.accounts.create('Acme', 1_700_000_000_000);
      assert.equal(typeof acct.id, 'number');
      assert.equal(acct.created_at, 1_700_000_000_000);
      await store.repos.accessKeys.insert({ id: 'LTAItest1', account_id: acct.id, secret_sealed: 'v1.x.y', enabled: 1, policy: null, created_at: 5 });
      const k = await store.repos.accessKeys.get('LTAItest1');
      assert.deepEqual(k, { id: 'LTAItest1', account_id: acct.id, secret_sealed: 'v1.x.y', enabled: 1, policy: null, created_at: 5 });
      assert.equal(await store.repos.accessKeys.setEnabled('LTAItest1', false), true);
      assert.equal((await store.repos.accessKeys.get('LTAItest1'))?.enabled, 0);
      assert.equal(await store.repos.accessKeys.setEnabled('nope', false), false);
      assert.equal(await store.repos.accessKeys.delete('LTAItest1'), true);
      assert.equal(await store.repos.accessKeys.get('LTAItest1'), undefined);
    });

    test('a nonce is accepted once per key and forgotten after expiry', async () => {
      assert.equal(await store.repos.nonces.remember('K1', 'n1', 1000), true);
      assert.equal(await store.repos.nonces.remember('K1', 'n1', 1000), false);
      assert.equal(await store.repos.nonces.remember('K2', 'n1', 1000), true);
      assert.equal(await store.repos.nonces.purgeExpired(1001), 2);
      assert.equal(await store.repos.nonces.remember('K1', 'n1', 5000), true);
    });

    test('concurrent nonce inserts: exactly one wins', async () => {
      const results = await Promise.all(Array.from({ length: 20 }, () => store.repos.nonces.remember('K3', 'same', 9_999)));
      assert.equal(results.filter(Boolean).length, 1);
    });

    test('plans: totals count only plans in force; usage counts live orders', async () => {
      const acct = await store.repos.accounts.create('Plans', 1);
      await store.repos.plans.grant({ accountId: acct.id, productCode: 'p1', totalCount: 10, expiresAt: null, now: 1 });
      await store.repos.plans.grant({ accountId: acct.id, productCode: 'p1', totalCount: 4, expiresAt: 2_000, now: 1 });
      await store.repos.plans.grant({ accountId: acct.id, productCode: 'p2', totalCount: 3, expiresAt: null, now: 1 });
      assert.equal(await store.repos.plans.totalInForce(acct.id, 'p1', 1_000), 14);
      assert.equal(await store.repos.plans.totalInForce(acct.id, 'p1', 2_000), 10);
      assert.equal(await store.repos.plans.totalInForce(acct.id, 'p3', 1_000), 0);
      assert.deepEqual(await store.repos.plans.usage(acct.id, 'p1', 1_000), { used: 0, issued: 0 });
      assert.equal((await store.repos.plans.listByAccount(acct.id)).length, 3);
    });

    test('contacts: newest first, keyword over name/email/mobile, paging, tenant scoped', async () => {
      const a = await store.repos.accounts.create('A', 1);
      const b = await store.repos.accounts.create('B', 1);
      const add = (account_id: number, name: string, email: string, mobile: string) =>
        store.repos.contacts.add({ account_id, name, email, mobile, webhooks: '[]', email_status: 0, mobile_status: 0, created_at: 1 });
      await add(a.id, 'Tom', 'tom@x.com', '111');
      await add(a.id, 'Ann', 'ann@y.org', '222');
      await add(a.id, 'Zed', 'zed@x.com', '333');
      await add(b.id, 'Bob', 'bob@x.com', '444');
      const all = await store.repos.contacts.page(a.id, { offset: 0, limit: 10 });
      assert.equal(all.total, 3);
      assert.deepEqual(all.rows.map((r) => r.name), ['Zed', 'Ann', 'Tom']);
      const x = await store.repos.contacts.page(a.id, { keyword: 'X.COM', offset: 1, limit: 1 });
      assert.equal(x.total, 2);
      assert.deepEqual(x.rows.map((r) => r.name), ['Tom']);
      assert.equal((await store.repos.contacts.page(a.id, { keyword: '22', offset: 0, limit: 5 })).rows[0]?.name, 'Ann');
      // LIKE wildcards in the keyword are literal text, not patterns.
      assert.equal((await store.repos.contacts.page(a.id, { keyword: '%', offset: 0, limit: 5 })).total, 0);
      assert.equal((await store.repos.contacts.page(a.id, { keyword: 't_m', offset: 0, limit: 5 })).total, 0);
      await add(a.id, 'under_score', 'u@x.com', '555');
      assert.equal((await store.repos.contacts.page(a.id, { keyword: 'r_s', offset: 0, limit: 5 })).total, 1);
      assert.equal((await store.repos.contacts.latest(a.id))?.name, 'under_score');
      const zed = (await store.repos.contacts.page(a.id, { keyword: 'zed', offset: 0, limit: 1 })).rows[0]!;
      assert.equal(await store.repos.contacts.remove(b.id, zed.id), false, 'another tenant cannot remove it');
      assert.equal(await store.repos.contacts.remove(a.id, zed.id), true);
      assert.equal((await store.repos.contacts.page(a.id, { offset: 0, limit: 10 })).total, 3);
    });

    test('companies: latest and by name', async () => {
      const a = await store.repos.accounts.create('C', 1);
      const add = (name: string) => store.repos.companies.add({ account_id: a.id, name, country: 'CN', province: 'Zhejiang', city: 'Hangzhou', address: '', phone: '', created_at: 1 });
      await add('First Co');
      await add('Second Co');
      assert.equal((await store.repos.companies.latest(a.id))?.name, 'Second Co');
      assert.equal((await store.repos.companies.findByName(a.id, 'First Co'))?.province, 'Zhejiang');
      assert.equal((await store.repos.companies.list(a.id)).length, 2);
    });

    test('meta: first writer wins', async () => {
      assert.equal(await store.repos.meta.setIfAbsent('k', 'one'), 'one');
      assert.equal(await store.repos.meta.setIfAbsent('k', 'two'), 'one');
      assert.equal(await store.repos.meta.get('missing'), undefined);
    });

    test('writeTransaction rolls back on error and serializes read-then-write', async () => {
      const before = (await store.repos.accounts.list()).length;
      await assert.rejects(store.writeTransaction(async (repos) => {
        await repos.accounts.create('rolled back', 1);
        throw new Error('boom');
      }));
      assert.equal((await store.repos.accounts.list()).length, before);
      // Ten concurrent read-count-then-insert transactions never both read the same count.
      await Promise.all(Array.from({ length: 10 }, () => store.writeTransaction(async (repos, tx) => {
        if (store.kind === 'postgres') await tx.selectFrom('meta').selectAll().where('key', '=', 'k').forUpdate().execute();
        const n = (await repos.accounts.list()).length;
        await repos.accounts.create(`serial-${n}`, 1);
      })));
      const names = (await store.repos.accounts.list()).map((a) => a.name).filter((n) => n.startsWith('serial-'));
      assert.equal(new Set(names).size, 10);
    });
  });
}
