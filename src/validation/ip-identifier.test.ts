// IP identifiers (RFC 8738): the textual form, the reverse name, and http-01 against real
// loopback HTTP servers (the challenge server on 127.0.0.1, a bare one on ::1).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startChallengeServer, type ChallengeServer } from '../../test/challenge-server.js';
import { brMethod, challengeTypesFor } from './acme-methods.js';
import { createHttpFetcher } from './http-fetcher.js';
import {
  checkHttp01Ip,
  HTTP01_PATH_PREFIX,
  ipHostHeader,
  isIpIdentifier,
  normalizeIpIdentifier,
  reverseDnsName,
} from './ip-identifier.js';

describe('normalizeIpIdentifier', () => {
  const cases: Array<[input: string, expected: string | undefined]> = [
    ['192.0.2.1', '192.0.2.1'],
    // RFC 1123 §2.1 dotted decimal only: node's isIP refuses what inet_aton would take.
    ['192.000.2.1', undefined],
    ['0x7f.0.0.1', undefined],
    ['127.1', undefined],
    ['2001:DB8::1', '2001:db8::1'], // RFC 5952 §4.3: lower case
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'], // §4.1 no leading zeros, §4.2.1 compress
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // §4.2.3: the first of two equal runs
    ['2001:db8:0:1:0:0:0:1', '2001:db8:0:1::1'], // §4.2.3: the longest run, not the first
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // §4.2.2: a single zero group stays
    ['::', '::'],
    ['::1', '::1'],
    ['fe80::', 'fe80::'],
    ['::FFFF:192.0.2.1', '::ffff:192.0.2.1'], // RFC 5952 §5: mapped addresses keep the dotted tail
    ['::ffff:c000:201', '::ffff:192.0.2.1'],
    ['fe80::1%eth0', undefined], // a zone index names an interface, not an identifier
    ['[::1]', undefined],
    ['example.com', undefined],
    ['', undefined],
  ];
  for (const [input, expected] of cases) {
    test(`${JSON.stringify(input)} -> ${String(expected)}`, () => {
      assert.equal(normalizeIpIdentifier(input), expected);
      assert.equal(isIpIdentifier(input), expected !== undefined);
    });
  }
  test('isIpIdentifier', () => {
    assert.equal(isIpIdentifier('192.0.2.1'), true);
    assert.equal(isIpIdentifier('2001:db8::1'), true);
    assert.equal(isIpIdentifier('fe80::1%eth0'), false);
    assert.equal(isIpIdentifier('example.com'), false);
    assert.equal(isIpIdentifier('1.2.3.4.example.com'), false);
  });
});

describe('reverseDnsName (RFC 8738 §6)', () => {
  test('IPv4: octets reversed under in-addr.arpa (RFC 1035 §3.5)', () => {
    assert.equal(reverseDnsName('192.0.2.1'), '1.2.0.192.in-addr.arpa');
  });
  test('IPv6: 32 nibbles reversed under ip6.arpa (RFC 3596 §2.5, its own example)', () => {
    assert.equal(
      reverseDnsName('4321:0:1:2:3:4:567:89ab'),
      'b.a.9.8.7.6.5.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.0.0.0.0.1.2.3.4.ip6.arpa',
    );
  });
  test('a name is refused', () => {
    assert.throws(() => reverseDnsName('example.com'), TypeError);
  });
});

describe('ipHostHeader (RFC 7230 §5.4)', () => {
  test('IPv4 bare, IPv6 in brackets, port only when not 80', () => {
    assert.equal(ipHostHeader('192.0.2.1', 80), '192.0.2.1');
    assert.equal(ipHostHeader('192.0.2.1', 8080), '192.0.2.1:8080');
    assert.equal(ipHostHeader('2001:db8::1', 80), '[2001:db8::1]');
    assert.equal(ipHostHeader('::1', 5002), '[::1]:5002');
  });
});

describe('challenge types and BR methods per identifier', () => {
  test('a name gets all four; a wildcard only the DNS ones; an IP only http-01 and tls-alpn-01', () => {
    assert.deepEqual(challengeTypesFor({ type: 'dns', value: 'example.com' }), [
      'http-01',
      'dns-01',
      'tls-alpn-01',
      'dns-account-01',
    ]);
    assert.deepEqual(challengeTypesFor({ type: 'dns', value: '*.example.com' }), ['dns-01', 'dns-account-01']);
    assert.deepEqual(challengeTypesFor({ type: 'dns', value: 'example.com', wildcard: true }), [
      'dns-01',
      'dns-account-01',
    ]);
    // RFC 8738 §7: dns-01 MUST NOT validate an IP identifier.
    assert.deepEqual(challengeTypesFor({ type: 'ip', value: '192.0.2.1' }), ['http-01', 'tls-alpn-01']);
  });
  test('BR method numbers', () => {
    assert.equal(brMethod('http-01', 'dns'), '3.2.2.4.19');
    assert.equal(brMethod('dns-01', 'dns'), '3.2.2.4.7');
    assert.equal(brMethod('tls-alpn-01', 'dns'), '3.2.2.4.20');
    assert.equal(brMethod('dns-account-01', 'dns'), '3.2.2.4.21');
    assert.equal(brMethod('http-01', 'ip'), '3.2.2.5.6');
    assert.equal(brMethod('tls-alpn-01', 'ip'), '3.2.2.5.7');
    assert.equal(brMethod('dns-01', 'ip'), undefined);
    assert.equal(brMethod('dns-account-01', 'ip'), undefined);
  });
});

