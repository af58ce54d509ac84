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
import { helpFor, main } from '../src/cli/main.js';

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

test('help for every command, group and the top level (the text --help prints)', () => {
  const cases: Array<[string[], RegExp]> = [
    [[], /certdesk help \[COMMAND\]/],
    [['serve'], /--crl-partitions N/],
    [['admin'], /certdesk admin account create --name NAME/],
    [['admin', 'account'], /certdesk admin account list\n/],
    [['admin', 'key', 'disable'], /refuse further calls/],
    [['admin', 'plan', 'grant'], /--product CODE/],
    [['ca'], /certdesk ca show/],
    [['store', 'copy'], /--from SRC --to DST/],
  ];
  for (const [words, expected] of cases) {
    const text = helpFor(words);
    assert.ok(text, words.join(' '));
    assert.match(text, expected, words.join(' '));
    assert.doesNotMatch(text, /list list|unknown/, words.join(' '));
  }
  for (const c of COMMANDS) assert.ok(helpFor(c.name.split(' '))?.startsWith(`certdesk ${c.name}`), c.name);
  // `serve` options are not offered to commands that do not take them.
  assert.doesNotMatch(helpFor(['admin', 'account', 'list'])!, /--listen/);
  assert.equal(helpFor(['nope']), undefined);
});

test('--version, help and --help print and create nothing', async () => {
  const cwd = mkdtempSync(join(tmpdir(), 'certdesk-help-'));
  const dataDir = join(cwd, 'somewhere');
  try {
    const version = await run(['--version'], cwd);
    assert.equal(version.code, 0);
    assert.match(version.stdout, /^certdesk \d+\.\d+\.\d+\n$/);

    // Real processes for the commands that open a store or start servers.
    const cases: Array<[string[], RegExp]> = [
      [['serve', '--help', '--data-dir', dataDir], /--tls auto/],
      [['admin', 'account', 'create', '--help', '--data-dir', dataDir], /--name NAME/],
      [['ca', 'show', '--help', '--data-dir', dataDir], /--ca-algorithm ALG/],
    ];
    for (const [args, expected] of cases) {
      const r = await run(args, cwd);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stdout, expected, args.join(' '));
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

test('--help on every command, run as a command, prints its help and creates no data directory', async () => {
  const cwd = mkdtempSync(join(tmpdir(), 'certdesk-help-all-'));
  const dataDir = join(cwd, 'somewhere');
  const write = process.stdout.write.bind(process.stdout);
  let printed = '';
  const before = process.cwd();
  try {
    process.chdir(cwd);
    for (const c of COMMANDS) {
      printed = '';
      // In process (a process per command would take minutes): main() runs what `certdesk` runs.
      process.stdout.write = (chunk: string | Uint8Array) => {
        printed += String(chunk);
        return true;
      };
      try {
        await main([...c.name.split(' '), '--help', '--data-dir', dataDir], {});
      } finally {
        process.stdout.write = write;
      }
      assert.ok(printed.startsWith(`certdesk ${c.name}`), `${c.name} --help printed ${printed.slice(0, 80)}`);
      assert.equal(process.exitCode ?? 0, 0, c.name);
      assert.equal(existsSync(dataDir), false, `${c.name} --help created the data directory`);
      assert.equal(existsSync(join(cwd, 'data')), false, `${c.name} --help created ./data`);
    }
  } finally {
    process.chdir(before);
    rmSync(cwd, { recursive: true, force: true });
  }
});
