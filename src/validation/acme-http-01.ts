// ACME http-01 (RFC 8555 §8.3): GET http://<name>/.well-known/acme-challenge/<token> must answer
// 200 with the key authorization (trailing whitespace ignored). The fetcher and resolver are
// the ports of this folder (ports.ts): never re-resolved, reserved addresses refused
// (address-guard.ts) unless a test allows them.
import { isPublicAddress } from './address-guard.js';
import { normalizeDomain, quoteForReason } from './check-result.js';
import { isDnsLookupError, isHttpFetchError, type DnsResolver, type HttpFetcher } from './ports.js';

/** RFC 8555 §8.3 answers are a key authorization: a 43-character token, '.', a 43-character thumbprint. */
export const HTTP01_MAX_BYTES = 128;
/** RFC 8555 §8.3 lets the server follow redirects; Let's Encrypt stops at 10, so do we. */
const MAX_REDIRECTS = 10;
const TIMEOUT_MS = 10_000;

/** RFC 8555 §6.7 problem types a failed challenge carries. */
export type AcmeValidationProblem = 'connection' | 'unauthorized' | 'dns' | 'tls' | 'incorrectResponse' | 'caa';

export type AcmeCheckResult = { ok: true } | { ok: false; problem: AcmeValidationProblem; reason: string };

const ok: AcmeCheckResult = Object.freeze({ ok: true });
export function acmeFailed(problem: AcmeValidationProblem, reason: string): AcmeCheckResult {
  return { ok: false, problem, reason };
}

export interface Http01Options {
  /** A DNS name (never a wildcard: RFC 8555 §7.1.3 offers http-01 only for exact names). */
  name: string;
  token: string;
  keyAuthorization: string;
  /** 80 in production (RFC 8555 §8.3); tests point it at the challenge server. */
  port: number;
  allowPrivate: boolean;
  timeoutMs?: number;
}

export async function checkAcmeHttp01(
  deps: { resolver: DnsResolver; fetcher: HttpFetcher },
  opts: Http01Options,
): Promise<AcmeCheckResult> {
  let host = normalizeDomain(opts.name);
  let path = `/.well-known/acme-challenge/${opts.token}`;
  const timeoutMs = opts.timeoutMs ?? TIMEOUT_MS;
  for (let hop = 0; ; hop++) {
    const url = `http://${host}${opts.port === 80 ? '' : `:${opts.port}`}${path}`;
    let addresses: string[];
    try {
      addresses = await deps.resolver.addresses(host);
    } catch (e) {
      if (isDnsLookupError(e)) return acmeFailed('dns', `DNS lookup for ${host} failed (${e.reason}).`);
      throw e;
    }
    if (addresses.length === 0) return acmeFailed('dns', `${host} has no A or AAAA record.`);
    const targets = opts.allowPrivate ? addresses : addresses.filter(isPublicAddress);
    if (targets.length === 0) return acmeFailed('connection', `${host} resolves only to non-public addresses.`);
    let answer: { status: number; body: Buffer; location?: string } | undefined;
    let lastFailure = '';
    for (const address of targets) {
      try {
        answer = await deps.fetcher.get({
          address,
          port: opts.port,
          hostHeader: opts.port === 80 ? host : `${host}:${opts.port}`,
          path,
          timeoutMs,
          maxBytes: HTTP01_MAX_BYTES,
        });
        break;
      } catch (e) {
        if (!isHttpFetchError(e)) throw e;
        if (e.code === 'connect_failed' || e.code === 'bad_address') {
          lastFailure = `Could not connect to ${host} (${address}) on port ${opts.port}.`;
          continue;
        }
        if (e.code === 'timeout') return acmeFailed('connection', `${url} did not answer within ${timeoutMs} ms.`);
        if (e.code === 'too_large')
          return acmeFailed('unauthorized', `The answer at ${url} is longer than ${HTTP01_MAX_BYTES} bytes.`);
        return acmeFailed('connection', `${url} did not give a valid HTTP answer.`);
      }
    }
    if (!answer) return acmeFailed('connection', lastFailure);
    if (answer.status >= 300 && answer.status < 400 && answer.location !== undefined) {
      if (hop >= MAX_REDIRECTS) return acmeFailed('connection', `Too many redirects from ${url}.`);
      let next: URL;
      try {
        next = new URL(answer.location, url);
      } catch {
        return acmeFailed('connection', `${url} redirects to an invalid URL.`);
      }
      // Only plain HTTP on the validation port: the fetcher speaks no TLS, and RFC 8555 §10.2
      // warns against following redirects to arbitrary ports.
      if (next.protocol !== 'http:' || (next.port === '' ? 80 : Number(next.port)) !== opts.port)
        return acmeFailed(
          'connection',
          `${url} redirects to ${quoteForReason(next.href)}; only http redirects on port ${opts.port} are followed.`,
        );
      host = next.hostname;
      path = `${next.pathname}${next.search}`;
      continue;
    }
    if (answer.status !== 200) return acmeFailed('unauthorized', `${url} answered ${answer.status}.`);
    const body = answer.body.toString('utf8').replace(/\s+$/, '');
    if (body === opts.keyAuthorization) return ok;
    return acmeFailed(
      'unauthorized',
      `The key authorization at ${url} is "${quoteForReason(body, 80)}", not the expected one.`,
    );
  }
}
