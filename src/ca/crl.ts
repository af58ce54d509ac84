// X.509 v2 certificate revocation lists (RFC 5280 §5), built to scale: the revoked entries
// are encoded straight into a few growing chunks as they arrive (from an iterable or a
// paged store read), never as one object or Buffer per entry, and the outer lengths are
// computed from the byte counts. A CRL of 1,000,000 entries then costs about its own size
// twice (the chunks, and the one signed buffer they are copied into), see bench/crl.ts.
//
// Profile (RFC 5280 §5.1, BR §7.2): v2; issuer = the CA's subject bytes; thisUpdate,
// nextUpdate; entries carry a reasonCode only when a reason other than unspecified is
// known (RFC 5280 §5.3.1); crlExtensions: authorityKeyIdentifier (§5.2.1), cRLNumber
// (§5.2.3) and, for a partition, a critical issuingDistributionPoint (§5.2.5) naming the
// URL its certificates carry in their CRL distribution point.

import {
  TAG,
  bitString,
  contextConstructed,
  contextPrimitive,
  encodeLength,
  explicit,
  integer,
  lengthOfLength,
  sequence,
  x509Time,
} from '../crypto/der-writer.js';
import { CertError } from '../domain/errors.js';
import type { Signer } from './signer.js';
import { authorityKeyIdentifier, extension } from './x509.js';

export const CRL_OID = {
  cRLNumber: '2.5.29.20',
  reasonCode: '2.5.29.21',
  issuingDistributionPoint: '2.5.29.28',
} as const;

/** One revoked certificate, as the store holds it. */
export interface RevokedEntry {
  /** Upper- or lower-case hex, as stored (src/store/schema.ts). */
  serialHex: string;
  /** Epoch ms (seconds are kept, milliseconds dropped: RFC 5280 §5.1.2.4 via §4.1.2.5). */
  revokedAt: number;
  /** RFC 5280 §5.3.1 CRLReason code; null (or 0, unspecified) omits the reasonCode. */
  reason: number | null;
}

/** What signs the CRL: the issuing CA's subject, key identifier and Signer. */
export interface CrlIssuer {
  subjectDer: Buffer;
  keyId: Buffer;
  signer: Signer;
}

export interface CrlFields {
  issuer: CrlIssuer;
  thisUpdate: number;
  nextUpdate: number;
  /** Monotonic per issuer and scope (RFC 5280 §5.2.3): a non-negative integer of at most 20 octets. */
  crlNumber: number | bigint;
  /** For a partition: the exact URL its certificates carry (their CRL DP fullName). Absent: the full CRL. */
  partitionUrl?: string;
}

// CRLReason (RFC 5280 §5.3.1): 7 is unused; certificateHold (6) and removeFromCRL (8) belong
// to suspension, which the BR forbid (§4.9.13); 0 is expressed by omitting the extension.
const ALLOWED_REASONS = new Set([1, 2, 3, 4, 5, 9, 10]);

/** crlEntryExtensions with one reasonCode (ENUMERATED, non-critical), pre-encoded per code. */
const REASON_EXTENSIONS = new Map<number, Buffer>(
  [...ALLOWED_REASONS].map((code) => [
    code,
    sequence(extension(CRL_OID.reasonCode, false, Buffer.from([0x0a, 0x01, code]))),
  ]),
);

// The longest entry: SEQUENCE header (2) + INTEGER of 20 octets (22) + GeneralizedTime (17)
// + reasonCode extensions (14) = 55, so an entry's own length always fits one octet.
const MAX_ENTRY = 64;
const FIRST_CHUNK = 4096;
const MAX_CHUNK = 1 << 20;

// Hex digit values by character code (-1: not a hex digit).
const NIBBLE = new Int8Array(128).fill(-1);
for (let c = 0; c < 16; c++) {
  NIBBLE[c.toString(16).charCodeAt(0)] = c;
  NIBBLE[c.toString(16).toUpperCase().charCodeAt(0)] = c;
}

