// A minimal ASN.1 DER encoder (ITU-T X.690 §8 and §10) for the handful of types X.509
// needs. Every function returns a complete TLV as a Buffer, so certificates are built by
// concatenating pieces; constant pieces can be encoded once and reused (see
// src/ca/leaf-profile.ts). Only low tag numbers (< 31) are supported: X.509 needs no others.

import { CertError } from '../domain/errors.js';

// Universal tags (X.680 §8.4).
export const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8_STRING: 0x0c,
  PRINTABLE_STRING: 0x13,
  IA5_STRING: 0x16,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

const CONSTRUCTED = 0x20;
const CONTEXT = 0x80;

function invalid(message: string): CertError {
  return new CertError('invalid_parameter', message);
}

/** Length octets: short form below 128, else the minimal long form (X.690 §10.1). */
export function encodeLength(n: number): Buffer {
  if (!Number.isSafeInteger(n) || n < 0) throw invalid('DER length must be a non-negative integer');
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** Number of length octets encodeLength(n) produces; lets callers size buffers up front. */
export function lengthOfLength(n: number): number {
  if (n < 0x80) return 1;
  let k = 0;
  for (let v = n; v > 0; v = Math.floor(v / 256)) k++;
  return 1 + k;
}

/** One TLV from a tag byte and the content octets. */
export function tlv(tag: number, content: Buffer): Buffer {
  const len = content.length;
  const ll = lengthOfLength(len);
  const out = Buffer.allocUnsafe(1 + ll + len);
  out[0] = tag;
  writeLength(out, 1, len, ll);
  content.copy(out, 1 + ll);
  return out;
}

/** A TLV whose content is the concatenation of already-encoded parts (no intermediate copy). */
export function tlvOf(tag: number, parts: readonly Buffer[]): Buffer {
  let len = 0;
  for (const p of parts) len += p.length;
  const ll = lengthOfLength(len);
  const out = Buffer.allocUnsafe(1 + ll + len);
  out[0] = tag;
  let pos = 1 + writeLength(out, 1, len, ll);
  for (const p of parts) pos += p.copy(out, pos);
  return out;
}

function writeLength(out: Buffer, at: number, len: number, ll: number): number {
  if (ll === 1) {
    out[at] = len;
    return 1;
  }
  out[at] = 0x80 | (ll - 1);
  for (let i = ll - 1, v = len; i >= 1; i--, v = Math.floor(v / 256)) out[at + i] = v & 0xff;
  return ll;
}

export function sequence(...items: Buffer[]): Buffer {
  return tlvOf(TAG.SEQUENCE, items);
}

/**
 * SET OF: DER orders the elements by their encodings, compared as octet strings
 * (X.690 §11.6). Buffer.compare gives the same order (a prefix sorts first, which is what
 * the zero-padding rule yields whenever the order matters).
 */
export function setOf(items: readonly Buffer[]): Buffer {
  return tlvOf(
    TAG.SET,
    [...items].sort((a, b) => Buffer.compare(a, b)),
  );
}

/**
 * INTEGER in two's complement, minimal octets (X.690 §8.3). A Buffer is read as an unsigned
 * big-endian magnitude: leading zero octets are dropped and one 0x00 is added back when the
 * high bit is set, so the value stays positive.
 */
export function integer(value: bigint | number | Buffer): Buffer {
  if (Buffer.isBuffer(value)) return tlv(TAG.INTEGER, unsignedContent(value));
  let v = typeof value === 'number' ? BigInt(assertSafeInteger(value)) : value;
  if (v >= 0n) {
    if (v === 0n) return Buffer.from([TAG.INTEGER, 1, 0]);
    let hex = v.toString(16);
    if (hex.length % 2) hex = '0' + hex;
    return tlv(TAG.INTEGER, unsignedContent(Buffer.from(hex, 'hex')));
  }
  // Negative: find the smallest octet count n with -2^(8n-1) <= v, then encode 2^(8n) + v.
  let n = 1;
  while (v < -(1n << BigInt(8 * n - 1))) n++;
  v = (1n << BigInt(8 * n)) + v;
  const hex = v.toString(16).padStart(2 * n, '0');
  return tlv(TAG.INTEGER, Buffer.from(hex, 'hex'));
}

function assertSafeInteger(n: number): number {
  if (!Number.isSafeInteger(n)) throw invalid('DER INTEGER must be a safe integer');
  return n;
}

function unsignedContent(magnitude: Buffer): Buffer {
  let start = 0;
  while (start < magnitude.length - 1 && magnitude[start] === 0) start++;
  const trimmed = magnitude.subarray(start);
  if (trimmed.length === 0) return Buffer.from([0]);
  if ((trimmed[0] as number) & 0x80) return Buffer.concat([Buffer.from([0]), trimmed]);
  return trimmed;
}

/** BOOLEAN: DER requires 0xff for TRUE (X.690 §11.1). */
export function boolean(v: boolean): Buffer {
  return Buffer.from([TAG.BOOLEAN, 1, v ? 0xff : 0x00]);
}

export function nullValue(): Buffer {
  return Buffer.from([TAG.NULL, 0]);
}

const oidCache = new Map<string, Buffer>();

/** OBJECT IDENTIFIER from dotted notation (X.690 §8.19). Encodings are cached: callers reuse a few dozen OIDs. */
export function oid(dotted: string): Buffer {
  const cached = oidCache.get(dotted);
  if (cached) return cached;
  if (!/^[0-2](\.(0|[1-9][0-9]*))+$/.test(dotted)) throw invalid('malformed object identifier');
  const arcs = dotted.split('.').map((a) => BigInt(a));
  const [first, second] = arcs as [bigint, bigint];
  if (first < 2n && second > 39n) throw invalid('malformed object identifier');
  const bytes: number[] = [];
  for (const arc of [first * 40n + second, ...arcs.slice(2)]) bytes.push(...base128(arc));
  const out = tlv(TAG.OID, Buffer.from(bytes));
  oidCache.set(dotted, out);
  return out;
}

function base128(v: bigint): number[] {
  const out = [Number(v & 0x7fn)];
  for (v >>= 7n; v > 0n; v >>= 7n) out.unshift(Number(v & 0x7fn) | 0x80);
  return out;
}

/** BIT STRING: first content octet is the count of unused bits in the last octet (X.690 §8.6). */
export function bitString(bytes: Buffer, unusedBits = 0): Buffer {
  if (!Number.isInteger(unusedBits) || unusedBits < 0 || unusedBits > 7 || (unusedBits > 0 && bytes.length === 0)) {
    throw invalid('malformed BIT STRING');
  }
  return tlvOf(TAG.BIT_STRING, [Buffer.from([unusedBits]), bytes]);
}

export function octetString(bytes: Buffer): Buffer {
  return tlv(TAG.OCTET_STRING, bytes);
}

export function utf8String(s: string): Buffer {
  return tlv(TAG.UTF8_STRING, Buffer.from(s, 'utf8'));
}

// X.680 §41.4, Table 10: the PrintableString repertoire.
const PRINTABLE = /^[A-Za-z0-9 '()+,\-./:=?]*$/;

export function printableString(s: string): Buffer {
  if (!PRINTABLE.test(s)) throw invalid('value is not a PrintableString');
  return tlv(TAG.PRINTABLE_STRING, Buffer.from(s, 'latin1'));
}

// IA5 is 7-bit ASCII; X.509 uses it for dNSName, URIs and e-mail (RFC 5280 §4.2.1.6).
const IA5 = /^[\x00-\x7f]*$/;

export function ia5String(s: string): Buffer {
  if (!IA5.test(s)) throw invalid('value is not an IA5String');
  return tlv(TAG.IA5_STRING, Buffer.from(s, 'latin1'));
}

function pad2(n: number): string {
  return n < 10 ? '0' + n : String(n);
}

function timeDigits(ms: number): { year: number; rest: string } {
  if (!Number.isFinite(ms)) throw invalid('time is not a finite number');
  const d = new Date(Math.floor(ms / 1000) * 1000);
  const year = d.getUTCFullYear();
  const rest =
    pad2(d.getUTCMonth() + 1) +
    pad2(d.getUTCDate()) +
    pad2(d.getUTCHours()) +
    pad2(d.getUTCMinutes()) +
    pad2(d.getUTCSeconds()) +
    'Z';
  return { year, rest };
}

/** UTCTime YYMMDDHHMMSSZ (RFC 5280 §4.1.2.5.1: years 1950–2049, seconds, Z). Milliseconds are truncated. */
export function utcTime(ms: number): Buffer {
  const { year, rest } = timeDigits(ms);
  if (year < 1950 || year > 2049) throw invalid('UTCTime covers only 1950 to 2049');
  return tlv(TAG.UTC_TIME, Buffer.from(pad2(year % 100) + rest, 'latin1'));
}

/** GeneralizedTime YYYYMMDDHHMMSSZ (RFC 5280 §4.1.2.5.2: Z, seconds, no fractions). */
export function generalizedTime(ms: number): Buffer {
  const { year, rest } = timeDigits(ms);
  if (year < 0 || year > 9999) throw invalid('GeneralizedTime covers only years 0000 to 9999');
  return tlv(TAG.GENERALIZED_TIME, Buffer.from(String(year).padStart(4, '0') + rest, 'latin1'));
}

/** The X.509 Time choice: UTCTime through 2049, GeneralizedTime from 2050 (RFC 5280 §4.1.2.5). */
export function x509Time(ms: number): Buffer {
  const year = new Date(ms).getUTCFullYear();
  return year >= 1950 && year <= 2049 ? utcTime(ms) : generalizedTime(ms);
}

function contextTag(tagNumber: number, constructed: boolean): number {
  if (!Number.isInteger(tagNumber) || tagNumber < 0 || tagNumber > 30) throw invalid('context tag number out of range');
  return CONTEXT | (constructed ? CONSTRUCTED : 0) | tagNumber;
}

/** [n] EXPLICIT: a constructed context tag wrapping complete encodings (X.690 §8.14.2). */
export function explicit(tagNumber: number, ...inner: Buffer[]): Buffer {
  return tlvOf(contextTag(tagNumber, true), inner);
}

/**
 * [n] IMPLICIT: replaces the tag of one complete encoding, keeping its constructed bit
 * (X.690 §8.14.3). E.g. implicit(2, ia5String('a.example')) is a dNSName.
 */
export function implicit(tagNumber: number, encoded: Buffer): Buffer {
  const first = encoded[0];
  if (first === undefined) throw invalid('empty encoding cannot be tagged');
  const out = Buffer.from(encoded);
  out[0] = contextTag(tagNumber, (first & CONSTRUCTED) !== 0);
  return out;
}

/** [n] IMPLICIT with raw content octets: primitive, or constructed when the content is a list of TLVs. */
export function contextPrimitive(tagNumber: number, content: Buffer): Buffer {
  return tlv(contextTag(tagNumber, false), content);
}

export function contextConstructed(tagNumber: number, ...inner: Buffer[]): Buffer {
  return tlvOf(contextTag(tagNumber, true), inner);
}
