// HTTP file domain-control validation: BR §3.2.2.4.18 "Agreed-Upon Change to Website v2",
// Alibaba's FILE method (CAS API reference: DescribeCertificateState domain verification fields: Uri `/.well-known/pki-validation/fileauth.txt`).

import { isPublicAddress } from './address-guard.js';
import { failed, normalizeDomain, passed, quoteForReason, type CheckResult } from './check-result.js';
import { isDnsLookupError, isHttpFetchError, type DnsResolver, type HttpFetcher } from './ports.js';

/** The Uri CAS returns for FILE validation (CAS API reference: DescribeCertificateState domain verification fields). */
export const FILE_VALIDATION_PATH = '/.well-known/pki-validation/fileauth.txt';

/** The file holds one short token; anything bigger is not our file (and not worth reading). */
export const FILE_MAX_BYTES = 4096;

const DEFAULT_TIMEOUT_MS = 10_000;

export interface HttpFileCheckOptions {
  domain: string;
  expected: string;
  /** 80 in production (BR "Authorized Ports"); tests point it at the challenge server. */
  port?: number;
  /** Allow loopback/private targets: only for tests against the loopback challenge server. */
  allowPrivate: boolean;
  timeoutMs?: number;
}

export async function checkHttpFile(
  deps: { resolver: DnsResolver; fetcher: HttpFetcher },
  opts: HttpFileCheckOptions,
): Promise<CheckResult> {
  const domain = normalizeDomain(opts.domain);
  const port = opts.port ?? 80;
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const url = `http://${domain}${port === 80 ? '' : `:${port}`}${FILE_VALIDATION_PATH}`;

  // BR §3.2.2.4.18 cannot validate a wildcard: a file on one host proves nothing about the others.
  if (domain.startsWith('*.')) {
    return failed(`File validation cannot be used for the wildcard name ${domain}; use DNS validation.`);
  }

  let addresses: string[];
  try {
    addresses = await deps.resolver.addresses(domain);
  } catch (e) {
    if (isDnsLookupError(e)) return failed(`DNS lookup for ${domain} failed (${e.reason}); try again later.`);
    throw e;
  }
  if (addresses.length === 0) return failed(`${domain} has no A or AAAA record.`);
  const targets = opts.allowPrivate ? addresses : addresses.filter(isPublicAddress);
  if (targets.length === 0) return failed(`${domain} resolves only to non-public addresses.`);

  // Try each address in turn, but only past connection failures: once a server answers,
  // its answer is the result.
  let lastConnectFailure = '';
  for (const address of targets) {
    try {
      const res = await deps.fetcher.get({
        address,
        port,
        hostHeader: port === 80 ? domain : `${domain}:${port}`,
        path: FILE_VALIDATION_PATH,
        timeoutMs,
        maxBytes: FILE_MAX_BYTES,
      });
      return judgeResponse(url, res.status, res.body, res.location, opts.expected);
    } catch (e) {
      if (!isHttpFetchError(e)) throw e;
      switch (e.code) {
        case 'connect_failed':
        case 'bad_address':
          lastConnectFailure = `Could not connect to ${domain} (${address}) on port ${port}.`;
          continue;
        case 'timeout':
          return failed(`${url} did not answer within ${timeoutMs} ms.`);
        case 'too_large':
          // A large error page is still an error page: report the status first.
          if (e.status !== undefined && !isSuccess(e.status)) return judgeStatus(url, e.status, undefined);
          return failed(
            `The file at ${url} is larger than ${FILE_MAX_BYTES} bytes; it must contain only the expected value.`,
          );
        case 'bad_response':
          return failed(`${url} did not give a valid HTTP answer.`);
      }
    }
  }
  return failed(lastConnectFailure);
}

function isSuccess(status: number): boolean {
  return status >= 200 && status < 300;
}

function judgeStatus(url: string, status: number, location: string | undefined): CheckResult {
  if (status >= 300 && status < 400) {
    // CAS API reference: DescribeCertificateState domain verification fields: "no redirects are allowed" (stricter than BR §3.2.2.4.18, which would
    // follow 301/302/307/308 to an Authorized Port).
    const target = location === undefined ? '' : ` to ${quoteForReason(location)}`;
    return failed(`${url} answered ${status} (redirect${target}); redirects are not allowed.`);
  }
  return failed(`${url} answered ${status}.`);
}

function judgeResponse(
  url: string,
  status: number,
  body: Buffer,
  location: string | undefined,
  expected: string,
): CheckResult {
  // BR §3.2.2.4.18: only a 2xx answer counts.
  if (!isSuccess(status)) return judgeStatus(url, status, location);
  const want = expected.trim();
  if (want !== '' && body.toString('utf8').trim() === want) return passed;
  return failed(`The file at ${url} does not contain the expected value.`);
}
