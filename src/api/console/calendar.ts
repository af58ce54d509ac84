// The expiry calendar as iCalendar (RFC 5545): one all-day event per valid certificate on
// the day it expires. The feed URL carries a capability (an HMAC of the account id under a
// key src/app derives), because calendar apps subscribe without cookies.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Certificate } from '../../domain/certificate.js';

/** RFC 5545 §3.3.11: TEXT escapes backslash, semicolon, comma and newline. */
function icsText(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/;/g, '\\;').replace(/,/g, '\\,').replace(/\r?\n/g, '\\n');
}

/** RFC 5545 §3.1: lines longer than 75 octets are folded (CRLF + space). */
function fold(line: string): string {
  const b = Buffer.from(line, 'utf8');
  if (b.length <= 75) return line;
  const parts: string[] = [];
  let rest = line;
  while (Buffer.byteLength(rest, 'utf8') > 75) {
    let n = 75;
    while (Buffer.byteLength(rest.slice(0, n), 'utf8') > 75) n--;
    parts.push(rest.slice(0, n));
    rest = rest.slice(n);
  }
  parts.push(rest);
  return parts.join('\r\n ');
}

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10).replace(/-/g, '');
const stamp = (ms: number) => `${new Date(ms).toISOString().replace(/[-:]/g, '').slice(0, 15)}Z`;

export function expiryCalendar(certs: readonly Certificate[], now: number, host: string): string {
  const lines = ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//certdesk//console//EN', 'CALSCALE:GREGORIAN'];
  for (const c of certs) {
    lines.push(
      'BEGIN:VEVENT',
      `UID:certificate-${c.id}@${host}`,
      `DTSTAMP:${stamp(now)}`,
      `DTSTART;VALUE=DATE:${day(c.notAfter)}`,
      `SUMMARY:${icsText(`Certificate expires: ${c.sans.join(', ') || c.name}`)}`,
      `DESCRIPTION:${icsText(`Serial ${c.serial}${c.orderId !== null ? `, order ${c.orderId}` : ''}`)}`,
      'END:VEVENT',
    );
  }
  lines.push('END:VCALENDAR');
  return `${lines.map(fold).join('\r\n')}\r\n`;
}

/** The feed's capability for an account. */
export function feedToken(key: Buffer, accountId: number): string {
  return createHmac('sha256', key).update(`ics:${accountId}`).digest('base64url');
}

export function feedTokenMatches(key: Buffer, accountId: number, token: string): boolean {
  const want = Buffer.from(feedToken(key, accountId));
  const got = Buffer.from(token);
  return got.length === want.length && timingSafeEqual(got, want);
}
