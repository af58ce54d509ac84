// The side effects domain-control validation needs, passed in by src/app
// (docs/ARCHITECTURE.md, principle 3). Tests hand in the real implementations pointed at the
// loopback challenge server in test/challenge-server.ts; production points them at the
// system resolver (or a configured one) and the open internet.

/** One CAA record as it appears on the wire (RFC 8659 §4.1). */
export interface CaaRecord {
  /** The flags octet; bit 128 is the Issuer Critical Flag. */
  flags: number;
  tag: string;
  value: string;
}

/**
 * DNS lookups. "The name does not exist" (NXDOMAIN) and "no records of that type"
 * (NODATA) both resolve to `[]`; every other failure (SERVFAIL, timeout, refused, a garbled
 * answer) rejects with a DnsLookupError. The distinction matters: an absent CAA record
 * permits issuance, a failed CAA lookup never does (BR 3.2.2.8, RFC 8659).
 */
export interface DnsResolver {
  /** Each TXT record with its character-strings joined (RFC 7208 §3.3 convention). */
  txt(name: string): Promise<string[]>;
  caa(name: string): Promise<CaaRecord[]>;
  /** A and AAAA addresses together, IPv4 first. */
  addresses(name: string): Promise<string[]>;
}

export class DnsLookupError extends Error {
  /** Short and safe to show a customer: 'SERVFAIL', 'timeout', 'REFUSED', ... */
  readonly reason: string;

  constructor(name: string, reason: string, options?: { cause?: unknown }) {
    super(`DNS lookup for ${name} failed (${reason})`, options);
    this.name = 'DnsLookupError';
    this.reason = reason;
  }
}

export function isDnsLookupError(e: unknown): e is DnsLookupError {
  return e instanceof DnsLookupError;
}

export interface HttpFetchOptions {
  /** The IP address to connect to; never re-resolved (so DNS rebinding cannot redirect us). */
  address: string;
  port: number;
  /** Sent as the Host header: the domain being validated (with `:port` when not 80). */
  hostHeader: string;
  path: string;
  /** Total budget: connect, headers and body. */
  timeoutMs: number;
  /** The body may be at most this long; longer bodies abort the fetch. */
  maxBytes: number;
}

export interface HttpFetchResponse {
  status: number;
  body: Buffer;
  /** The Location header, if any (redirects are reported, never followed). */
  location?: string;
}

export interface HttpFetcher {
  get(opts: HttpFetchOptions): Promise<HttpFetchResponse>;
}

export type HttpFetchFailure = 'timeout' | 'too_large' | 'connect_failed' | 'bad_response' | 'bad_address';

export class HttpFetchError extends Error {
  readonly code: HttpFetchFailure;
  /** The response status, when the failure happened after the status line arrived. */
  readonly status: number | undefined;

  constructor(code: HttpFetchFailure, message: string, options?: { status?: number; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'HttpFetchError';
    this.code = code;
    this.status = options?.status;
  }
}

export function isHttpFetchError(e: unknown): e is HttpFetchError {
  return e instanceof HttpFetchError;
}

export interface TlsHandshakeOptions {
  /** The IP address to connect to; never re-resolved (as for HttpFetchOptions). */
  address: string;
  port: number;
  /** Sent as SNI (RFC 6066 §3): the name being validated, or an address's reverse-DNS name. */
  servername: string;
  /** Offered in the ALPN extension (RFC 7301). */
  alpnProtocols: readonly string[];
  /** Total budget: connect and handshake. */
  timeoutMs: number;
}

export interface TlsHandshakeResult {
  /** The negotiated version as node names it ('TLSv1.2', 'TLSv1.3'). */
  version: string;
  /** The protocol the server selected with ALPN, or undefined when it selected none. */
  alpnProtocol: string | undefined;
  /** The server's end-entity certificate, DER, as received (never verified against a trust store). */
  certificate: Buffer;
}

/**
 * One TLS handshake without verifying the server's certificate: tls-alpn-01 (RFC 8737 §3)
 * judges the certificate itself, and it is self-signed by design. Nothing is sent after the
 * handshake; the connection is closed at once.
 */
export interface TlsConnector {
  handshake(opts: TlsHandshakeOptions): Promise<TlsHandshakeResult>;
}

/**
 * - connect_failed: no TCP connection (refused, unreachable);
 * - handshake_failed: TCP connected but TLS did not complete (alert, garbage, old version);
 * - no_alpn_overlap: the server refused the handshake because it speaks none of the offered
 *   ALPN protocols (the no_application_protocol alert, RFC 7301 §3.2);
 * - timeout, bad_address: as for HTTP.
 */
export type TlsConnectFailure = 'timeout' | 'connect_failed' | 'handshake_failed' | 'no_alpn_overlap' | 'bad_address';

export class TlsConnectError extends Error {
  readonly code: TlsConnectFailure;

  constructor(code: TlsConnectFailure, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TlsConnectError';
    this.code = code;
  }
}

export function isTlsConnectError(e: unknown): e is TlsConnectError {
  return e instanceof TlsConnectError;
}
