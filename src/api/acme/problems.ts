// CertError kind -> ACME problem document (RFC 8555 §6.7, RFC 7807), one table like
// src/api/cas/error-codes.ts. A use case may name a finer ACME type in the error's detail
// (`acme`, one of domain/acme.ts ACME_PROBLEM_TYPES); the status then follows that type.
// docs/errors.md lists this table; test/docs.test.ts keeps them equal.
import type { ErrorKind } from '../../domain/errors.js';
import { ACME_ERROR_PREFIX, isAcmeProblemType, type AcmeProblemType } from '../../domain/acme.js';
import type { ErrorForm } from '../edge/render.js';

export interface AcmeProblemForm {
  type: AcmeProblemType;
  status: number;
}

export const ACME_PROBLEMS: Readonly<Record<ErrorKind, AcmeProblemForm>> = Object.freeze({
  missing_parameter: { type: 'malformed', status: 400 },
  invalid_parameter: { type: 'malformed', status: 400 },
  incomplete_signature: { type: 'malformed', status: 400 },
  signature_mismatch: { type: 'malformed', status: 400 },
  access_key_not_found: { type: 'accountDoesNotExist', status: 400 },
  access_key_disabled: { type: 'unauthorized', status: 403 },
  content_hash_mismatch: { type: 'malformed', status: 400 },
  timestamp_expired: { type: 'badNonce', status: 400 },
  nonce_reused: { type: 'badNonce', status: 400 },
  unknown_action: { type: 'malformed', status: 404 },
  unsupported_version: { type: 'malformed', status: 400 },
  // RFC 8555 §6.3: a method a resource does not take is 405 with an Allow header.
  unsupported_method: { type: 'malformed', status: 405 },
  forbidden_by_policy: { type: 'unauthorized', status: 403 },
  throttled: { type: 'rateLimited', status: 429 },
  not_found: { type: 'malformed', status: 404 },
  already_exists: { type: 'malformed', status: 409 },
  // Quota is not a rate limit: the customer must buy (be granted) more units.
  quota_exceeded: { type: 'userActionRequired', status: 403 },
  illegal_state: { type: 'malformed', status: 400 },
  bad_csr: { type: 'badCSR', status: 400 },
  bad_certificate: { type: 'malformed', status: 400 },
  bad_key: { type: 'badPublicKey', status: 400 },
  name_rejected: { type: 'rejectedIdentifier', status: 400 },
  unauthorized: { type: 'unauthorized', status: 403 },
  unknown_path: { type: 'malformed', status: 404 },
  too_large: { type: 'malformed', status: 413 },
  request_timeout: { type: 'malformed', status: 408 },
  internal: { type: 'serverInternal', status: 500 },
  unavailable: { type: 'serverInternal', status: 503 },
});

/** Statuses of the finer types a use case may name (RFC 8555 §6.7 and the section of each). */
const TYPE_STATUS: Partial<Record<AcmeProblemType, number>> = {
  unauthorized: 403,
  orderNotReady: 403,
  userActionRequired: 403,
  externalAccountRequired: 403,
  caa: 403,
  alreadyReplaced: 409,
  rateLimited: 429,
  serverInternal: 500,
};

export const PROBLEM_TYPE = 'application/problem+json';

/** The ACME error form: a problem document; `detail.status` may set 404/405/409/413/415 for malformed. */
export const acmeErrorForm: ErrorForm = (err) => {
  const base = ACME_PROBLEMS[err.kind];
  const named = err.detail?.acme;
  const type = isAcmeProblemType(named) ? named : base.type;
  const explicit = typeof err.detail?.status === 'number' ? err.detail.status : undefined;
  const status =
    explicit ??
    (isAcmeProblemType(named) ? (TYPE_STATUS[type] ?? (type === base.type ? base.status : 400)) : base.status);
  const headers: Record<string, string> = {};
  // Integer seconds only (lego 4.9 and acme.sh cannot read the HTTP-date form).
  if (err.retryAfterSeconds !== undefined) headers['retry-after'] = String(Math.ceil(err.retryAfterSeconds));
  else if (status === 500) headers['retry-after'] = '60';
  else if (status === 503) headers['retry-after'] = '5';
  if (typeof err.detail?.allow === 'string') headers.allow = err.detail.allow;
  // §7.3.5: a key already in use answers 409 with the account that holds it.
  if (typeof err.detail?.location === 'string') headers.location = err.detail.location;
  const body: Record<string, unknown> = {
    type: `${ACME_ERROR_PREFIX}${type}`,
    // 5xx: the cause is logged by the edge, never returned.
    detail: status >= 500 ? 'The server could not process the request; try again later.' : err.message,
    status,
  };
  if (Array.isArray(err.detail?.algorithms)) body.algorithms = err.detail.algorithms;
  return { status, code: type, body, headers, type: PROBLEM_TYPE };
};
