// The operator API's error form: JSON {RequestId, Code, Message} with the codes and statuses
// of the CAS table (src/api/cas/error-codes.ts), so that one client library reads both APIs.
import type { ErrorForm } from '../edge/render.js';
import { CAS_ERROR_CODES } from '../cas/error-codes.js';

export const operatorErrorForm: ErrorForm = (err, requestId) => {
  const form = CAS_ERROR_CODES[err.kind];
  const headers: Record<string, string> = {};
  // RFC 6750 §3: a missing or wrong bearer token names the scheme to use.
  if (err.kind === 'unauthorized') headers['www-authenticate'] = 'Bearer realm="certdesk-operator"';
  return {
    status: form.status,
    code: form.code,
    body: { RequestId: requestId, Code: form.code, Message: err.message },
    headers,
  };
};
