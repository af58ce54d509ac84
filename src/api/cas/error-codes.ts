// CertError kind -> CAS wire form (CAS API reference: error codes). The SDK picks its error class from the
// status and the Code (Alibaba Cloud API reference, common response and error format): Codes containing "Throttling" become ThrottlingError,
// other 4xx ClientError, 5xx ServerError. docs/errors.md lists this table; a test keeps
// the two equal.
import type { ErrorKind } from '../../domain/errors.js';

export interface CasErrorForm {
  code: string;
  status: number;
}

export const CAS_ERROR_CODES: Readonly<Record<ErrorKind, CasErrorForm>> = Object.freeze({
  missing_parameter: { code: 'MissingParameter', status: 400 },
  invalid_parameter: { code: 'InvalidParameter', status: 400 },
  incomplete_signature: { code: 'IncompleteSignature', status: 400 },
  // Common POP codes use 400 here; some product docs say 403 (CAS API reference: error codes).
  signature_mismatch: { code: 'SignatureDoesNotMatch', status: 400 },
  access_key_not_found: { code: 'InvalidAccessKeyId.NotFound', status: 404 },
  access_key_disabled: { code: 'InvalidAccessKeyId.Inactive', status: 400 },
  content_hash_mismatch: { code: 'InvalidParameter.ContentSHA256', status: 400 },
  timestamp_expired: { code: 'InvalidTimeStamp.Expired', status: 400 },
  nonce_reused: { code: 'SignatureNonceUsed', status: 400 },
  unknown_action: { code: 'InvalidAction.NotFound', status: 404 },
  unsupported_version: { code: 'InvalidVersion', status: 400 },
  unsupported_method: { code: 'UnsupportedHTTPMethod', status: 403 },
  forbidden_by_policy: { code: 'Forbidden.RAM', status: 403 },
  throttled: { code: 'Throttling.User', status: 400 },
  // The CAS 2020-06-30 list carries NotFound as a 400 (CAS API reference: error codes).
  not_found: { code: 'NotFound', status: 400 },
  already_exists: { code: 'AlreadyExists', status: 400 },
  // CAS API reference: error codes lists DeductQuotaFailed among the public codes.
  quota_exceeded: { code: 'DeductQuotaFailed', status: 400 },
  illegal_state: { code: 'OperationDenied.InvalidStatus', status: 400 },
  bad_csr: { code: 'InvalidParameter.Csr', status: 400 },
  bad_certificate: { code: 'CertificateFormatException', status: 400 },
  bad_key: { code: 'InvalidParameter.KeyAlgorithm', status: 400 },
  name_rejected: { code: 'InvalidParameter.Domain', status: 400 },
  unauthorized: { code: 'Forbidden', status: 403 },
  // RFC 9110 §15.5.5 / §15.5.14 / §15.5.9: the statuses say what happened; the SDK reads the
  // JSON body of any 4xx (a 431 or 413 without one became a bare SyntaxError).
  unknown_path: { code: 'NotFound', status: 404 },
  too_large: { code: 'RequestEntityTooLarge', status: 413 },
  request_timeout: { code: 'RequestTimeout', status: 408 },
  internal: { code: 'InternalError', status: 500 },
  unavailable: { code: 'ServiceUnavailable', status: 503 },
});
