// A minimal, strict DER reader (ITU-T X.690 §8 basic rules, §10-§11 DER restrictions).
//
// It walks a buffer by offsets: a Tlv is six numbers and a reference to the buffer, and no
// value is copied until a decoder is asked for it. That keeps CSR and certificate parsing
// cheap (thousands per second) and makes "the exact bytes of this field" free, which
// signature checks need (the signed bytes are the ones received, never a re-encoding).
//
// Strictness: definite lengths only, minimal length and tag encodings, no trailing bytes after
// a top-level value, primitive encodings for the universal types it decodes, minimal
// INTEGERs, zero padding bits in BIT STRINGs. Errors are DerError with a short message that
// never contains input bytes (only offsets), so callers can pass it on to a client after
// mapping it to their own error kind (CSR -> bad_csr, certificate -> bad_certificate).

export class DerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DerError';
  }
}

/** Tag classes (X.690 §8.1.2.2). */
export const TagClass = { universal: 0, application: 1, context: 2, private: 3 } as const;

/** Universal tag numbers this reader knows (X.680 §8.4). */
export const UniversalTag = {
  BOOLEAN: 1,
  INTEGER: 2,
  BIT_STRING: 3,
  OCTET_STRING: 4,
  NULL: 5,
  OBJECT_IDENTIFIER: 6,
  UTF8String: 12,
  SEQUENCE: 16,
  SET: 17,
  NumericString: 18,
  PrintableString: 19,
  T61String: 20,
  IA5String: 22,
  UTCTime: 23,
  GeneralizedTime: 24,
  VisibleString: 26,
  UniversalString: 28,
  BMPString: 30,
} as const;

/** One encoded value: where its identifier, contents and end are in `buf`. */
export interface Tlv {
  readonly buf: Buffer;
  /** 0 universal, 1 application, 2 context-specific, 3 private. */
  readonly cls: number;
  readonly constructed: boolean;
  /** Tag number (not the identifier byte). */
  readonly tag: number;
  /** Offset of the identifier octet. */
  readonly start: number;
  /** Offset of the first contents octet. */
  readonly valueStart: number;
  /** Offset just past the last contents octet. */
  readonly end: number;
}

// Lengths beyond 4 octets cannot describe anything we accept; callers bound input size anyway.
const MAX_LENGTH_OCTETS = 4;
// High tag numbers beyond 4 base-128 octets (2^28) do not occur in PKIX.
const MAX_TAG_OCTETS = 4;

/**
 * Reads one TLV starting at `offset`; its contents must end at or before `limit`.
 * Does not look past the value: use readDer() for "exactly one value, nothing after it".
 */
export function readTlv(buf: Buffer, offset: number, limit: number = buf.length): Tlv {
  let pos = offset;
  if (pos >= limit) throw new DerError(`truncated value at offset ${offset}`);
  const id = buf[pos++]!;
  const cls = id >> 6;
  const constructed = (id & 0x20) !== 0;
  let tag = id & 0x1f;
  if (tag === 0x1f) {
    // High-tag-number form (X.690 §8.1.2.4): base-128, no leading 0x80, only for tags >= 31.
    tag = 0;
    for (let n = 0; ; n++) {
      if (pos >= limit) throw new DerError(`truncated tag at offset ${offset}`);
      if (n === MAX_TAG_OCTETS) throw new DerError(`tag number too large at offset ${offset}`);
      const b = buf[pos++]!;
      if (n === 0 && b === 0x80) throw new DerError(`non-minimal tag at offset ${offset}`);
      tag = tag * 128 + (b & 0x7f);
      if ((b & 0x80) === 0) break;
    }
    if (tag < 0x1f) throw new DerError(`non-minimal tag at offset ${offset}`);
  }
  if (pos >= limit) throw new DerError(`truncated length at offset ${offset}`);
  const first = buf[pos++]!;
  let length: number;
  if (first < 0x80) {
    length = first;
  } else if (first === 0x80) {
    // X.690 §10.1: DER uses the definite form only.
    throw new DerError(`indefinite length at offset ${offset}`);
  } else {
    const count = first & 0x7f;
    if (count > MAX_LENGTH_OCTETS) throw new DerError(`length too large at offset ${offset}`);
    if (pos + count > limit) throw new DerError(`truncated length at offset ${offset}`);
    if (buf[pos] === 0) throw new DerError(`non-minimal length at offset ${offset}`);
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + buf[pos++]!;
    // X.690 §10.1: the long form is only for lengths the short form cannot carry.
    if (length < 0x80) throw new DerError(`non-minimal length at offset ${offset}`);
  }
  const end = pos + length;
  if (end > limit) throw new DerError(`truncated value at offset ${offset}`);
  return { buf, cls, constructed, tag, start: offset, valueStart: pos, end };
}

