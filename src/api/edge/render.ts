// What every front end's error helper produces, and the one way JSON leaves certdesk.
// Each front end renders a CertError in its own form (CAS: src/api/cas/render.ts; operator:
// src/api/admin/errors.ts; ACME and the console add theirs) through one helper of this type.
import type { ServerResponse } from 'node:http';
import { CertError, isCertError } from '../../domain/errors.js';

export const JSON_TYPE = 'application/json;charset=utf-8';

export interface RenderedError {
  status: number;
  /** The front end's code for the kind (for logs and metrics). */
  code: string;
  body: Record<string, unknown>;
  headers: Record<string, string>;
  /** Content type of the body; JSON unless the front end says otherwise (ACME: problem+json). */
  type?: string;
}

/** A front end's error helper: CertError -> its wire form. */
export type ErrorForm = (err: CertError, requestId: string) => RenderedError;

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
  type: string = JSON_TYPE,
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** Anything that is not a CertError is an internal error: its cause is logged, never sent. */
export function toCertError(e: unknown): CertError {
  return isCertError(e)
    ? e
    : new CertError('internal', 'The request processing has failed due to some unknown error.', { cause: e });
}

/** The cause of an internal error as a log field (stack when there is one). */
export function causeOf(err: CertError): string {
  const c = (err.cause ?? err) as { stack?: string; message?: string };
  return c.stack ?? c.message ?? err.message;
}
