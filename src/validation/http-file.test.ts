import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startChallengeServer, type ChallengeServer } from '../../test/challenge-server.js';
import { createDnsResolver } from './dns-resolver.js';
import { createHttpFetcher } from './http-fetcher.js';
import { checkHttpFile, FILE_VALIDATION_PATH } from './http-file.js';
import type { DnsResolver, HttpFetcher } from './ports.js';

const TOKEN = 'file-token-0123456789abcdef';

describe('checkHttpFile', () => {
  let cs: ChallengeServer;
  let deps: { resolver: DnsResolver; fetcher: HttpFetcher };
  const url = (domain: string): string => `http://${domain}:${cs.httpPort}${FILE_VALIDATION_PATH}`;
  const serve = (
    domain: string,
    response: Parameters<ChallengeServer['setHttp']>[2],
    addresses = ['127.0.0.1'],
  ): void => {
    cs.setA(domain, addresses);
    cs.setHttp(domain, FILE_VALIDATION_PATH, response);
  };

  before(async () => {
    cs = await startChallengeServer();
    deps = {
      resolver: createDnsResolver({ server: cs.dnsAddress, timeoutMs: 1000, tries: 2 }),
      fetcher: createHttpFetcher(),
    };
    serve('ok.test', { body: `${TOKEN}\n` });
    serve('wrong.test', { body: 'another-token' });
    serve('notfound.test', { status: 404, body: 'no such file' });
    serve('bigerror.test', { status: 500, body: 'e'.repeat(10_000) });
    serve('redirect.test', { status: 301, headers: { Location: 'https://www.redirect.test/x' } });
    serve('oversize.test', { body: TOKEN + ' '.repeat(5000) });
    serve('slow.test', { body: TOKEN, delayMs: 10_000 });
    serve('fallback.test', { body: TOKEN }, ['127.0.0.2', '127.0.0.1']); // nothing listens on .2
    cs.setAaaa('v6only.test', ['fe80::1']);
    cs.setTxt('noaddress.test', ['x']);
    cs.setServfail('broken.test');
  });
  after(() => cs.close());

  const cases: Array<{
    name: string;
    domain: string;
    allowPrivate?: boolean;
    timeoutMs?: number;
    reason?: (d: string) => string;
  }> = [
    { name: 'the file holds the expected value (trailing newline ignored)', domain: 'ok.test' },
    { name: 'the first address refuses, the next one answers', domain: 'fallback.test' },
    {
      name: 'wrong content',
      domain: 'wrong.test',
      reason: (d) => `The file at ${url(d)} does not contain the expected value.`,
    },
    { name: '404', domain: 'notfound.test', reason: (d) => `${url(d)} answered 404.` },
    {
      name: 'a large error page is reported by its status',
      domain: 'bigerror.test',
      reason: (d) => `${url(d)} answered 500.`,
    },
    {
      name: 'a 301 redirect is refused (CAS API reference: DescribeCertificateState domain verification fields)',
      domain: 'redirect.test',
      reason: (d) => `${url(d)} answered 301 (redirect to https://www.redirect.test/x); redirects are not allowed.`,
    },
    {
      name: 'a body over 4096 bytes',
      domain: 'oversize.test',
      reason: (d) => `The file at ${url(d)} is larger than 4096 bytes; it must contain only the expected value.`,
    },
    {
      name: 'no answer in time',
      domain: 'slow.test',
      timeoutMs: 300,
      reason: (d) => `${url(d)} did not answer within 300 ms.`,
    },
    {
      name: 'a wildcard is refused (BR §3.2.2.4.18 is not wildcard-capable)',
      domain: '*.ok.test',
      reason: () => 'File validation cannot be used for the wildcard name *.ok.test; use DNS validation.',
    },
    {
      name: 'loopback is refused without allowPrivate',
      domain: 'ok.test',
      allowPrivate: false,
      reason: () => 'ok.test resolves only to non-public addresses.',
    },
    {
      name: 'link-local IPv6 is refused without allowPrivate',
      domain: 'v6only.test',
      allowPrivate: false,
      reason: () => 'v6only.test resolves only to non-public addresses.',
    },
    { name: 'no A/AAAA record', domain: 'noaddress.test', reason: () => 'noaddress.test has no A or AAAA record.' },
    { name: 'unknown name', domain: 'missing.test', reason: () => 'missing.test has no A or AAAA record.' },
    {
      name: 'DNS failure',
      domain: 'broken.test',
      reason: () => 'DNS lookup for broken.test failed (SERVFAIL); try again later.',
    },
  ];
  for (const c of cases) {
    test(c.name, async () => {
      const result = await checkHttpFile(deps, {
        domain: c.domain,
        expected: TOKEN,
        port: cs.httpPort,
        allowPrivate: c.allowPrivate ?? true,
        ...(c.timeoutMs === undefined ? {} : { timeoutMs: c.timeoutMs }),
      });
      assert.deepEqual(result, c.reason === undefined ? { ok: true } : { ok: false, reason: c.reason(c.domain) });
    });
  }

  test('the Host header carries the domain, so another site on the same address does not count', async () => {
    cs.setA('shared.test', ['127.0.0.1']);
    cs.setHttp('neighbour.test', FILE_VALIDATION_PATH, { body: TOKEN });
    const result = await checkHttpFile(deps, {
      domain: 'shared.test',
      expected: TOKEN,
      port: cs.httpPort,
      allowPrivate: true,
    });
    assert.deepEqual(result, { ok: false, reason: `${url('shared.test')} answered 404.` });
  });

  test('asks for the file at /.well-known/pki-validation/fileauth.txt', () => {
    assert.equal(FILE_VALIDATION_PATH, '/.well-known/pki-validation/fileauth.txt');
  });
});
