// First run: `certdesk dev` gets a newcomer from clone to an issued certificate with the
// commands it prints. This test starts it as a user would, saves the program it prints as
// demo.mjs and runs it with node (the SDK packages are this repository's; a newcomer installs
// them as step 1 says), then follows the printed audit command.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { X509Certificate } from 'node:crypto';
import { freePort } from './support/harness.js';
import { runCli, runCliJson } from './support/cli.js';
import { DEMO_BEGIN, DEMO_END } from '../src/app/dev.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin', 'certdesk.js');
// Inside the repository, so that the program's imports resolve to its node_modules.
const work = mkdtempSync(join(ROOT, 'test', '.dev-'));
let dev: ChildProcess | undefined;

after(() => {
  if (dev && dev.exitCode === null) dev.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
});

function runNode(file: string, timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [file], { cwd: work });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

test('certdesk dev: the printed program applies, publishes the record and gets a certificate issued', async () => {
  const port = await freePort();
  dev = spawn(
    process.execPath,
    [
      BIN,
      'dev',
      '--listen',
      `127.0.0.1:${port}`,
      '--admin-listen',
      '127.0.0.1:0',
      // Port 0, not the default 8443: other certdesk processes may run beside this test.
      '--acme-listen',
      '127.0.0.1:0',
    ],
    {
      env: { ...process.env, CERTDESK_FROM_SOURCE: '1' },
    },
  );
  let out = '';
  let err = '';
  dev.stderr!.on('data', (d) => (err += d));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`certdesk dev printed no instructions: ${out}${err}`)), 60_000);
    dev!.stdout!.on('data', (d) => {
      out += d;
      if (out.includes('Stop with Ctrl-C.')) {
        clearTimeout(timer);
        resolve();
      }
    });
    dev!.on('exit', (code) => reject(new Error(`certdesk dev exited ${code}: ${err}`)));
  });

  // The instructions name the set-up and the ES module requirement.
  assert.match(out, /npm install @alicloud\/cas20200407 @alicloud\/openapi-core/);
  assert.match(out, /demo\.mjs/);
  assert.match(out, new RegExp(`CAS API on http://127\\.0\\.0\\.1:${port}`));
  // The ACME directory printed names the port bound for --acme-listen 127.0.0.1:0.
  const acmePort = /ACME directory https:\/\/127\.0\.0\.1:(\d+)\/acme\/directory/.exec(out)?.[1];
  assert.ok(acmePort && Number(acmePort) > 0, out);
  const dataDir = /data in (\S+)/.exec(out)?.[1];
  assert.ok(dataDir && existsSync(dataDir), `the data directory ${dataDir}`);

  const begin = out.indexOf(DEMO_BEGIN);
  const end = out.indexOf(DEMO_END);
  assert.ok(begin >= 0 && end > begin, 'the program is printed between its markers');
  const program = out.slice(begin + DEMO_BEGIN.length, end).trim();
  assert.match(program, /top-level await/, 'it says why it is a .mjs file');
  const file = join(work, 'demo.mjs');
  writeFileSync(file, `${program}\n`);

  const run = await runNode(file, 120_000);
  assert.equal(run.code, 0, `node demo.mjs: ${run.stdout}\n${run.stderr}`);
  const domain = /order \d+ for (\S+)/.exec(run.stdout)?.[1];
  assert.ok(domain, run.stdout);
  assert.match(run.stdout, /published TXT _dnsauth\./);
  assert.match(run.stdout, /order \d+ issued/);
  const leaf = new X509Certificate(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(run.stdout)![0]);
  assert.equal(leaf.subjectAltName, `DNS:${domain}`);

  // The printed audit command shows the issuance of that order.
  const events = await runCliJson<Array<{ kind: string; detail: { names?: string[] } }>>([
    'admin',
    'audit',
    'list',
    '--data-dir',
    dataDir,
    '--kind',
    'certificate.issued',
  ]);
  assert.deepEqual(
    events.map((e) => e.detail.names),
    [[domain]],
  );

  // Ctrl-C stops it and removes the temporary data directory.
  const exited = new Promise<number | null>((resolve) => dev!.once('exit', (code) => resolve(code)));
  dev.kill('SIGINT');
  assert.equal(await exited, 0);
  assert.equal(existsSync(dataDir), false, 'the temporary data directory is removed');
});

test('certdesk dev --help prints help and starts nothing', async () => {
  const r = await runCli(['dev', '--help']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /certdesk dev/);
  assert.match(r.stdout, /demo account/);
});
