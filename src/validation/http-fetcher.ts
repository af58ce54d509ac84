// The production HttpFetcher: one plain GET over a fresh connection to an address the caller
// has already resolved and vetted (address-guard.ts). It never resolves a name itself, so a
// DNS answer that changes between the check and the connection (DNS rebinding) cannot steer
// it, and it never follows redirects: the caller decides what a 3xx means.

import { request } from 'node:http';
import { isIP } from 'node:net';
import { HttpFetchError, type HttpFetcher, type HttpFetchOptions, type HttpFetchResponse } from './ports.js';

export function createHttpFetcher(): HttpFetcher {
  return { get: fetchOnce };
}

function fetchOnce(opts: HttpFetchOptions): Promise<HttpFetchResponse> {
  if (isIP(opts.address) === 0) {
    return Promise.reject(new HttpFetchError('bad_address', 'the fetcher only connects to IP addresses'));
  }
  return new Promise((resolve, reject) => {
    let settled = false;
    let status: number | undefined;

    const settle = (outcome: { value: HttpFetchResponse } | { error: HttpFetchError }): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if ('value' in outcome) resolve(outcome.value);
      else {
        req.destroy();
        reject(outcome.error);
      }
    };

    const req = request({
      // An IP literal: net.connect does not call dns.lookup for it.
      host: opts.address,
      port: opts.port,
      method: 'GET',
      path: opts.path,
      setHost: false,
      headers: {
        Host: opts.hostHeader,
        Accept: '*/*',
        'User-Agent': 'certdesk-validation',
        // One request per connection: nothing is pooled between validations.
        Connection: 'close',
      },
      agent: false,
    });

    // One deadline for everything, connect to last body byte: a slow drip of bytes must not
    // hold a worker forever.
    const timer = setTimeout(() => {
      settle({ error: new HttpFetchError('timeout', `no complete answer within ${opts.timeoutMs} ms`, { status }) });
    }, opts.timeoutMs);

    req.on('response', (res) => {
      status = res.statusCode ?? 0;
      const declared = Number(res.headers['content-length']);
      if (Number.isFinite(declared) && declared > opts.maxBytes) {
        settle({ error: tooLarge(opts.maxBytes, status) });
        return;
      }
      const chunks: Buffer[] = [];
      let received = 0;
      res.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received > opts.maxBytes) {
          settle({ error: tooLarge(opts.maxBytes, status) });
          return;
        }
        chunks.push(chunk);
      });
      res.on('end', () => {
        const location = res.headers.location;
        settle({
          value: {
            status: status ?? 0,
            body: Buffer.concat(chunks),
            ...(location === undefined ? {} : { location }),
          },
        });
      });
      res.on('error', (e) => {
        settle({
          error: new HttpFetchError('bad_response', 'the connection broke during the answer', { status, cause: e }),
        });
      });
    });

    req.on('error', (e: NodeJS.ErrnoException) => {
      // Before a status line this is a failure to connect (refused, unreachable, reset) or
      // an answer that is not HTTP at all (the parser's HPE_* codes).
      const code = e.code ?? '';
      if (code.startsWith('HPE_')) {
        settle({ error: new HttpFetchError('bad_response', 'the answer is not valid HTTP', { status, cause: e }) });
      } else if (status === undefined) {
        settle({ error: new HttpFetchError('connect_failed', `could not connect (${code || 'error'})`, { cause: e }) });
      } else {
        settle({
          error: new HttpFetchError('bad_response', 'the connection broke during the answer', { status, cause: e }),
        });
      }
    });

    req.end();
  });
}

function tooLarge(maxBytes: number, status: number | undefined): HttpFetchError {
  return new HttpFetchError('too_large', `the body is larger than ${maxBytes} bytes`, { status });
}