/** Reads the single value that makes up all of `buf`; trailing bytes are an error. */
export function readDer(buf: Buffer): Tlv {
  const tlv = readTlv(buf, 0, buf.length);
  if (tlv.end !== buf.length) throw new DerError('trailing data after the value');
  return tlv;
}

/** The children of a constructed value, in order. Each must fit exactly inside the parent. */
export function readChildren(parent: Tlv): Tlv[] {
  if (!parent.constructed) throw new DerError(`expected a constructed value at offset ${parent.start}`);
  const out: Tlv[] = [];
  let pos = parent.valueStart;
  while (pos < parent.end) {
    const child = readTlv(parent.buf, pos, parent.end);
    out.push(child);
    pos = child.end;
  }
  return out;
}

/** The contents octets (no identifier or length). Shares memory with the input. */
export function valueOf(tlv: Tlv): Buffer {
  return tlv.buf.subarray(tlv.valueStart, tlv.end);
}

/** The whole encoding (identifier, length and contents). Shares memory with the input. */
export function encodingOf(tlv: Tlv): Buffer {
  return tlv.buf.subarray(tlv.start, tlv.end);
}

export function isUniversal(tlv: Tlv, tag: number): boolean {
  return tlv.cls === TagClass.universal && tlv.tag === tag;
}

export function isContext(tlv: Tlv, tag: number): boolean {
  return tlv.cls === TagClass.context && tlv.tag === tag;
}

const UNIVERSAL_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(UniversalTag).map(([name, tag]) => [tag, name.replace(/_/g, ' ')]),
);

/**
 * Checks that `tlv` is the universal type `tag`. SEQUENCE and SET must be constructed, all
 * other types primitive (X.690 §10.2: DER forbids constructed strings). `what` names the
 * field for the error message.
 */
export function expectUniversal(tlv: Tlv | undefined, tag: number, what: string): Tlv {
  const shouldBeConstructed = tag === UniversalTag.SEQUENCE || tag === UniversalTag.SET;
  if (tlv === undefined || !isUniversal(tlv, tag) || tlv.constructed !== shouldBeConstructed) {
    throw new DerError(`expected ${UNIVERSAL_NAMES[tag] ?? `tag ${tag}`} for ${what}`);
  }
  return tlv;
}

/** The single value inside an EXPLICIT context tag [n]. */
export function readExplicit(tlv: Tlv): Tlv {
  const kids = readChildren(tlv);
  if (kids.length !== 1) throw new DerError(`expected exactly one value inside [${tlv.tag}] at offset ${tlv.start}`);
  return kids[0]!;
}

function requirePrimitive(tlv: Tlv, what: string): Buffer {
  if (tlv.constructed) throw new DerError(`${what} must use the primitive encoding (offset ${tlv.start})`);
  return valueOf(tlv);
}

