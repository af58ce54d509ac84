import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startChallengeServer, type ChallengeServer } from '../../test/challenge-server.js';
import { createHttpFetcher } from './http-fetcher.js';
import { HttpFetchError, type HttpFetchFailure, type HttpFetchOptions } from './ports.js';

describe('createHttpFetcher', () => {
  let cs: ChallengeServer;
  const fetcher = createHttpFetcher();
  const opts = (over: Partial<HttpFetchOptions>): HttpFetchOptions => ({
    address: '127.0.0.1',
    port: cs.httpPort,
    hostHeader: 'site.example.test',
    path: '/f',
    timeoutMs: 2000,
    maxBytes: 100,
    ...over,
  });
  before(async () => {
    cs = await startChallengeServer();
  });
  after(() => cs.close());

  test('connects to the given address and sends the given Host header', async () => {
    cs.setHttp('site.example.test', '/f', { body: 'for site' });
    cs.setHttp('other.example.test', '/f', { body: 'for other' });
    const res = await fetcher.get(opts({ hostHeader: `other.example.test:${cs.httpPort}` }));
    assert.equal(res.status, 200);
    assert.equal(res.body.toString(), 'for other');
  });

  test('reports a redirect without following it', async () => {
    cs.setHttp('site.example.test', '/moved', { status: 302, headers: { Location: 'http://site.example.test/f' } });
    const res = await fetcher.get(opts({ path: '/moved' }));
    assert.equal(res.status, 302);
    assert.equal(res.location, 'http://site.example.test/f');
  });

  test('a body of exactly maxBytes is fine', async () => {
    cs.setHttp('site.example.test', '/exact', { body: 'z'.repeat(100) });
    assert.equal((await fetcher.get(opts({ path: '/exact' }))).body.length, 100);
  });

  const failures: Array<{
    name: string;
    setup: () => Partial<HttpFetchOptions>;
    code: HttpFetchFailure;
    status?: number;
  }> = [
    {
      name: 'a body past maxBytes (declared length)',
      setup: () => {
        cs.setHttp('site.example.test', '/big', { body: 'z'.repeat(101) });
        return { path: '/big' };
      },
      code: 'too_large',
      status: 200,
    },
    {
      name: 'a body past maxBytes (chunked, no length)',
      setup: () => {
        cs.setHttp('site.example.test', '/chunked', {
          body: 'z'.repeat(5000),
          headers: { 'Transfer-Encoding': 'chunked' },
        });
        return { path: '/chunked' };
      },
      code: 'too_large',
      status: 200,
    },
    {
      name: 'no answer within timeoutMs',
      setup: () => {
        cs.setHttp('site.example.test', '/slow', { body: 'late', delayMs: 10_000 });
        return { path: '/slow', timeoutMs: 300 };
      },
      code: 'timeout',
    },
    {
      name: 'a host name instead of an address is refused (never re-resolved)',
      setup: () => ({ address: 'localhost' }),
      code: 'bad_address',
    },
    {
      name: 'nothing listening',
      setup: () => ({ address: '127.0.0.2' }), // the challenge server listens on 127.0.0.1 only
      code: 'connect_failed',
    },
  ];
  for (const f of failures) {
    test(`rejects: ${f.name}`, async () => {
      await assert.rejects(fetcher.get(opts(f.setup())), (e: unknown) => {
        assert.ok(e instanceof HttpFetchError);
        assert.equal(e.code, f.code);
        assert.equal(e.status, f.status);
        return true;
      });
    });
  }
});
