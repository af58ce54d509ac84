import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startChallengeServer, type ChallengeServer } from '../../test/challenge-server.js';
import { createDnsResolver } from '../validation/index.js';
import { postWebhook, type WebhookResult } from './send-webhook.js';

describe('postWebhook', () => {
  let cs: ChallengeServer;
  let server: Server;
  let port: number;
  let closedPort: number;
  const seen: Array<{ path: string; headers: IncomingHttpHeaders; body: string }> = [];

  before(async () => {
    cs = await startChallengeServer();
    cs.setA('hooks.example.test', ['127.0.0.1']);
    cs.setA('mixed.example.test', ['127.0.0.2', '127.0.0.1']); // nothing listens on .2
    cs.setServfail('broken.example.test');
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seen.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        if (req.url === '/ok') res.writeHead(204).end();
        else if (req.url === '/fail') res.writeHead(500).end('no');
        else if (req.url === '/moved') res.writeHead(302, { Location: 'http://127.0.0.1/ok' }).end();
        // '/hang': never answers
      });
    });
    port = await new Promise((r) => server.listen(0, '127.0.0.1', () => r((server.address() as AddressInfo).port)));
    const spare = createServer();
    closedPort = await new Promise((r) => spare.listen(0, '127.0.0.1', () => r((spare.address() as AddressInfo).port)));
    await new Promise((r) => spare.close(r));
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await cs.close();
  });

  test('delivers, refuses non-public targets unless allowed, and reports what went wrong', async () => {
    const resolver = createDnsResolver({ server: cs.dnsAddress, timeoutMs: 1000, tries: 2 });
    const cases: Array<[string, string, boolean, WebhookResult, number?]> = [
      ['2xx is delivered', `http://127.0.0.1:${port}/ok`, true, { ok: true, status: 204 }],
      [
        'a name is resolved, then the vetted address is called',
        `http://hooks.example.test:${port}/ok`,
        true,
        { ok: true, status: 204 },
      ],
      [
        'the next address is tried past a connection failure',
        `http://mixed.example.test:${port}/ok`,
        true,
        { ok: true, status: 204 },
      ],
      ['5xx is a failure', `http://127.0.0.1:${port}/fail`, true, { ok: false, error: 'HTTP 500' }],
      ['a redirect is not followed', `http://127.0.0.1:${port}/moved`, true, { ok: false, error: 'HTTP 302' }],
      [
        'loopback literal refused',
        `http://127.0.0.1:${port}/ok`,
        false,
        { ok: false, error: '127.0.0.1 resolves only to non-public addresses' },
      ],
      [
        'a name pointing at loopback refused',
        `http://hooks.example.test:${port}/ok`,
        false,
        { ok: false, error: 'hooks.example.test resolves only to non-public addresses' },
      ],
      [
        'metadata service refused',
        'http://169.254.169.254/latest',
        false,
        { ok: false, error: '169.254.169.254 resolves only to non-public addresses' },
      ],
      [
        'DNS failure',
        `http://broken.example.test:${port}/ok`,
        true,
        { ok: false, error: 'DNS lookup for broken.example.test failed (SERVFAIL)' },
      ],
      [
        'no such name',
        `http://nothing.example.test:${port}/ok`,
        true,
        { ok: false, error: 'nothing.example.test has no A or AAAA record' },
      ],
      [
        'nothing listening',
        `http://127.0.0.1:${closedPort}/ok`,
        true,
        { ok: false, error: `could not connect to 127.0.0.1 (127.0.0.1) on port ${closedPort}: ECONNREFUSED` },
      ],
      ['no answer in time', `http://127.0.0.1:${port}/hang`, true, { ok: false, error: 'no answer within 300 ms' }],
      ['not http', 'ftp://127.0.0.1/x', true, { ok: false, error: 'the webhook URL is not http(s)' }],
    ];
    for (const [name, url, allowPrivateTargets, want] of cases) {
      const before = seen.length;
      const got = await postWebhook(
        { resolver, allowPrivateTargets },
        { url, body: '{"a":1}', headers: { 'Content-Type': 'application/json' }, timeoutMs: 300 },
      );
      assert.deepEqual(got, want, name);
      if (!allowPrivateTargets) assert.equal(seen.length, before, `${name}: nothing reached the server`);
    }
  });

  test("the call carries the body, the caller's headers and the URL's host", async () => {
    const before = seen.length;
    await postWebhook(
      { resolver: createDnsResolver({ server: cs.dnsAddress }), allowPrivateTargets: true },
      {
        url: `http://hooks.example.test:${port}/ok?x=1`,
        body: '{"NoticeId":7}',
        headers: { 'Content-Type': 'application/json', 'X-Certdesk-Notice-Id': '7' },
        timeoutMs: 2000,
      },
    );
    const got = seen[before]!;
    assert.equal(got.path, '/ok?x=1');
    assert.equal(got.body, '{"NoticeId":7}');
    assert.equal(got.headers.host, `hooks.example.test:${port}`);
    assert.equal(got.headers['content-type'], 'application/json');
    assert.equal(got.headers['x-certdesk-notice-id'], '7');
  });
});