/** OBJECT IDENTIFIER -> dotted string (X.690 §8.19). Arcs of any size are supported. */
export function decodeOid(tlv: Tlv): string {
  const v = requirePrimitive(tlv, 'OBJECT IDENTIFIER');
  if (v.length === 0) throw new DerError(`empty OBJECT IDENTIFIER at offset ${tlv.start}`);
  if ((v[v.length - 1]! & 0x80) !== 0) throw new DerError(`truncated OBJECT IDENTIFIER at offset ${tlv.start}`);
  const arcs: string[] = [];
  let acc = 0;
  let big: bigint | undefined; // used only once an arc outgrows 2^46 (e.g. 2.25.<UUID>)
  let fresh = true;
  for (let i = 0; i < v.length; i++) {
    const b = v[i]!;
    // X.690 §8.19.2: each subidentifier uses as few octets as possible.
    if (fresh && b === 0x80) throw new DerError(`non-minimal OBJECT IDENTIFIER at offset ${tlv.start}`);
    fresh = false;
    if (big !== undefined) big = big * 128n + BigInt(b & 0x7f);
    else if (acc >= 2 ** 46) big = BigInt(acc) * 128n + BigInt(b & 0x7f);
    else acc = acc * 128 + (b & 0x7f);
    if ((b & 0x80) === 0) {
      if (arcs.length === 0) {
        // The first subidentifier packs two arcs: 40 * X + Y, X in {0, 1, 2} (§8.19.4).
        if (big !== undefined) arcs.push('2', String(big - 80n));
        else if (acc < 40) arcs.push('0', String(acc));
        else if (acc < 80) arcs.push('1', String(acc - 40));
        else arcs.push('2', String(acc - 80));
      } else {
        arcs.push(big !== undefined ? String(big) : String(acc));
      }
      acc = 0;
      big = undefined;
      fresh = true;
    }
  }
  return arcs.join('.');
}

function checkMinimalInteger(v: Buffer, tlv: Tlv): void {
  if (v.length === 0) throw new DerError(`empty INTEGER at offset ${tlv.start}`);
  // X.690 §8.3.2: the first nine bits must not be all zeros or all ones.
  if (v.length > 1 && ((v[0] === 0x00 && (v[1]! & 0x80) === 0) || (v[0] === 0xff && (v[1]! & 0x80) !== 0))) {
    throw new DerError(`non-minimal INTEGER at offset ${tlv.start}`);
  }
}

/** INTEGER -> bigint (two's complement, X.690 §8.3). */
export function decodeInteger(tlv: Tlv): bigint {
  const v = requirePrimitive(tlv, 'INTEGER');
  checkMinimalInteger(v, tlv);
  const unsigned = BigInt('0x' + v.toString('hex'));
  return (v[0]! & 0x80) !== 0 ? unsigned - (1n << BigInt(v.length * 8)) : unsigned;
}

/** A small INTEGER (version numbers, salt lengths) as a number; refuses values outside 0..2^31-1. */
export function decodeSmallInteger(tlv: Tlv): number {
  const v = requirePrimitive(tlv, 'INTEGER');
  checkMinimalInteger(v, tlv);
  if ((v[0]! & 0x80) !== 0 || v.length > 4 || (v.length === 4 && v[0]! > 0x7f)) {
    throw new DerError(`INTEGER out of range at offset ${tlv.start}`);
  }
  let n = 0;
  for (const b of v) n = n * 256 + b;
  return n;
}

/**
 * A non-negative INTEGER as its big-endian magnitude, without the sign octet (e.g. an RSA
 * modulus). Zero is one 0x00 octet. Shares memory with the input.
 */
export function decodeUnsignedInteger(tlv: Tlv): Buffer {
  const v = requirePrimitive(tlv, 'INTEGER');
  checkMinimalInteger(v, tlv);
  if ((v[0]! & 0x80) !== 0) throw new DerError(`negative INTEGER at offset ${tlv.start}`);
  return v.length > 1 && v[0] === 0 ? v.subarray(1) : v;
}

export interface BitString {
  /** Number of unused bits in the last octet (0-7). */
  unusedBits: number;
  /** The octets holding the bits. Shares memory with the input. */
  bytes: Buffer;
}

/** BIT STRING (X.690 §8.6); DER requires the unused bits to be zero (§11.2.1). */
export function decodeBitString(tlv: Tlv): BitString {
  const v = requirePrimitive(tlv, 'BIT STRING');
  if (v.length === 0) throw new DerError(`empty BIT STRING at offset ${tlv.start}`);
  const unusedBits = v[0]!;
  if (unusedBits > 7 || (v.length === 1 && unusedBits !== 0)) {
    throw new DerError(`invalid BIT STRING at offset ${tlv.start}`);
  }
  if (unusedBits !== 0 && (v[v.length - 1]! & ((1 << unusedBits) - 1)) !== 0) {
    throw new DerError(`non-zero padding bits in BIT STRING at offset ${tlv.start}`);
  }
  return { unusedBits, bytes: v.subarray(1) };
}

