// Errors raised by the HTTP framework itself (schema validation, body parsing, limits),
// turned into CertErrors so that every front end renders them through its own table.
import { CertError, isCertError } from '../../domain/errors.js';
import { toCertError } from './render.js';

interface AjvIssue {
  instancePath?: string;
  keyword?: string;
  params?: Record<string, unknown>;
  message?: string;
}

interface FrameworkError {
  code?: string;
  statusCode?: number;
  message?: string;
  validation?: AjvIssue[];
  validationContext?: string;
}

function fieldOf(issue: AjvIssue): string {
  const path = (issue.instancePath ?? '').replace(/^\//, '').replace(/\//g, '.');
  return path;
}

/** A schema refusal: a missing field is MissingParameter, anything else InvalidParameter. */
function validationError(e: FrameworkError): CertError {
  const issue = e.validation![0]!;
  const where = e.validationContext === 'params' ? 'path' : e.validationContext === 'querystring' ? 'query' : 'body';
  if (issue.keyword === 'required') {
    const name = [fieldOf(issue), String((issue.params?.missingProperty as string | undefined) ?? '')]
      .filter(Boolean)
      .join('.');
    return new CertError('missing_parameter', `The field ${name} is required.`);
  }
  const name = fieldOf(issue);
  if (issue.keyword === 'minLength' && issue.params?.limit === 1)
    return new CertError('missing_parameter', `The field ${name} is required.`);
  if (issue.keyword === 'additionalProperties')
    return new CertError(
      'invalid_parameter',
      `The ${where} has an unknown field ${String((issue.params?.additionalProperty as string | undefined) ?? '')}.`.replace(
        ' .',
        '.',
      ),
    );
  if (name === '')
    return new CertError('invalid_parameter', `The request ${where} ${issue.message ?? 'is malformed'}.`);
  const what = where === 'path' ? 'The path parameter' : where === 'query' ? 'The query parameter' : 'The field';
  return new CertError('invalid_parameter', `${what} ${name} ${issue.message ?? 'is malformed'}.`);
}

/** fastify's own errors (FST_ERR_*) and schema refusals as CertErrors; the rest via toCertError. */
export function edgeError(e: unknown): CertError {
  if (isCertError(e)) return e;
  const f = e as FrameworkError | undefined;
  if (f && Array.isArray(f.validation) && f.validation.length > 0) return validationError(f);
  switch (f?.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new CertError('too_large', 'The request body is too large.');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new CertError('invalid_parameter', 'The Content-Type of the request body is not supported here.');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new CertError('invalid_parameter', 'The request body must be a JSON object.');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new CertError('invalid_parameter', 'The Content-Length does not match the body.');
  }
  // Other 4xx from the framework carry safe, generic messages.
  if (f && typeof f.statusCode === 'number' && f.statusCode >= 400 && f.statusCode < 500 && f.code?.startsWith('FST_'))
    return new CertError('invalid_parameter', f.message ?? 'The request is malformed.');
  return toCertError(e);
}
