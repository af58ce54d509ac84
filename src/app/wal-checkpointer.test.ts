// The WAL checkpointed on its own thread (wal-checkpointer.ts, Store.moveWalCheckpoints): the
// serving connection no longer checkpoints, and the WAL still stays bounded while commits go on.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { Store } from '../store/store.js';
import { walCheckpointer, type CheckpointResult } from './wal-checkpointer.js';

const dir = mkdtempSync(join(tmpdir(), 'certdesk-wal-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const ROUNDS = 30;
const COMMITS_PER_ROUND = 20;
/** Each row about two pages: every commit adds at least two frames to the WAL. */
const ROW = 'x'.repeat(6000);

async function autocheckpoint(store: Store): Promise<number> {
  const r = await sql<{ wal_autocheckpoint: number }>`pragma wal_autocheckpoint`.execute(store.db);
  return r.rows[0]!.wal_autocheckpoint;
}

/** Commits ROUNDS x COMMITS_PER_ROUND rows, calling `between` after each round; the WAL file's size after each. */
async function commitRounds(store: Store, between: () => Promise<void>): Promise<number[]> {
  await sql`create table filler (id integer primary key, body text not null)`.execute(store.db);
  const sizes: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    for (let i = 0; i < COMMITS_PER_ROUND; i++)
      await store.writeTransaction(async (_repos, tx) => {
        await sql`insert into filler (body) values (${ROW})`.execute(tx);
      });
    sizes.push(statSync(`${store.sqlitePath()}-wal`).size);
    await between();
  }
  return sizes;
}

describe('WAL checkpointer', () => {
  test('the serving connection stops checkpointing and the thread keeps the WAL bounded', async () => {
    const results: CheckpointResult[] = [];
    const store = await Store.open({ kind: 'sqlite', target: join(dir, 'bounded.db') });
    try {
      const moved = store.moveWalCheckpoints(
        walCheckpointer({ intervalMs: 5, truncateFrames: 1_000_000, onCheckpoint: (r) => results.push(r) }),
        1 << 20,
      );
      assert.equal(moved, true);
      assert.equal(await autocheckpoint(store), 0);
      const sizes = await commitRounds(store, async () => {
        // The round's frames copied into the database file: the next commit starts the WAL over.
        const seen = results.length;
        for (let i = 0; i < 1000; i++) {
          const last = results.at(-1);
          if (results.length > seen && last!.checkpointed === last!.log) return;
          await new Promise((r) => setTimeout(r, 5));
        }
        assert.fail('no complete checkpoint after the round');
      });
      const copied = results.reduce((n, r) => n + r.checkpointed, 0);
      assert.ok(copied >= ROUNDS * COMMITS_PER_ROUND * 2, `frames copied: ${copied}`);
      // The file keeps the size it reached in the first round (the schema's migrations and one
      // round), at most one round more; the commits wrote ROUNDS rounds' worth.
      const round = COMMITS_PER_ROUND * 4 * 4120;
      assert.ok(Math.max(...sizes) <= sizes[0]! + round, `WAL sizes ${sizes.join(' ')}`);
      assert.ok(ROUNDS * COMMITS_PER_ROUND * 2 * 4096 > 2 * (sizes[0]! + round));
      assert.ok(results.every((r) => r.mode === 'PASSIVE'));
    } finally {
      await store.close();
    }
  });

  test('without a checkpoint anywhere the same commits grow the WAL (what the bound above is measured against)', async () => {
    const store = await Store.open({ kind: 'sqlite', target: join(dir, 'no-checkpoints.db') });
    try {
      assert.equal(
        store.moveWalCheckpoints(() => ({ stop: async () => {} }), 1 << 20),
        true,
      );
      const sizes = await commitRounds(store, async () => {});
      assert.ok(sizes.at(-1)! >= ROUNDS * COMMITS_PER_ROUND * 2 * 4096, `WAL sizes ${sizes.join(' ')}`);
    } finally {
      await store.close();
    }
  });

  test('past truncateFrames the thread empties the WAL file (TRUNCATE)', async () => {
    const results: CheckpointResult[] = [];
    const store = await Store.open({ kind: 'sqlite', target: join(dir, 'truncate.db') });
    try {
      let failed = false;
      // The thread starts when the WAL is already past the threshold.
      assert.equal(
        store.moveWalCheckpoints(() => ({ stop: async () => {} }), 1 << 20),
        true,
      );
      await commitRounds(store, async () => {});
      const before = statSync(`${store.sqlitePath()}-wal`).size;
      const stopThread = walCheckpointer({ intervalMs: 5, truncateFrames: 100, onCheckpoint: (r) => results.push(r) })(
        store.sqlitePath()!,
        () => {
          failed = true;
        },
      );
      try {
        for (let i = 0; i < 1000 && !results.some((r) => r.mode === 'TRUNCATE' && r.busy === 0); i++)
          await new Promise((r) => setTimeout(r, 5));
      } finally {
        await stopThread.stop();
      }
      assert.equal(failed, false);
      assert.ok(results.some((r) => r.mode === 'TRUNCATE' && r.busy === 0));
      assert.ok(before > 0);
      assert.equal(statSync(`${store.sqlitePath()}-wal`).size, 0);
    } finally {
      await store.close();
    }
  });

  test('a checkpointer that fails hands checkpoints back to the serving connection', async () => {
    const store = await Store.open({ kind: 'sqlite', target: join(dir, 'fails.db') });
    try {
      let failed: (e: Error) => void = () => {};
      assert.equal(
        store.moveWalCheckpoints((_path, onFailure) => {
          failed = onFailure;
          return { stop: async () => {} };
        }, 1 << 20),
        true,
      );
      assert.equal(await autocheckpoint(store), 0);
      failed(new Error('gone'));
      assert.equal(await autocheckpoint(store), 1000);
    } finally {
      await store.close();
    }
  });

  test('the thread reports a database it cannot open', async () => {
    // The thread does not hold the process open; this timer does until it answers.
    const keepAlive = setInterval(() => {}, 1000);
    const error = await new Promise<Error>((resolve) => {
      walCheckpointer({ intervalMs: 5, truncateFrames: 100 })(join(dir, 'missing', 'none.db'), resolve);
    }).finally(() => clearInterval(keepAlive));
    assert.match(error.message, /WAL checkpointer/);
  });

  test('nothing to move for an in-memory database', async () => {
    const store = await Store.open({ kind: 'sqlite', target: ':memory:' });
    try {
      assert.equal(
        store.moveWalCheckpoints(() => assert.fail('not started'), 1 << 20),
        false,
      );
      assert.equal(await autocheckpoint(store), 1000);
    } finally {
      await store.close();
    }
  });
});