/** BOOLEAN: DER allows only 0x00 and 0xFF (X.690 §11.1). */
export function decodeBoolean(tlv: Tlv): boolean {
  const v = requirePrimitive(tlv, 'BOOLEAN');
  if (v.length !== 1 || (v[0] !== 0x00 && v[0] !== 0xff)) throw new DerError(`invalid BOOLEAN at offset ${tlv.start}`);
  return v[0] === 0xff;
}

/** NULL: no contents (X.690 §8.8). */
export function decodeNull(tlv: Tlv): null {
  const v = requirePrimitive(tlv, 'NULL');
  if (v.length !== 0) throw new DerError(`invalid NULL at offset ${tlv.start}`);
  return null;
}

/** OCTET STRING contents. Shares memory with the input. */
export function decodeOctetString(tlv: Tlv): Buffer {
  return requirePrimitive(tlv, 'OCTET STRING');
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function decodeAscii(v: Buffer, tlv: Tlv): string {
  for (let i = 0; i < v.length; i++) {
    if (v[i]! > 0x7f) throw new DerError(`non-ASCII octet in a 7-bit string at offset ${tlv.start}`);
  }
  return v.toString('latin1');
}

/**
 * The contents of a primitive value as ASCII text, whatever its tag: for IMPLICIT-tagged
 * IA5Strings such as the dNSName and rfc822Name choices of GeneralName (RFC 5280 §4.2.1.6).
 */
export function decodeAsciiString(tlv: Tlv): string {
  return decodeAscii(requirePrimitive(tlv, 'string'), tlv);
}

/** True for the universal string types decodeString() understands. */
export function isStringTag(tlv: Tlv): boolean {
  if (tlv.cls !== TagClass.universal) return false;
  switch (tlv.tag) {
    case UniversalTag.UTF8String:
    case UniversalTag.NumericString:
    case UniversalTag.PrintableString:
    case UniversalTag.T61String:
    case UniversalTag.IA5String:
    case UniversalTag.VisibleString:
    case UniversalTag.UniversalString:
    case UniversalTag.BMPString:
      return true;
    default:
      return false;
  }
}

/**
 * A character string as text. UTF8String must be valid UTF-8. The 7-bit types (Numeric,
 * Printable, IA5, Visible) must be ASCII; their finer alphabets are not enforced, because
 * real CSRs put '*', '_' or '@' in PrintableString and the CA never copies these bytes.
 * T61String is read as Latin-1, as most software does. BMPString is UTF-16BE,
 * UniversalString UTF-32BE.
 */
export function decodeString(tlv: Tlv): string {
  if (!isStringTag(tlv)) throw new DerError(`unsupported string type at offset ${tlv.start}`);
  const v = requirePrimitive(tlv, 'string');
  switch (tlv.tag) {
    case UniversalTag.UTF8String:
      try {
        return utf8.decode(v);
      } catch {
        throw new DerError(`invalid UTF-8 at offset ${tlv.start}`);
      }
    case UniversalTag.T61String:
      return v.toString('latin1');
    case UniversalTag.BMPString: {
      if (v.length % 2 !== 0) throw new DerError(`invalid BMPString length at offset ${tlv.start}`);
      return Buffer.from(v).swap16().toString('utf16le');
    }
    case UniversalTag.UniversalString: {
      if (v.length % 4 !== 0) throw new DerError(`invalid UniversalString length at offset ${tlv.start}`);
      const points: number[] = [];
      for (let i = 0; i < v.length; i += 4) {
        const cp = v.readUInt32BE(i);
        if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
          throw new DerError(`invalid UniversalString character at offset ${tlv.start}`);
        }
        points.push(cp);
      }
      return String.fromCodePoint(...points);
    }
    default:
      return decodeAscii(v, tlv);
  }
}
