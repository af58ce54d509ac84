// CertError -> HTTP answer in CAS form (CommonErrorResponse, Alibaba Cloud API reference):
// 4xx/5xx with a JSON body carrying RequestId, Code and Message, so that the SDK throws the
// right class. Unknown errors become InternalError; their cause is logged by the caller,
// never sent. The CAS API and the relying-party endpoints on its listener answer in this form.
import type { CertError } from '../../domain/errors.js';
import type { ErrorForm, RenderedError } from '../edge/render.js';
import { CAS_ERROR_CODES } from './error-codes.js';

export { JSON_TYPE, sendJson, toCertError, type RenderedError } from '../edge/render.js';

export function renderCasError(err: CertError, requestId: string, hostId: string): RenderedError {
  const form = CAS_ERROR_CODES[err.kind];
  const body: Record<string, unknown> = { RequestId: requestId, Code: form.code, Message: err.message, HostId: hostId };
  if (err.kind === 'forbidden_by_policy' && err.detail) body.AccessDeniedDetail = err.detail;
  const headers: Record<string, string> = {};
  // The SDK reads x-acs-retry-after into ThrottlingError.retryAfter (milliseconds).
  if (err.retryAfterSeconds !== undefined)
    headers['x-acs-retry-after'] = String(Math.ceil(err.retryAfterSeconds * 1000));
  return { status: form.status, code: form.code, body, headers };
}

/** The CAS form as an ErrorForm for the edge (HostId fixed per listener). */
export function casErrorForm(hostId: string): ErrorForm {
  return (err, requestId) => renderCasError(err, requestId, hostId);
}
