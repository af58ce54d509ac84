// A small strict DER walker for reading back what src/ca builds (issuer certificates,
// SPKIs, TBS certificates for the pre-issuance lint). It only locates TLVs; it allocates
// nothing but the node objects, so the lint stays cheap. Rejects indefinite and
// non-minimal lengths (X.690 §10.1) and high tag numbers, which X.509 DER never uses.
// (src/crypto/der-reader.ts is the general reader used for untrusted input such as CSRs.)

import { CertError } from '../domain/errors.js';

export interface Tlv {
  tag: number;
  /** Offset of the tag byte. */
  start: number;
  /** Offset of the first content byte. */
  contentStart: number;
  /** Offset just past the content. */
  end: number;
}

function malformed(): CertError {
  return new CertError('bad_certificate', 'malformed DER encoding');
}

export function readTlv(buf: Buffer, pos: number, limit: number = buf.length): Tlv {
  const tag = buf[pos];
  if (tag === undefined || pos >= limit || (tag & 0x1f) === 0x1f) throw malformed();
  let p = pos + 1;
  const first = buf[p++];
  if (first === undefined || p > limit) throw malformed();
  let len = first;
  if (first & 0x80) {
    const n = first & 0x7f;
    if (n === 0 || n > 4) throw malformed();
    len = 0;
    for (let i = 0; i < n; i++) {
      const b = buf[p++];
      if (b === undefined) throw malformed();
      if (i === 0 && b === 0) throw malformed();
      len = len * 256 + b;
    }
    if (len < 0x80) throw malformed();
  }
  const end = p + len;
  if (end > limit) throw malformed();
  return { tag, start: pos, contentStart: p, end };
}

/** The TLVs directly inside a constructed node. */
export function childrenOf(buf: Buffer, node: Tlv): Tlv[] {
  if (!(node.tag & 0x20)) throw malformed();
  const out: Tlv[] = [];
  for (let p = node.contentStart; p < node.end; ) {
    const child = readTlv(buf, p, node.end);
    out.push(child);
    p = child.end;
  }
  return out;
}

/** Reads a whole buffer as exactly one TLV of the expected tag. */
export function readRoot(buf: Buffer, tag: number): Tlv {
  const node = readTlv(buf, 0);
  if (node.tag !== tag || node.end !== buf.length) throw malformed();
  return node;
}

export function expectTag(node: Tlv | undefined, tag: number): Tlv {
  if (!node || node.tag !== tag) throw malformed();
  return node;
}

export function contentOf(buf: Buffer, node: Tlv): Buffer {
  return buf.subarray(node.contentStart, node.end);
}

export function bytesOf(buf: Buffer, node: Tlv): Buffer {
  return buf.subarray(node.start, node.end);
}

/** Dotted form of an OBJECT IDENTIFIER's content octets (X.690 §8.19). */
export function decodeOid(content: Buffer): string {
  const arcs: bigint[] = [];
  let v = 0n;
  for (let i = 0; i < content.length; i++) {
    const b = content[i] as number;
    if (v === 0n && b === 0x80) throw malformed();
    v = (v << 7n) | BigInt(b & 0x7f);
    if (!(b & 0x80)) {
      arcs.push(v);
      v = 0n;
    } else if (i === content.length - 1) throw malformed();
  }
  const first = arcs.shift();
  if (first === undefined) throw malformed();
  const head = first < 80n ? [first / 40n, first % 40n] : [2n, first - 80n];
  return [...head, ...arcs].join('.');
}

/** Milliseconds since the epoch from a UTCTime or GeneralizedTime in the RFC 5280 §4.1.2.5 form. */
export function decodeTime(buf: Buffer, node: Tlv): number {
  const s = contentOf(buf, node).toString('latin1');
  let m: RegExpExecArray | null;
  let year: number;
  if (node.tag === 0x17 && (m = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(s))) {
    const yy = Number(m[1]);
    year = yy >= 50 ? 1900 + yy : 2000 + yy;
  } else if (node.tag === 0x18 && (m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(s))) {
    year = Number(m[1]);
  } else {
    throw malformed();
  }
  const ms = Date.UTC(year, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
  if (Number.isNaN(ms)) throw malformed();
  return ms;
}