function twoDigits(out: Buffer, p: number, v: number): number {
  out[p] = 0x30 + ((v / 10) | 0);
  out[p + 1] = 0x30 + (v % 10);
  return p + 2;
}

function badSerial(): CertError {
  return new CertError('internal', 'a revoked serial is not a positive hex number of at most 20 octets');
}

/**
 * Collects the revokedCertificates of one CRL as DER, entry by entry, written straight into
 * the current chunk (no object or Buffer per entry: a million entries must stay cheap).
 * Chunks start small (a partition with three entries costs 4 KiB) and double up to 1 MiB.
 */
export class RevokedListWriter {
  private readonly chunks: Buffer[] = [];
  private current: Buffer | undefined;
  private pos = 0;
  private filled = 0;
  // revocationDate of the previous entry: entries revoked in the same second share it.
  private lastSecond = NaN;
  private readonly lastTime = Buffer.alloc(17);
  private lastTimeLength = 0;
  /** Entries added. */
  count = 0;

  /** Bytes of the entries so far (the content of the revokedCertificates SEQUENCE). */
  get byteLength(): number {
    return this.filled + this.pos;
  }

  add(entry: RevokedEntry): void {
    const { serialHex, revokedAt, reason } = entry;
    const len = serialHex.length;
    let start = 0;
    while (start < len && serialHex.charCodeAt(start) === 0x30) start++;
    const digits = len - start;
    if (digits === 0 || len > 40) throw badSerial();
    // Minimal two's complement, positive (X.690 §8.3; RFC 5280 §4.1.2.2): an odd digit
    // count starts with a lone nibble; a first octet with its high bit set gets a 0x00 before it.
    const odd = digits & 1;
    const magnitude = (digits + odd) >> 1;
    const first = NIBBLE[serialHex.charCodeAt(start)] ?? -1;
    const pad = !odd && first >= 8 ? 1 : 0;
    if (magnitude + pad > 20) throw badSerial();

    let ext: Buffer | undefined;
    if (reason !== null && reason !== 0) {
      ext = REASON_EXTENSIONS.get(reason);
      if (!ext) throw new CertError('internal', `CRL reason code ${reason} is not allowed`);
    }
    this.encodeTime(revokedAt);
    const timeLength = this.lastTimeLength;
    const content = 2 + magnitude + pad + timeLength + (ext ? ext.length : 0);

    const buf = this.room();
    let p = this.pos;
    buf[p++] = TAG.SEQUENCE;
    buf[p++] = content;
    buf[p++] = TAG.INTEGER;
    buf[p++] = magnitude + pad;
    if (pad) buf[p++] = 0;
    let i = start;
    if (odd) {
      if (first < 0) throw badSerial();
      buf[p++] = first;
      i++;
    }
    for (; i < len; i += 2) {
      const hi = NIBBLE[serialHex.charCodeAt(i)] ?? -1;
      const lo = NIBBLE[serialHex.charCodeAt(i + 1)] ?? -1;
      if (hi < 0 || lo < 0) throw badSerial();
      buf[p++] = (hi << 4) | lo;
    }
    const time = this.lastTime;
    for (let t = 0; t < timeLength; t++) buf[p++] = time[t] as number;
    // Byte loops: for 14 or 15 octets they are faster than Buffer#copy or TypedArray#set.
    if (ext) for (let e = 0; e < ext.length; e++) buf[p++] = ext[e] as number;
    this.pos = p;
    this.count++;
  }

  /** Hands the encoded entries over (the writer is spent). */
  takeChunks(): Buffer[] {
    if (this.current) this.chunks.push(this.current.subarray(0, this.pos));
    this.current = undefined;
    this.filled += this.pos;
    this.pos = 0;
    return this.chunks.splice(0);
  }

