// Pebble (Let's Encrypt's ACME test server, the Debian `pebble` package) on loopback, for
// `npm run bench -- --acme` to measure beside certdesk with the same client and the same
// challenge server: its VA validates http-01 for real against our loopback DNS and HTTP
// server (no PEBBLE_VA_ALWAYS_VALID, so both servers do the same work), without its random
// pre-validation sleep (PEBBLE_VA_NOSLEEP=1) and without refusing valid nonces
// (PEBBLE_WFE_NONCEREJECT=0). Its listener certificate comes from a throwaway CA made with openssl.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../test/support/harness.js';

const run = promisify(execFile);

/** The pebble binary when installed, else undefined (the bench then says so and skips it). */
export function pebbleBinary(): string | undefined {
  for (const p of ['/usr/bin/pebble', '/usr/local/bin/pebble']) if (existsSync(p)) return p;
  return undefined;
}

export interface RunningPebble {
  directoryUrl: string;
  /** The CA that signed Pebble's listener certificate (what the client trusts). */
  caPem: string;
  version: string;
  close(): Promise<void>;
}

export async function startPebble(opts: {
  binary: string;
  dnsAddress: string;
  httpPort: number;
  tlsPort: number;
}): Promise<RunningPebble> {
  const dir = mkdtempSync(join(tmpdir(), 'certdesk-bench-pebble-'));
  const f = (n: string) => join(dir, n);
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-days',
    '2',
    '-subj',
    '/CN=bench pebble CA',
    '-keyout',
    f('ca.key'),
    '-out',
    f('ca.pem'),
  ]);
  await run('openssl', [
    'req',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-subj',
    '/CN=127.0.0.1',
    '-keyout',
    f('key.pem'),
    '-out',
    f('req.csr'),
  ]);
  writeFileSync(f('ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  await run('openssl', [
    'x509',
    '-req',
    '-in',
    f('req.csr'),
    '-CA',
    f('ca.pem'),
    '-CAkey',
    f('ca.key'),
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    f('ext.cnf'),
    '-out',
    f('cert.pem'),
  ]);
  const port = await freePort();
  const mgmt = await freePort();
  writeFileSync(
    f('config.json'),
    JSON.stringify({
      pebble: {
        listenAddress: `127.0.0.1:${port}`,
        managementListenAddress: `127.0.0.1:${mgmt}`,
        certificate: f('cert.pem'),
        privateKey: f('key.pem'),
        httpPort: opts.httpPort,
        tlsPort: opts.tlsPort,
        ocspResponderURL: '',
        externalAccountBindingRequired: false,
      },
    }),
  );
  const child: ChildProcess = spawn(opts.binary, ['-config', f('config.json'), '-dnsserver', opts.dnsAddress], {
    env: { ...process.env, PEBBLE_VA_NOSLEEP: '1', PEBBLE_WFE_NONCEREJECT: '0', PEBBLE_AUTHZREUSE: '0' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  child.stderr!.on('data', (c: Buffer) => (log = (log + c.toString()).slice(-4000)));
  const caPem = readFileSync(f('ca.pem'), 'utf8');
  const directoryUrl = `https://127.0.0.1:${port}/dir`;
  const close = async () => {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  for (let i = 0; ; i++) {
    const up = await new Promise<boolean>((resolve) => {
      https
        .get(directoryUrl, { ca: caPem }, (r) => {
          r.resume();
          resolve(r.statusCode === 200);
        })
        .on('error', () => resolve(false));
    });
    if (up) break;
    if (i >= 100 || child.exitCode !== null) {
      await close();
      throw new Error(`pebble did not start: ${log}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  let version = 'unknown';
  try {
    version = (await run('dpkg-query', ['-W', '-f', '${Version}', 'pebble'])).stdout.trim();
  } catch {
    // Not a Debian package: the version stays unknown.
  }
  return { directoryUrl, caPem, version, close };
}
