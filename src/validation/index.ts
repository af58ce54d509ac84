// Domain-control validation (DNS TXT, HTTP file) and CAA checks; see docs/ARCHITECTURE.md.
export { isPublicAddress } from './address-guard.js';
export { checkCaa } from './caa.js';
export { type CheckResult } from './check-result.js';
export { createDnsResolver, type DnsResolverOptions } from './dns-resolver.js';
export { checkDnsTxt, dnsRecordName, DNS_RECORD_LABEL } from './dns-txt.js';
export { checkHttpFile, FILE_MAX_BYTES, FILE_VALIDATION_PATH, type HttpFileCheckOptions } from './http-file.js';
export { createHttpFetcher } from './http-fetcher.js';
export {
  DnsLookupError,
  HttpFetchError,
  isDnsLookupError,
  isHttpFetchError,
  type CaaRecord,
  type DnsResolver,
  type HttpFetcher,
  type HttpFetchFailure,
  type HttpFetchOptions,
  type HttpFetchResponse,
} from './ports.js';
