// PEM text encoding (RFC 7468). Output is the strict form (§3: 64-character lines, LF line
// ends, final newline); input parsing is lax in the way §3 allows (CRLF, surrounding text
// and whitespace, whitespace inside the base64), so pasted chains and CSRs load.

import { CertError } from '../domain/errors.js';

export function toPem(label: string, der: Buffer): string {
  return pemFromBase64(label, der.toString('base64'));
}

/**
 * The same from DER already in (standard, unwrapped) base64, as the store keeps it: no
 * decoding and re-encoding on paths that render the same certificate on every request.
 */
export function pemFromBase64(label: string, b64: string): string {
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 64) lines.push(b64.slice(i, i + 64));
  return `-----BEGIN ${label}-----\n${lines.join('\n')}${lines.length ? '\n' : ''}-----END ${label}-----\n`;
}

// RFC 7468 §3: label is printable ASCII without '-' at its ends; END must repeat the label.
const BLOCK = /-----BEGIN ([\x21-\x2c\x2e-\x7e](?:[\x20-\x7e]*[\x21-\x2c\x2e-\x7e])?)-----([\s\S]*?)-----END \1-----/g;

/**
 * Every PEM block in `text`, in order, decoded to DER; with `label`, only blocks with that
 * label. Text outside blocks is ignored. A block whose body is not base64 is an error
 * (invalid_parameter) rather than silently skipped.
 */
export function fromPem(text: string, label?: string): Buffer[] {
  const out: Buffer[] = [];
  for (const m of text.matchAll(BLOCK)) {
    if (label !== undefined && m[1] !== label) continue;
    const body = (m[2] ?? '').replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body) || body.length % 4 !== 0) {
      throw new CertError('invalid_parameter', 'PEM block is not valid base64');
    }
    out.push(Buffer.from(body, 'base64'));
  }
  return out;
}
