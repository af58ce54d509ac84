// The data directory holds the database, the master key and the admin token: 0700, and every
// file in it 0600 (they were 0644 in a 0755 directory), also for an installation created
// before the rule and for a backup made with `certdesk store copy`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCertdesk, TEST_DATABASE_URL } from './support/harness.js';
import { Cas, casClient } from './support/sdk.js';
import { createAccount } from '../src/accounts/accounts.js';
import { runCli } from './support/cli.js';

const mode = (p: string) => statSync(p).mode & 0o777;

function assertPrivate(dir: string): string[] {
  assert.equal(mode(dir).toString(8), '700', dir);
  const files = readdirSync(dir).filter((n) => statSync(join(dir, n)).isFile());
  for (const f of files) assert.equal(mode(join(dir, f)).toString(8), '600', f);
  return files;
}

test('the data directory is 0700 and its files (database, -wal, -shm, master key, admin token) 0600', async () => {
  // An installation from before the rule: a 0755 directory with a 0644 file in it.
  const dataDir = join(mkdtempSync(join(tmpdir(), 'certdesk-modes-')), 'data');
  mkdirSync(dataDir, { mode: 0o755 });
  chmodSync(dataDir, 0o755);
  writeFileSync(join(dataDir, 'notes.txt'), 'old\n', { mode: 0o644 });
  chmodSync(join(dataDir, 'notes.txt'), 0o644);
  const cd = await startCertdesk({ 'data-dir': dataDir });
  try {
    // A write, so that SQLite has its -wal and -shm files open.
    const key = await createAccount(cd.ctx.accounts, 'Modes');
    await casClient(cd.endpoint, key).describePackageState(new Cas.DescribePackageStateRequest({}));
    const files = assertPrivate(dataDir);
    assert.ok(files.includes('master.key') && files.includes('admin-token'), files.join(' '));
    if (!TEST_DATABASE_URL) {
      assert.ok(
        files.includes('certdesk.db') && files.includes('certdesk.db-wal') && files.includes('certdesk.db-shm'),
      );
      // A backup is as secret as the database.
      const backups = join(dataDir, '..', 'backups');
      const r = await runCli([
        'store',
        'copy',
        '--from',
        `sqlite:${join(dataDir, 'certdesk.db')}`,
        '--to',
        `sqlite:${join(backups, 'b.db')}`,
      ]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(mode(backups).toString(8), '700');
      assert.equal(mode(join(backups, 'b.db')).toString(8), '600');
    }
  } finally {
    await cd.close();
    rmSync(join(dataDir, '..'), { recursive: true, force: true });
  }
});
