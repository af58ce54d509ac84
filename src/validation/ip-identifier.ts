// IP address identifiers (RFC 8738): their textual form, their reverse-DNS name (the SNI of a
// tls-alpn-01 check), and the http-01 check aimed at the address itself. RFC 8738 §4: for an
// IP identifier "the initial DNS resolution step MUST be skipped and the IP address used for
// validation MUST be the value of the identifier"; only http-01 and tls-alpn-01 apply
// (§7: dns-01 has no name to put a record under).

import { isIP } from 'node:net';
import { formatIpv6 } from '../domain/ip-text.js';
import { addressOctets, isPublicAddress } from './address-guard.js';
import { failedAs, passed, quoteForReason, type CheckResult } from './check-result.js';
import { HTTP01_MAX_BYTES } from './acme-http-01.js';
import { isHttpFetchError, type HttpFetcher } from './ports.js';

/** True for an IPv4 or IPv6 address literal (no brackets, no zone index, no port). */
export function isIpIdentifier(value: string): boolean {
  return isIP(value) !== 0 && !value.includes('%');
}

/**
 * The one textual form of an IP identifier, or undefined when `value` is not an address.
 * RFC 8738 §3: IPv4 as in RFC 1123 §2.1 (dotted decimal; node's isIP already refuses leading
 * zeros, octal and hex forms), IPv6 as in RFC 5952 §4 (lower case, no leading zeros, "::" for
 * the longest run of two or more zero groups, the first such run on a tie). IPv4-mapped
 * addresses keep the dotted tail RFC 5952 §5 recommends.
 */
export function normalizeIpIdentifier(value: string): string | undefined {
  if (!isIpIdentifier(value)) return undefined;
  const octets = addressOctets(value);
  if (octets === undefined) return undefined;
  if (octets.length === 4) return [...octets].join('.');
  if (octets.subarray(0, 10).every((b) => b === 0) && octets[10] === 0xff && octets[11] === 0xff) {
    return `::ffff:${[...octets.subarray(12)].join('.')}`;
  }
  return formatIpv6(octets);
}

/**
 * The reverse-DNS name of an address: RFC 1035 §3.5 (`d.c.b.a.in-addr.arpa`) and RFC 3596
 * §2.5 (32 nibbles, least significant first, `.ip6.arpa`). RFC 8738 §6 makes it the SNI of a
 * tls-alpn-01 check, because RFC 6066 §3 does not allow an address as a server name.
 */
export function reverseDnsName(ip: string): string {
  const octets = isIpIdentifier(ip) ? addressOctets(ip) : undefined;
  if (octets === undefined) throw new TypeError('reverseDnsName needs an IP address');
  if (octets.length === 4) return `${[...octets].reverse().join('.')}.in-addr.arpa`;
  const nibbles: string[] = [];
  for (const b of octets) nibbles.push((b >> 4).toString(16), (b & 0x0f).toString(16));
  return `${nibbles.reverse().join('.')}.ip6.arpa`;
}

/**
 * RFC 7230 §5.4 Host header for an address: an IPv6 literal goes in brackets (RFC 3986
 * §3.2.2); the port is added when it is not the default 80.
 */
export function ipHostHeader(ip: string, port: number): string {
  const host = isIP(ip) === 6 ? `[${ip}]` : ip;
  return port === 80 ? host : `${host}:${port}`;
}

/** RFC 8555 §8.3: the path of the http-01 resource. */
export const HTTP01_PATH_PREFIX = '/.well-known/acme-challenge/';

const DEFAULT_TIMEOUT_MS = 10_000;

// RFC 8555 §8.1: tokens use the base64url alphabet; anything else would let a token steer the path.
const TOKEN_SYNTAX = /^[A-Za-z0-9_-]+$/;

export interface Http01IpCheckOptions {
  /** The IP identifier (any valid textual form; it is normalized first). */
  ip: string;
  token: string;
  keyAuthorization: string;
  /** 80 in production (RFC 8555 §8.3); tests point it at the challenge server. */
  port?: number;
  /** Allow loopback/private targets: only for tests against the loopback challenge server. */
  allowPrivate: boolean;
  timeoutMs?: number;
}

/**
 * http-01 for an IP identifier (RFC 8738 §4-5, BR §3.2.2.5.6): one GET to the address itself,
 * no DNS lookup, Host set to the address. A redirect is reported, not followed: the target of
 * an IP validation is the address (RFC 8738 §4), so the caller decides whether to chase a
 * Location elsewhere.
 */
export async function checkHttp01Ip(deps: { fetcher: HttpFetcher }, opts: Http01IpCheckOptions): Promise<CheckResult> {
  const ip = normalizeIpIdentifier(opts.ip);
  if (ip === undefined) {
    return failedAs('unauthorized', `"${quoteForReason(opts.ip, 60)}" is not an IP address.`, true);
  }
  if (!TOKEN_SYNTAX.test(opts.token)) return failedAs('unauthorized', 'The challenge token is malformed.', true);
  // The same SSRF guard as names get after their lookup (address-guard.ts).
  if (!opts.allowPrivate && !isPublicAddress(ip)) {
    return failedAs('connection', `${ip} is not a public address; certdesk does not connect to it.`, true);
  }
  const port = opts.port ?? 80;
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const hostHeader = ipHostHeader(ip, port);
  const path = `${HTTP01_PATH_PREFIX}${opts.token}`;
  const url = `http://${hostHeader}${path}`;
  try {
    const res = await deps.fetcher.get({ address: ip, port, hostHeader, path, timeoutMs, maxBytes: HTTP01_MAX_BYTES });
    return judgeHttp01(url, res.status, res.body, res.location, opts.keyAuthorization);
  } catch (e) {
    if (!isHttpFetchError(e)) throw e;
    switch (e.code) {
      case 'connect_failed':
      case 'bad_address':
        return failedAs('connection', `Could not connect to ${ipHostHeader(ip, 80)} on port ${port}.`);
      case 'timeout':
        return failedAs('connection', `${url} did not answer within ${timeoutMs} ms.`);
      case 'too_large':
        if (e.status !== undefined && e.status !== 200) return judgeStatus(url, e.status, undefined);
        return failedAs(
          'unauthorized',
          `The answer at ${url} is longer than ${HTTP01_MAX_BYTES} bytes; it must hold only the key authorization.`,
        );
      case 'bad_response':
        return failedAs('connection', `${url} did not give a valid HTTP answer.`);
    }
  }
}

function judgeStatus(url: string, status: number, location: string | undefined): CheckResult {
  if (status >= 300 && status < 400) {
    const target = location === undefined ? '' : ` to ${quoteForReason(location)}`;
    return failedAs('unauthorized', `${url} answered ${status} (redirect${target}); the address itself must answer.`);
  }
  return failedAs('unauthorized', `${url} answered ${status}; expected 200.`);
}

function judgeHttp01(
  url: string,
  status: number,
  body: Buffer,
  location: string | undefined,
  keyAuthorization: string,
): CheckResult {
  // The ACME wire rule is stricter than RFC 8555 §8.3's "2xx": only 200 counts.
  if (status !== 200) return judgeStatus(url, status, location);
  // RFC 8555 §8.3: "The server SHOULD ignore whitespace characters at the end of the body."
  const text = body.toString('utf8').replace(/\s+$/, '');
  if (keyAuthorization !== '' && text === keyAuthorization) return passed;
  return failedAs('unauthorized', `The answer at ${url} is not the expected key authorization.`);
}
