// The one error type of certdesk (docs/ARCHITECTURE.md, principle 1). Core code throws a
// CertError with a kind from this closed set and a message that is safe to show a client:
// it never carries a secret, a key or a stack. Each front end owns one table from kind to
// its wire form (CAS: src/api/cas/error-codes.ts); docs/errors.md lists the kinds, and a
// test keeps the two equal.

export const ERROR_KINDS = [
  // Input problems (CAS API reference: error codes: MissingParameter / InvalidParameter).
  'missing_parameter',
  'invalid_parameter',
  // Authentication and request integrity (Alibaba Cloud API reference, request signatures, §9).
  'incomplete_signature',
  'signature_mismatch',
  'access_key_not_found',
  'access_key_disabled',
  'content_hash_mismatch',
  'timestamp_expired',
  'nonce_reused',
  'unknown_action',
  'unsupported_version',
  'unsupported_method',
  'forbidden_by_policy',
  'throttled',
  // Business rules.
  'not_found',
  'already_exists',
  'quota_exceeded',
  'illegal_state',
  'bad_csr',
  'bad_certificate',
  'bad_key',
  'name_rejected',
  // Operator credentials on the admin API.
  'unauthorized',
  // The HTTP edge: no such path, a request over the size limits, a client too slow to send one.
  'unknown_path',
  'too_large',
  'request_timeout',
  // Everything else: the cause is logged, never returned.
  'internal',
  'unavailable',
] as const;

export type ErrorKind = (typeof ERROR_KINDS)[number];

export interface CertErrorOptions {
  /** Extra, safe, structured detail for the wire (e.g. CAS AccessDeniedDetail). */
  detail?: Record<string, unknown>;
  /** Seconds a throttled client should wait (CAS `x-acs-retry-after`). */
  retryAfterSeconds?: number;
  /** The underlying error; logged by the edge, never sent to the client. */
  cause?: unknown;
}

export class CertError extends Error {
  readonly kind: ErrorKind;
  readonly detail: Record<string, unknown> | undefined;
  readonly retryAfterSeconds: number | undefined;

  constructor(kind: ErrorKind, message: string, options: CertErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CertError';
    this.kind = kind;
    this.detail = options.detail;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

export function isCertError(e: unknown): e is CertError {
  return e instanceof CertError;
}