const TOKEN = 'evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA';
const KEY_AUTH = `${TOKEN}.9jg46WB3rR_AHD-EBXdN7cBkH1WOu0tA3M9fm21mqTI`;
const PATH = `${HTTP01_PATH_PREFIX}${TOKEN}`;

describe('checkHttp01Ip against the challenge server (127.0.0.1)', () => {
  let cs: ChallengeServer;
  const fetcher = createHttpFetcher();
  before(async () => {
    cs = await startChallengeServer();
  });
  after(() => cs.close());

  const check = (over: Partial<Parameters<typeof checkHttp01Ip>[1]> = {}) =>
    checkHttp01Ip(
      { fetcher },
      { ip: '127.0.0.1', token: TOKEN, keyAuthorization: KEY_AUTH, port: cs.httpPort, allowPrivate: true, ...over },
    );
  const url = (): string => `http://127.0.0.1:${cs.httpPort}${PATH}`;

  test('the key authorization with trailing whitespace passes (RFC 8555 §8.3); Host is the address', async () => {
    // The challenge server routes by Host: this passes only if Host was "127.0.0.1:port".
    cs.setHttp('127.0.0.1', PATH, { body: `${KEY_AUTH} \r\n` });
    assert.deepEqual(await check(), { ok: true });
  });
  test('wrong content', async () => {
    cs.setHttp('127.0.0.1', PATH, { body: `${TOKEN}.another-thumbprint` });
    assert.deepEqual(await check(), {
      ok: false,
      reason: `The answer at ${url()} is not the expected key authorization.`,
      problem: 'unauthorized',
    });
  });
  test('leading whitespace is not ignored', async () => {
    cs.setHttp('127.0.0.1', PATH, { body: ` ${KEY_AUTH}` });
    assert.equal((await check()).ok, false);
  });
  test('only 200 counts, not other 2xx', async () => {
    cs.setHttp('127.0.0.1', PATH, { status: 204 });
    assert.deepEqual(await check(), {
      ok: false,
      reason: `${url()} answered 204; expected 200.`,
      problem: 'unauthorized',
    });
  });
  test('a redirect is reported, not followed', async () => {
    cs.setHttp('127.0.0.1', PATH, { status: 302, headers: { Location: 'http://example.test/x' } });
    assert.deepEqual(await check(), {
      ok: false,
      reason: `${url()} answered 302 (redirect to http://example.test/x); the address itself must answer.`,
      problem: 'unauthorized',
    });
  });
  test('more than 128 bytes is not a key authorization', async () => {
    cs.setHttp('127.0.0.1', PATH, { body: KEY_AUTH + 'x'.repeat(100) });
    assert.deepEqual(await check(), {
      ok: false,
      reason: `The answer at ${url()} is longer than 128 bytes; it must hold only the key authorization.`,
      problem: 'unauthorized',
    });
  });
  test('a 404 is reported by its status', async () => {
    cs.clearHttp('127.0.0.1');
    cs.setHttp('127.0.0.1', '/elsewhere', { body: 'x' });
    assert.deepEqual(await check(), {
      ok: false,
      reason: `${url()} answered 404; expected 200.`,
      problem: 'unauthorized',
    });
  });
  test('nothing listening', async () => {
    assert.deepEqual(await check({ ip: '127.0.0.2' }), {
      ok: false,
      reason: `Could not connect to 127.0.0.2 on port ${cs.httpPort}.`,
      problem: 'connection',
    });
  });
  test('a non-public address is refused without connecting unless allowPrivate', async () => {
    cs.setHttp('127.0.0.1', PATH, { body: KEY_AUTH });
    assert.deepEqual(await check({ allowPrivate: false }), {
      ok: false,
      reason: '127.0.0.1 is not a public address; certdesk does not connect to it.',
      permanent: true,
      problem: 'connection',
    });
  });
  test('not an address, or a token outside base64url', async () => {
    assert.deepEqual(await check({ ip: 'example.com' }), {
      ok: false,
      reason: '"example.com" is not an IP address.',
      permanent: true,
      problem: 'unauthorized',
    });
    assert.deepEqual(await check({ token: '../../etc/passwd' }), {
      ok: false,
      reason: 'The challenge token is malformed.',
      permanent: true,
      problem: 'unauthorized',
    });
  });
});

describe('checkHttp01Ip over IPv6 (::1)', () => {
  let server: http.Server;
  let port: number;
  const hosts: string[] = [];
  before(async () => {
    server = http.createServer((req, res) => {
      hosts.push(req.headers.host ?? '');
      res.writeHead(req.url === PATH ? 200 : 404);
      res.end(req.url === PATH ? KEY_AUTH : 'no');
    });
    await new Promise<void>((resolve) => server.listen(0, '::1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  test('connects to the address and sends Host in brackets (RFC 8738 §5)', async () => {
    const result = await checkHttp01Ip(
      { fetcher: createHttpFetcher() },
      { ip: '0:0:0:0:0:0:0:1', token: TOKEN, keyAuthorization: KEY_AUTH, port, allowPrivate: true },
    );
    assert.deepEqual(result, { ok: true });
    assert.deepEqual(hosts, [`[::1]:${port}`]);
  });
});
