// Domain-control validation (DNS TXT, HTTP file, and the ACME methods tls-alpn-01,
// dns-account-01, http-01 for IP identifiers) and CAA checks; see docs/ARCHITECTURE.md.
export {
  ACME_CHALLENGE_TYPES,
  BR_METHOD_DNS_01,
  BR_METHOD_DNS_ACCOUNT_01,
  BR_METHOD_HTTP_01,
  BR_METHOD_HTTP_01_IP,
  BR_METHOD_TLS_ALPN_01,
  BR_METHOD_TLS_ALPN_01_IP,
  brMethod,
  challengeTypesFor,
  type AcmeChallengeType,
  type AcmeIdentifierType,
} from './acme-methods.js';
export { addressOctets, isPublicAddress } from './address-guard.js';
export { checkCaa, type CaaCheckOptions } from './caa.js';
export { type CheckResult, type FailureKind } from './check-result.js';
export {
  checkDnsAccount01,
  DNS_ACCOUNT_01_BR_METHOD,
  dnsAccount01RecordName,
  dnsAccountLabel,
  keyAuthorizationDigest,
  type DnsAccount01CheckOptions,
} from './dns-account-01.js';
export { createDnsResolver, type DnsResolverOptions } from './dns-resolver.js';
export { checkDnsTxt, dnsRecordName, DNS_RECORD_LABEL } from './dns-txt.js';
export { checkHttpFile, FILE_MAX_BYTES, FILE_VALIDATION_PATH, type HttpFileCheckOptions } from './http-file.js';
export { createHttpFetcher } from './http-fetcher.js';
export {
  checkHttp01Ip,
  HTTP01_PATH_PREFIX,
  ipHostHeader,
  isIpIdentifier,
  normalizeIpIdentifier,
  reverseDnsName,
  type Http01IpCheckOptions,
} from './ip-identifier.js';
export {
  DnsLookupError,
  HttpFetchError,
  isDnsLookupError,
  isHttpFetchError,
  isTlsConnectError,
  TlsConnectError,
  type CaaRecord,
  type DnsResolver,
  type HttpFetcher,
  type HttpFetchFailure,
  type HttpFetchOptions,
  type HttpFetchResponse,
  type TlsConnectFailure,
  type TlsConnector,
  type TlsHandshakeOptions,
  type TlsHandshakeResult,
} from './ports.js';
export {
  ACME_TLS_ALPN_PROTOCOL,
  checkTlsAlpn01,
  ID_PE_ACME_IDENTIFIER,
  TLS_ALPN_01_BR_METHOD,
  TLS_ALPN_01_IP_BR_METHOD,
  type TlsAlpn01CheckOptions,
} from './tls-alpn-01.js';
export { createTlsConnector } from './tls-connector.js';
