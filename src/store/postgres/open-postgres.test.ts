// The PostgreSQL connections themselves (PostgreSQL only: CERTDESK_TEST_DATABASE_URL, as CI's
// `npm run test:pg` sets it): the relaxed statements really run with synchronous_commit off,
// and the others keep the server's durable default.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { openPostgresKysely } from './open-postgres.js';

const pgUrl = process.env.CERTDESK_TEST_DATABASE_URL;
if (pgUrl) {
  describe('PostgreSQL connections', () => {
    test('relaxed statements commit without waiting for the WAL flush; the rest wait', async () => {
      const { db, prepared } = openPostgresKysely(pgUrl, { maxConnections: 2 });
      try {
        const setting = 'select current_setting($1) as v';
        const [relaxed] = await prepared.relaxed<{ v: string }>('t_sync_relaxed', setting, ['synchronous_commit']);
        const [plain] = await prepared<{ v: string }>('t_sync_plain', setting, ['synchronous_commit']);
        const [arrays] = await prepared.arrays('t_sync_arrays', setting, ['synchronous_commit']);
        assert.equal(relaxed?.v, 'off');
        assert.notEqual(plain?.v, 'off');
        assert.deepEqual(arrays, [plain?.v]);
      } finally {
        await db.destroy();
        await prepared.close();
      }
    });
  });
}
