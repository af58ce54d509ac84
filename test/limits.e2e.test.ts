// Limits on every input and connection at the HTTP edge. Before: a 10 MB body got a TCP
// reset instead of a CAS error, an oversized PEM in the URL got 431 with an empty body (the
// SDK reported a bare SyntaxError), slow headers at 1 byte/s were never cut, there was no cap
// on connections, a client leaving mid-body was logged as an InternalError, and unknown
// paths answered IncompleteSignature. Each case is checked here on a real certdesk.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import http from 'node:http';
import { startCertdesk, type Certdesk } from './support/harness.js';
import { Cas, casClient, sdkError } from './support/sdk.js';
import { createAccount } from '../src/accounts/accounts.js';
import type { Logger, LogLevel } from '../src/domain/ports.js';

const lines: Array<{ level: LogLevel; msg: string; fields?: Record<string, unknown> }> = [];
const capture: Logger = { log: (level, msg, fields) => void lines.push({ level, msg, fields }), enabled: () => true };

function hostPort(url: string): { host: string; port: number } {
  const u = new URL(url);
  return { host: u.hostname, port: Number(u.port) };
}

/** Resolves when the server closes the socket; also gives what it sent before closing. */
function closed(socket: net.Socket): Promise<string> {
  let got = '';
  socket.on('data', (d) => (got += d.toString('latin1')));
  return new Promise((resolve) => socket.once('close', () => resolve(got)));
}

function connect(url: string): Promise<net.Socket> {
  const { host, port } = hostPort(url);
  return new Promise((resolve, reject) => {
    const s = net.connect(port, host, () => resolve(s));
    s.once('error', reject);
  });
}

describe('limits at the HTTP edge', () => {
  let cd: Certdesk;
  let key: { AccessKeyId: string; AccessKeySecret: string };

  before(async () => {
    cd = await startCertdesk(
      { 'headers-timeout-ms': '800', 'request-timeout-ms': '5000', 'body-limit': '65536' },
      { logger: capture },
    );
    key = await createAccount(cd.ctx.accounts, 'Limits');
  });
  after(async () => cd?.close());

  test('an oversized PEM through the SDK gets 413 with a CAS error the SDK can read', async () => {
    const client = casClient(cd.endpoint, key);
    const huge = `-----BEGIN CERTIFICATE-----\n${'A'.repeat(120 * 1024)}\n-----END CERTIFICATE-----\n`;
    const e = await sdkError(() =>
      client.uploadUserCertificate(new Cas.UploadUserCertificateRequest({ name: 'big', cert: huge, key: 'x' })),
    );
    assert.equal(e.name, 'ClientError', `${e.name}: ${e.message}`);
    assert.equal(e.statusCode, 413);
    assert.equal(e.code, 'RequestEntityTooLarge');
    assert.match(e.requestId ?? '', /^[0-9A-F-]{36}$/);
    // The server still answers the next request on a new connection.
    assert.ok((await client.describePackageState(new Cas.DescribePackageStateRequest({}))).body);
  });

  test('a 10 MB body gets 413 in CAS form, not a reset', async () => {
    for (const chunked of [false, true]) {
      const body = Buffer.alloc(10 * 1024 * 1024, 0x61);
      const res = await new Promise<{ status: number; text: string }>((resolve, reject) => {
        const req = http.request(
          `${cd.server.apiUrl}/?Action=DescribePackageState`,
          { method: 'POST', headers: chunked ? {} : { 'content-length': String(body.length) } },
          (r) => {
            let text = '';
            r.on('data', (d) => (text += d));
            r.on('end', () => resolve({ status: r.statusCode!, text }));
          },
        );
        req.on('error', reject);
        req.end(body);
      });
      assert.equal(res.status, 413, res.text);
      const json = JSON.parse(res.text);
      assert.equal(json.Code, 'RequestEntityTooLarge');
      assert.match(json.Message, /larger than 65536 bytes/);
    }
  });

  test('unknown paths answer 404 in CAS form, not IncompleteSignature', async () => {
    for (const [method, path] of [
      ['GET', '/nothing'],
      ['POST', '/v2/?Action=DescribePackageState'],
      ['GET', '/metrics'],
    ] as const) {
      const res = await fetch(`${cd.server.apiUrl}${path}`, { method });
      assert.equal(res.status, 404, `${method} ${path}`);
      const json = await res.json();
      assert.equal(json.Code, 'NotFound', `${method} ${path}`);
      assert.match(json.RequestId, /^[0-9A-F-]{36}$/);
    }
    // A path that is not even a valid URL path: the same form, 400.
    const garbled = await fetch(`${cd.server.apiUrl}/%%ba`);
    assert.equal(garbled.status, 400);
    assert.equal((await garbled.json()).Code, 'InvalidParameter');
    // The operator listener too, in its own JSON form.
    const op = await fetch(`${cd.server.adminUrl}/nothing`);
    assert.equal(op.status, 404);
    assert.equal((await op.json()).Code, 'NotFound');
  });

  test('headers sent at 1 byte per 200 ms are cut with 408', async () => {
    const s = await connect(cd.server.apiUrl);
    const done = closed(s);
    const request = 'GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ' + 'a'.repeat(200);
    let i = 0;
    const drip = setInterval(() => {
      if (!s.destroyed && i < request.length) s.write(request[i++]!);
    }, 200);
    const got = await done;
    clearInterval(drip);
    assert.ok(i < request.length, 'the server waited for the whole request');
    assert.match(got, /^HTTP\/1\.1 408 /);
    assert.equal(JSON.parse(got.slice(got.indexOf('\r\n\r\n') + 4)).Code, 'RequestTimeout');
  });

  test('connections beyond --max-connections are closed at once; a freed slot is usable again', async () => {
    const capped = await startCertdesk({ 'max-connections': '4' });
    after(() => capped.close());
    const held = await Promise.all(Array.from({ length: 4 }, () => connect(capped.server.apiUrl)));
    // The server counts a connection once it accepted it: one request on each makes sure.
    for (const s of held) s.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    await Promise.all(held.map((s) => new Promise((r) => s.once('data', r))));
    const extra = await connect(capped.server.apiUrl);
    const got = await closed(extra);
    assert.equal(got, '', 'a connection over the cap got an answer');
    held[0]!.destroy();
    // Once the server has seen the close, a new connection is served.
    let status = 0;
    for (let attempt = 0; attempt < 50 && status !== 200; attempt++) {
      status = await fetch(`${capped.server.apiUrl}/healthz`, { headers: { connection: 'close' } }).then(
        (r) => r.status,
        () => 0,
      );
      if (status !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(status, 200);
    for (const s of held) s.destroy();
  });

  test('a client that leaves mid-body is logged at info, not as an InternalError', async () => {
    const s = await connect(cd.server.apiUrl);
    s.write('POST /?Action=DescribePackageState HTTP/1.1\r\nHost: x\r\nContent-Length: 50000\r\n\r\n');
    s.write('a'.repeat(1000));
    await new Promise((r) => setTimeout(r, 200));
    s.destroy();
    let seen;
    for (let attempt = 0; attempt < 50 && !seen; attempt++) {
      seen = lines.find((l) => l.msg.includes('disconnected before its request body ended'));
      if (!seen) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(seen, 'no log line for the vanished client');
    assert.equal(seen.level, 'info');
    assert.deepEqual(
      lines.filter((l) => l.level === 'error'),
      [],
    );
  });
});