  private room(): Buffer {
    if (this.current && this.current.length - this.pos >= MAX_ENTRY) return this.current;
    if (this.current) {
      this.chunks.push(this.current.subarray(0, this.pos));
      this.filled += this.pos;
    }
    const size = this.current ? Math.min(MAX_CHUNK, this.current.length * 2) : FIRST_CHUNK;
    this.current = Buffer.allocUnsafe(size);
    this.pos = 0;
    return this.current;
  }

  /**
   * revocationDate as an X.509 Time into lastTime: UTCTime through 2049, GeneralizedTime from
   * 2050 (RFC 5280 §5.1.2.6 via §4.1.2.5), whole seconds, Z; the same bytes as x509Time().
   */
  private encodeTime(ms: number): void {
    const second = Math.floor(ms / 1000);
    if (second === this.lastSecond) return;
    if (!Number.isFinite(second)) throw new CertError('internal', 'a revocation time is not a number');
    // Civil date from days since the epoch without a Date per entry (H. Hinnant, "chrono-
    // compatible low-level date algorithms", days_from_civil inverse).
    const days = Math.floor(second / 86_400);
    const secondOfDay = second - days * 86_400;
    const z = days + 719_468;
    const era = Math.floor(z / 146_097);
    const doe = z - era * 146_097;
    const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
    const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
    const mp = Math.floor((5 * doy + 2) / 153);
    const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
    const month = mp < 10 ? mp + 3 : mp - 9;
    const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
    if (year < 0 || year > 9999) throw new CertError('internal', 'a revocation time is out of range');
    const utc = year >= 1950 && year <= 2049;
    const out = this.lastTime;
    let p = 0;
    out[p++] = utc ? TAG.UTC_TIME : TAG.GENERALIZED_TIME;
    out[p++] = utc ? 13 : 15;
    if (!utc) p = twoDigits(out, p, (year / 100) | 0);
    p = twoDigits(out, p, year % 100);
    p = twoDigits(out, p, month);
    p = twoDigits(out, p, day);
    p = twoDigits(out, p, (secondOfDay / 3600) | 0);
    p = twoDigits(out, p, ((secondOfDay % 3600) / 60) | 0);
    p = twoDigits(out, p, secondOfDay % 60);
    out[p++] = 0x5a; // 'Z'
    this.lastTimeLength = p;
    this.lastSecond = second;
  }
}

const VERSION_V2 = integer(1);

function uriName(url: string): Buffer {
  // uniformResourceIdentifier [6] IMPLICIT IA5String (RFC 5280 §4.2.1.6).
  if (!/^[\x21-\x7e]+$/.test(url)) throw new CertError('internal', 'a CRL URL must be non-empty ASCII');
  return contextPrimitive(6, Buffer.from(url, 'latin1'));
}

/**
 * IssuingDistributionPoint (RFC 5280 §5.2.5), critical: distributionPoint [0] is a CHOICE,
 * so its tag is explicit, holding fullName [0] (implicit GeneralNames) with the one URI, the
 * same bytes as the certificates' CRL DP (x509.ts crlDistributionPoints); and
 * onlyContainsUserCerts [1] (implicit BOOLEAN) TRUE: only subscriber certificates are listed.
 */
export function issuingDistributionPoint(url: string): Buffer {
  return extension(
    CRL_OID.issuingDistributionPoint,
    true,
    sequence(explicit(0, contextConstructed(0, uriName(url))), contextPrimitive(1, Buffer.from([0xff]))),
  );
}

export function crlNumberExtension(n: number | bigint): Buffer {
  const v = typeof n === 'bigint' ? n : BigInt(n);
  if (v < 0n || v >= 1n << 159n) throw new CertError('internal', 'CRL number out of range');
  return extension(CRL_OID.cRLNumber, false, integer(v));
}

