// The AccessKey cache: what it keeps, what it drops, that on SQLite another connection's
// change ends it (data_version) and (on PostgreSQL, when CERTDESK_TEST_DATABASE_URL is set)
// that one process hears another's change through NOTIFY.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AccessKeyCache } from './access-key-cache.js';
import type { AccessKeyRow } from './schema.js';
import { Store } from './store.js';
import { dropTestSchema } from '../../test/support/pg.js';

const row = (id: string, enabled = 1): AccessKeyRow => ({
  id,
  account_id: 1,
  secret_sealed: 'v1.x.y',
  enabled,
  policy: null,
  created_at: 1,
});

describe('AccessKeyCache', () => {
  test('keeps rows only while live and within the TTL; never keeps unknown ids', async () => {
    let now = 0;
    let loads = 0;
    const table = new Map([['K1', row('K1')]]);
    const load = async (id: string) => {
      loads += 1;
      return table.get(id);
    };
    let started = 0;
    const cache = new AccessKeyCache(
      () => (started += 1),
      1000,
      () => now,
    );
    await cache.get('K1', load);
    assert.equal(started, 1, 'the first lookup starts the change feed');
    await cache.get('K1', load);
    assert.equal(loads, 2, 'not live yet: every lookup reads the table');

    cache.setLive(true);
    await cache.get('K1', load);
    await cache.get('K1', load);
    assert.equal(loads, 3, 'live: the second lookup is served from memory');
    await cache.get('nope', load);
    await cache.get('nope', load);
    assert.equal(loads, 5, 'unknown ids are read each time');

    now = 1001;
    await cache.get('K1', load);
    assert.equal(loads, 6, 'past the TTL the row is read again');

    table.set('K1', row('K1', 0));
    cache.invalidate('K1');
    assert.equal((await cache.get('K1', load))?.enabled, 0, 'an invalidated row is read again');

    cache.setLive(false);
    table.set('K1', row('K1', 1));
    assert.equal((await cache.get('K1', load))?.enabled, 1, 'losing the feed drops every row');
    assert.equal(started, 1);
  });

  test('a lookup that raced an invalidation does not store its older row', async () => {
    const cache = new AccessKeyCache(
      () => {},
      60_000,
      () => 0,
    );
    cache.setLive(true);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const slow = cache.get('K1', async () => {
      await gate;
      return row('K1', 1); // read before the change below committed
    });
    cache.invalidate('K1'); // the change's notification arrives meanwhile
    release();
    assert.equal((await slow)?.enabled, 1);
    assert.equal(
      (await cache.get('K1', async () => row('K1', 0)))?.enabled,
      0,
      'the next lookup reads the table again',
    );
  });
});

describe('AccessKey changes across connections (SQLite)', () => {
  test('rows are kept while nobody else commits; a change through another connection or this store is seen at once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'certdesk-keycache-'));
    const location = { kind: 'sqlite' as const, target: join(dir, 'certdesk.db') };
    const api = await Store.open(location);
    const admin = await Store.open(location); // another connection, as `certdesk admin` in another process
    try {
      const acct = await admin.repos.accounts.create('Cache', 1);
      await admin.repos.accessKeys.insert({ ...row('LTAIcache1'), account_id: acct.id });
      await admin.repos.accessKeys.insert({ ...row('LTAIcache2'), account_id: acct.id });
      const first = await api.repos.accessKeys.getForAuth('LTAIcache1');
      assert.equal(await api.repos.accessKeys.getForAuth('LTAIcache1'), first, 'served from memory');
      // This store's own writes do not end it (the order pipeline writes all the time).
      await api.repos.accounts.create('Other', 1);
      assert.equal(await api.repos.accessKeys.getForAuth('LTAIcache1'), first, 'still from memory');

      // Well inside the 10 s TTL: only data_version can drop the rows.
      assert.equal(await admin.repos.accessKeys.setEnabled('LTAIcache1', false), true);
      assert.equal((await api.repos.accessKeys.getForAuth('LTAIcache1'))?.enabled, 0, 'the disable is seen at once');
      assert.equal((await api.repos.accessKeys.getForAuth('LTAIcache2'))?.enabled, 1);
      assert.equal(await admin.repos.accessKeys.delete('LTAIcache2'), true);
      assert.equal(await api.repos.accessKeys.getForAuth('LTAIcache2'), undefined, 'the delete is seen at once');

      // A change in a transaction of this store (setAccessKeyEnabled's way) drops the row too.
      assert.equal((await api.repos.accessKeys.getForAuth('LTAIcache1'))?.enabled, 0);
      await api.writeTransaction(async (repos) => {
        assert.equal(await repos.accessKeys.setEnabled('LTAIcache1', true), true);
      });
      assert.equal((await api.repos.accessKeys.getForAuth('LTAIcache1'))?.enabled, 1);
    } finally {
      await api.close();
      await admin.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

const pgUrl = process.env.CERTDESK_TEST_DATABASE_URL;
if (pgUrl) {
  describe('AccessKey changes across processes (PostgreSQL)', () => {
    const schema = `t_${randomBytes(6).toString('hex')}`;
    after(() => dropTestSchema(pgUrl, schema));

    test("a key disabled or deleted through another store is no longer served from this one's cache", async () => {
      const location = { kind: 'postgres' as const, target: pgUrl, postgres: { schema } };
      const api = await Store.open(location);
      const admin = await Store.open(location);
      try {
        const acct = await admin.repos.accounts.create('Cache', 1);
        await admin.repos.accessKeys.insert({ ...row('LTAIcache1'), account_id: acct.id });
        await admin.repos.accessKeys.insert({ ...row('LTAIcache2'), account_id: acct.id });
        // The first lookup starts the listener; wait until rows are kept (the feed is live).
        const cached = async (id: string) =>
          (await api.repos.accessKeys.getForAuth(id)) === (await api.repos.accessKeys.getForAuth(id));
        await waitFor(() => cached('LTAIcache1'), 'the cache to go live');
        assert.equal(await cached('LTAIcache2'), true);

        assert.equal(await admin.repos.accessKeys.setEnabled('LTAIcache1', false), true);
        assert.equal(await admin.repos.accessKeys.delete('LTAIcache2'), true);
        // Well inside the 10 s TTL: only the notification can have dropped the rows.
        await waitFor(
          async () => (await api.repos.accessKeys.getForAuth('LTAIcache1'))?.enabled === 0,
          'the disable to arrive',
        );
        await waitFor(
          async () => (await api.repos.accessKeys.getForAuth('LTAIcache2')) === undefined,
          'the delete to arrive',
        );

        // A change through the same store is seen at once, before its own notification returns.
        assert.equal(await api.repos.accessKeys.setEnabled('LTAIcache1', true), true);
        assert.equal((await api.repos.accessKeys.getForAuth('LTAIcache1'))?.enabled, 1);
      } finally {
        await api.close();
        await admin.close();
      }
    });
  });
}

/** Polls `check` every 20 ms for up to 3 s (the cache's TTL is 10 s, so a pass proves the notification path). */
async function waitFor(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 150; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.fail(`timed out waiting for ${what}`);
}
