// Requests refused before any handler sees them (Node's HTTP parser: headers over the size
// limit, headers too slow, malformed HTTP) answered in the front end's error form instead
// of Node's bare 431/408/400: the official SDK reads the JSON body of any error status, and
// throws a bare SyntaxError for an empty one.
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { randomUUID } from 'node:crypto';
import { CertError } from '../../domain/errors.js';
import type { Logger } from '../../domain/ports.js';
import type { ErrorForm } from './render.js';

/** How long a refused client may keep sending (its request is discarded) before the socket is closed. */
const LINGER_MS = 5_000;

function errorFor(code: string | undefined): CertError {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return new CertError(
        'too_large',
        'The request line and headers are too large (large values: keep them under the header limit).',
      );
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new CertError('request_timeout', 'The request was not received in time.');
    default:
      return new CertError('invalid_parameter', 'The request is not valid HTTP/1.1.');
  }
}

export function clientErrorHandler(opts: { form: ErrorForm; logger: Logger; name: string }) {
  return (err: Error & { code?: string }, socket: Duplex): void => {
    // A reset connection has nobody to answer.
    if (err.code === 'ECONNRESET' || socket.destroyed) return;
    const refused = errorFor(err.code);
    const requestId = randomUUID().toUpperCase();
    const r = opts.form(refused, requestId);
    opts.logger.log('info', `${opts.name} request refused before its handler`, {
      requestId,
      code: r.code,
      reason: err.code ?? 'unknown',
    });
    if (!socket.writable) {
      socket.destroy();
      return;
    }
    const body = JSON.stringify(r.body);
    const headers = {
      'content-type': r.type ?? 'application/json;charset=utf-8',
      'content-length': String(Buffer.byteLength(body)),
      connection: 'close',
      ...r.headers,
    };
    const head = Object.entries(headers)
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('');
    // Keep reading (and dropping) what the client still sends, so that it reads this answer
    // instead of a reset; then close.
    socket.on('data', () => {});
    socket.on('error', () => {});
    socket.resume();
    socket.end(`HTTP/1.1 ${r.status} ${STATUS_CODES[r.status] ?? ''}\r\n${head}\r\n${body}`);
    setTimeout(() => socket.destroy(), LINGER_MS).unref();
  };
}
