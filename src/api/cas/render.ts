// CertError -> HTTP answer in CAS form (CAS doc §4): 4xx/5xx with a JSON body carrying
// RequestId, Code and Message, so that the SDK throws the right class. Unknown errors
// become InternalError; their cause is logged by the caller, never sent.
import type { ServerResponse } from 'node:http';
import { CertError, isCertError } from '../../domain/errors.js';
import { CAS_ERROR_CODES } from './error-codes.js';

export const JSON_TYPE = 'application/json;charset=utf-8';

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': JSON_TYPE, 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

export function toCertError(e: unknown): CertError {
  return isCertError(e)
    ? e
    : new CertError('internal', 'The request processing has failed due to some unknown error.', { cause: e });
}

export interface RenderedError {
  status: number;
  code: string;
  body: Record<string, unknown>;
  headers: Record<string, string>;
}

export function renderCasError(err: CertError, requestId: string, hostId: string): RenderedError {
  const form = CAS_ERROR_CODES[err.kind];
  const body: Record<string, unknown> = { RequestId: requestId, Code: form.code, Message: err.message, HostId: hostId };
  if (err.kind === 'forbidden_by_policy' && err.detail) body.AccessDeniedDetail = err.detail;
  const headers: Record<string, string> = {};
  // The SDK reads x-acs-retry-after into ThrottlingError.retryAfter (CAS doc §4).
  if (err.retryAfterSeconds !== undefined)
    headers['x-acs-retry-after'] = String(Math.ceil(err.retryAfterSeconds * 1000));
  return { status: form.status, code: form.code, body, headers };
}