/** The TBSCertList fields before the revoked entries (version .. nextUpdate), and the crlExtensions after them. */
export function tbsCertListParts(f: CrlFields): { head: Buffer[]; tail: Buffer } {
  if (!(f.nextUpdate > f.thisUpdate)) throw new CertError('internal', 'CRL nextUpdate must follow thisUpdate');
  const extensions = [authorityKeyIdentifier(f.issuer.keyId), crlNumberExtension(f.crlNumber)];
  if (f.partitionUrl !== undefined) extensions.push(issuingDistributionPoint(f.partitionUrl));
  return {
    head: [
      VERSION_V2,
      f.issuer.signer.signatureAlgorithm,
      f.issuer.subjectDer,
      x509Time(f.thisUpdate),
      x509Time(f.nextUpdate),
    ],
    tail: explicit(0, sequence(...extensions)),
  };
}

// Room before the TBS for the CertificateList header (tag + up to 5 length octets), and after
// it for the signature algorithm and a signature BIT STRING (RSA-4096: 517 octets).
const OUTER_RESERVE = 6;
const SIGNATURE_RESERVE = 600;

/**
 * Signs a CRL over the entries collected in `revoked` (none: the revokedCertificates field
 * is left out, RFC 5280 §5.1.2.6). The TBS is laid out once in the buffer that becomes the
 * CRL, so the entries are copied exactly once after encoding.
 */
export function signCrl(f: CrlFields, revoked?: RevokedListWriter): Buffer {
  const { head, tail } = tbsCertListParts(f);
  const chunks = revoked && revoked.count > 0 ? revoked.takeChunks() : [];
  let entriesLen = 0;
  for (const c of chunks) entriesLen += c.length;
  let content = tail.length;
  for (const h of head) content += h.length;
  if (chunks.length > 0) content += 1 + lengthOfLength(entriesLen) + entriesLen;
  const tbsLen = 1 + lengthOfLength(content) + content;
  const sigAlg = f.issuer.signer.signatureAlgorithm;

  const out = Buffer.allocUnsafe(OUTER_RESERVE + tbsLen + sigAlg.length + SIGNATURE_RESERVE);
  let p = OUTER_RESERVE;
  out[p++] = TAG.SEQUENCE;
  p += encodeLength(content).copy(out, p);
  for (const h of head) p += h.copy(out, p);
  if (chunks.length > 0) {
    out[p++] = TAG.SEQUENCE;
    p += encodeLength(entriesLen).copy(out, p);
    // Each chunk is let go once copied, so the collector may reclaim it during the copy.
    while (chunks.length > 0) p += (chunks.shift() as Buffer).copy(out, p);
  }
  p += tail.copy(out, p);
  if (p !== OUTER_RESERVE + tbsLen) throw new CertError('internal', 'CRL length mismatch');

  const tbs = out.subarray(OUTER_RESERVE, p);
  const signature = bitString(f.issuer.signer.sign(tbs));
  const outerContent = tbsLen + sigAlg.length + signature.length;
  const header = Buffer.concat([Buffer.from([TAG.SEQUENCE]), encodeLength(outerContent)]);
  if (sigAlg.length + signature.length > out.length - p) {
    // A signature larger than any supported key gives: one more copy, still correct.
    return Buffer.concat([header, tbs, sigAlg, signature]);
  }
  p += sigAlg.copy(out, p);
  p += signature.copy(out, p);
  const begin = OUTER_RESERVE - header.length;
  header.copy(out, begin);
  return out.subarray(begin, p);
}

function isAsync<T>(x: Iterable<T> | AsyncIterable<T>): x is AsyncIterable<T> {
  return typeof (x as AsyncIterable<T>)[Symbol.asyncIterator] === 'function';
}

/** Builds and signs one CRL from entries read once, in order, from an iterable or async iterable. */
export async function buildCrl(
  f: CrlFields,
  entries: Iterable<RevokedEntry> | AsyncIterable<RevokedEntry>,
): Promise<Buffer> {
  const writer = new RevokedListWriter();
  if (isAsync(entries)) {
    for await (const e of entries) writer.add(e);
  } else {
    for (const e of entries) writer.add(e);
  }
  return signCrl(f, writer);
}
