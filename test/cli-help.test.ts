// `certdesk --version`, `certdesk help <command>` and `--help` on every command print help and
// change nothing: `certdesk serve --help` used to start a real server and create a CA, and
// `admin --help` said "unknown admin command". No data directory may appear.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { COMMANDS } from '../src/cli/commands.js';

const BIN = fileURLToPath(new URL('../bin/certdesk.js', import.meta.url));

function run(args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { cwd, env: { ...process.env, CERTDESK_FROM_SOURCE: '1' }, timeout: 60_000 },
      (err, stdout, stderr) =>
        resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

test('--version, help and --help on every command and subcommand print and create nothing', async () => {
  const cwd = mkdtempSync(join(tmpdir(), 'certdesk-help-'));
  const dataDir = join(cwd, 'somewhere');
  try {
    const version = await run(['--version'], cwd);
    assert.equal(version.code, 0);
    assert.match(version.stdout, /^certdesk \d+\.\d+\.\d+\n$/);

    const cases: Array<[string[], RegExp]> = [
      [['help'], /certdesk help \[COMMAND\]/],
      [['help', 'serve'], /--crl-partitions N/],
      [['serve', '--help', '--data-dir', dataDir], /--tls auto/],
      [['serve', '--listen', '0.0.0.0:1', '-h'], /--insecure-http/],
      [['admin', '--help'], /certdesk admin account create --name NAME/],
      [['admin', 'account', '--help'], /certdesk admin account list\n/],
      [['admin', 'account', 'create', '--help', '--data-dir', dataDir], /--name NAME/],
      [['admin', 'key', 'disable', 'LTAIxxxx', '--help'], /refuse further calls/],
      [['help', 'admin', 'plan', 'grant'], /--product CODE/],
      [['ca', '--help'], /certdesk ca show/],
      [['ca', 'show', '--help', '--data-dir', dataDir], /--ca-algorithm ALG/],
      [['store', 'copy', '--help'], /--from SRC --to DST/],
    ];
    for (const [args, expected] of cases) {
      const r = await run(args, cwd);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stdout, expected, args.join(' '));
      assert.doesNotMatch(r.stdout, /list list|unknown/, args.join(' '));
    }
    // Every command's own help, as `certdesk help <words>` (the same text as <words> --help).
    for (const c of COMMANDS) {
      const r = await run(['help', ...c.name.split(' ')], cwd);
      assert.equal(r.code, 0, c.name);
      assert.ok(r.stdout.startsWith(`certdesk ${c.name}`), `${c.name}: ${r.stdout.slice(0, 80)}`);
    }
    assert.equal(existsSync(dataDir), false, 'a --help created the data directory');
    assert.equal(existsSync(join(cwd, 'data')), false, 'a --help created ./data');

    // Serve-only flags are not offered as shared: `admin` refuses them.
    const refused = await run(['admin', 'account', 'list', '--listen', '127.0.0.1:1', '--data-dir', dataDir], cwd);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /Unknown option '--listen'/);
    assert.equal(existsSync(dataDir), false);
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
});
