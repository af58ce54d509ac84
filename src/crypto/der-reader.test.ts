import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import {
  DerError,
  TagClass,
  UniversalTag,
  decodeAsciiString,
  decodeBitString,
  decodeBoolean,
  decodeInteger,
  decodeNull,
  decodeOctetString,
  decodeOid,
  decodeSmallInteger,
  decodeString,
  decodeUnsignedInteger,
  encodingOf,
  expectUniversal,
  isContext,
  readChildren,
  readDer,
  readExplicit,
  readTlv,
  valueOf,
  type Tlv,
} from './der-reader.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

function derError(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof DerError, `expected DerError, got ${String(e)}`);
    assert.match(e.message, pattern);
    return true;
  });
}

describe('readTlv / readDer', () => {
  test('headers', () => {
    const rows: Array<{ in: string; cls: number; constructed: boolean; tag: number; valueStart: number; end: number }> =
      [
        { in: '02 01 05', cls: TagClass.universal, constructed: false, tag: 2, valueStart: 2, end: 3 },
        { in: '30 00', cls: TagClass.universal, constructed: true, tag: 16, valueStart: 2, end: 2 },
        { in: 'a0 03 02 01 00', cls: TagClass.context, constructed: true, tag: 0, valueStart: 2, end: 5 },
        { in: '87 04 01 02 03 04', cls: TagClass.context, constructed: false, tag: 7, valueStart: 2, end: 6 },
        { in: '5f 21 00', cls: TagClass.application, constructed: false, tag: 33, valueStart: 3, end: 3 },
        { in: 'df 81 00 00', cls: TagClass.private, constructed: false, tag: 128, valueStart: 4, end: 4 },
        { in: '04 81 80' + '00'.repeat(128), cls: 0, constructed: false, tag: 4, valueStart: 3, end: 131 },
        { in: '04 82 01 00' + '00'.repeat(256), cls: 0, constructed: false, tag: 4, valueStart: 4, end: 260 },
      ];
    for (const r of rows) {
      const t = readDer(hex(r.in));
      assert.deepEqual(
        { cls: t.cls, constructed: t.constructed, tag: t.tag, start: t.start, valueStart: t.valueStart, end: t.end },
        { cls: r.cls, constructed: r.constructed, tag: r.tag, start: 0, valueStart: r.valueStart, end: r.end },
        r.in.slice(0, 20),
      );
    }
  });

  test('refuses what DER forbids', () => {
    const rows: Array<[string, RegExp]> = [
      ['', /truncated value/],
      ['30', /truncated length/],
      ['30 80 00 00', /indefinite length/],
      ['04 81 05 0102030405', /non-minimal length/], // short form would do
      ['04 82 00 80' + '00'.repeat(128), /non-minimal length/], // leading zero length octet
      ['04 85 01 00 00 00 00', /length too large/],
      ['04 ff', /length too large/],
      ['04 82 01', /truncated length/],
      ['04 05 0102', /truncated value/],
      ['1f 1e 00', /non-minimal tag/], // tag 30 must use the low form
      ['1f 80 21 00', /non-minimal tag/], // leading 0x80 in a high tag
      ['1f 81', /truncated tag/],
      ['1f 81 81 81 81 01 00', /tag number too large/],
      ['02 01 05 00', /trailing data/],
    ];
    for (const [input, pattern] of rows) derError(() => readDer(hex(input)), pattern);
  });

  test('readTlv honours the limit, and reads at an offset', () => {
    const buf = hex('ff ff 02 02 01 02 ff');
    const t = readTlv(buf, 2);
    assert.deepEqual([t.start, t.valueStart, t.end], [2, 4, 6]);
    assert.deepEqual(valueOf(t), hex('0102'));
    assert.deepEqual(encodingOf(t), hex('02 02 01 02'));
    derError(() => readTlv(buf, 2, 5), /truncated value/);
  });

  test('readChildren: in order, each inside the parent', () => {
    const seq = readDer(hex('30 08 02 01 01 04 00 31 02 05'));
    derError(() => readChildren(seq), /truncated/); // the SET claims more than the SEQUENCE holds
    const ok = readDer(hex('30 09 02 01 01 04 00 31 02 05 00'));
    const kids = readChildren(ok);
    assert.deepEqual(
      kids.map((k) => k.tag),
      [UniversalTag.INTEGER, UniversalTag.OCTET_STRING, UniversalTag.SET],
    );
    assert.deepEqual(
      readChildren(kids[2]!).map((k) => k.tag),
      [UniversalTag.NULL],
    );
    derError(() => readChildren(kids[0]!), /expected a constructed value/);
  });

  test('expectUniversal, readExplicit, isContext', () => {
    const seq = readDer(hex('30 00'));
    assert.equal(expectUniversal(seq, UniversalTag.SEQUENCE, 'x'), seq);
    derError(
      () => expectUniversal(readDer(hex('10 00')), UniversalTag.SEQUENCE, 'the thing'),
      /expected SEQUENCE for the thing/,
    );
    derError(
      () => expectUniversal(readDer(hex('22 00')), UniversalTag.OCTET_STRING, 'y'),
      /expected OCTET STRING for y/,
    );
    derError(() => expectUniversal(undefined, UniversalTag.INTEGER, 'version'), /expected INTEGER for version/);
    const explicit = readDer(hex('a2 03 02 01 07'));
    assert.ok(isContext(explicit, 2));
    assert.equal(decodeSmallInteger(readExplicit(explicit)), 7);
    derError(() => readExplicit(readDer(hex('a0 06 02 01 07 02 01 08'))), /exactly one value/);
  });
});

function encodeOid(dotted: string): Buffer {
  const arcs = dotted.split('.').map(BigInt);
  const subids = [arcs[0]! * 40n + arcs[1]!, ...arcs.slice(2)];
  const out: number[] = [];
  for (const s of subids) {
    const groups: number[] = [];
    let v = s;
    do {
      groups.unshift(Number(v & 0x7fn));
      v >>= 7n;
    } while (v > 0n);
    out.push(...groups.map((g, i) => (i < groups.length - 1 ? g | 0x80 : g)));
  }
  return Buffer.concat([Buffer.from([0x06, out.length]), Buffer.from(out)]);
}

describe('decoders', () => {
  test('OBJECT IDENTIFIER', () => {
    const rows: Array<[string, string]> = [
      ['06 03 55 04 03', '2.5.4.3'],
      ['06 09 2a 86 48 86 f7 0d 01 01 0b', '1.2.840.113549.1.1.11'],
      ['06 03 2b 65 70', '1.3.101.112'],
      ['06 03 88 37 03', '2.999.3'], // X.690 §8.19.5 example: first subidentifier above 127
      ['06 01 00', '0.0'],
      ['06 01 27', '0.39'],
    ];
    for (const [input, want] of rows) assert.equal(decodeOid(readDer(hex(input))), want);
    for (const dotted of [
      '2.25.329800735698586629295641978511506172918',
      '1.2.9007199254740993.5',
      '2.100000000000000000000',
    ]) {
      assert.equal(decodeOid(readDer(encodeOid(dotted))), dotted);
    }
    derError(() => decodeOid(readDer(hex('06 00'))), /empty/);
    derError(() => decodeOid(readDer(hex('06 02 80 01'))), /non-minimal/);
    derError(() => decodeOid(readDer(hex('06 03 2a 80 01'))), /non-minimal/);
    derError(() => decodeOid(readDer(hex('06 02 2a 86'))), /truncated/);
    derError(() => decodeOid(readDer(hex('26 00'))), /primitive/);
  });

  test('INTEGER', () => {
    const rows: Array<[string, bigint]> = [
      ['02 01 00', 0n],
      ['02 01 7f', 127n],
      ['02 02 00 80', 128n],
      ['02 01 80', -128n],
      ['02 02 ff 7f', -129n],
      ['02 03 01 00 01', 65537n],
      ['02 09 00 ff ff ff ff ff ff ff ff', 2n ** 64n - 1n],
    ];
    for (const [input, want] of rows) assert.equal(decodeInteger(readDer(hex(input))), want, input);
    derError(() => decodeInteger(readDer(hex('02 00'))), /empty INTEGER/);
    derError(() => decodeInteger(readDer(hex('02 02 00 01'))), /non-minimal INTEGER/);
    derError(() => decodeInteger(readDer(hex('02 02 ff 80'))), /non-minimal INTEGER/);
    // unsigned magnitude
    assert.deepEqual(decodeUnsignedInteger(readDer(hex('02 03 00 ff 01'))), hex('ff01'));
    assert.deepEqual(decodeUnsignedInteger(readDer(hex('02 01 00'))), hex('00'));
    assert.deepEqual(decodeUnsignedInteger(readDer(hex('02 02 7f 01'))), hex('7f01'));
    derError(() => decodeUnsignedInteger(readDer(hex('02 01 ff'))), /negative/);
    // small
    assert.equal(decodeSmallInteger(readDer(hex('02 04 7f ff ff ff'))), 2 ** 31 - 1);
    derError(() => decodeSmallInteger(readDer(hex('02 05 00 80 00 00 00'))), /out of range/);
    derError(() => decodeSmallInteger(readDer(hex('02 01 ff'))), /out of range/);
  });

  test('BIT STRING', () => {
    assert.deepEqual(decodeBitString(readDer(hex('03 03 00 ab cd'))), { unusedBits: 0, bytes: hex('abcd') });
    assert.deepEqual(decodeBitString(readDer(hex('03 02 04 f0'))), { unusedBits: 4, bytes: hex('f0') });
    assert.deepEqual(decodeBitString(readDer(hex('03 01 00'))), { unusedBits: 0, bytes: hex('') });
    derError(() => decodeBitString(readDer(hex('03 02 04 f1'))), /non-zero padding/);
    derError(() => decodeBitString(readDer(hex('03 02 08 00'))), /invalid BIT STRING/);
    derError(() => decodeBitString(readDer(hex('03 01 01'))), /invalid BIT STRING/);
    derError(() => decodeBitString(readDer(hex('03 00'))), /empty/);
    derError(() => decodeBitString(readDer(hex('23 03 03 01 00'))), /primitive/);
  });

  test('BOOLEAN, NULL, OCTET STRING', () => {
    assert.equal(decodeBoolean(readDer(hex('01 01 ff'))), true);
    assert.equal(decodeBoolean(readDer(hex('01 01 00'))), false);
    derError(() => decodeBoolean(readDer(hex('01 01 01'))), /invalid BOOLEAN/);
    derError(() => decodeBoolean(readDer(hex('01 02 00 00'))), /invalid BOOLEAN/);
    assert.equal(decodeNull(readDer(hex('05 00'))), null);
    derError(() => decodeNull(readDer(hex('05 01 00'))), /invalid NULL/);
    assert.deepEqual(decodeOctetString(readDer(hex('04 02 01 02'))), hex('0102'));
  });

  test('strings', () => {
    const rows: Array<[string, string]> = [
      ['0c 03 c3 a9 41', 'éA'], // UTF8String
      ['0c 00', ''],
      ['13 0b 65 78 61 6d 70 6c 65 2e 63 6f 6d', 'example.com'], // PrintableString
      ['13 01 2a', '*'], // '*' is outside PrintableString's alphabet but real CSRs use it
      ['16 03 61 40 62', 'a@b'], // IA5String
      ['12 02 31 32', '12'], // NumericString
      ['1a 02 68 69', 'hi'], // VisibleString
      ['14 02 e9 41', 'éA'], // T61String, read as Latin-1
      ['1e 04 00 e9 00 41', 'éA'], // BMPString
      ['1e 02 4e 2d', '中'],
      ['1c 08 00 01 f6 00 00 00 00 41', '😀A'], // UniversalString
    ];
    for (const [input, want] of rows) assert.equal(decodeString(readDer(hex(input))), want, input);
    const bad: Array<[string, RegExp]> = [
      ['0c 02 c3 28', /invalid UTF-8/],
      ['0c 01 ff', /invalid UTF-8/],
      ['13 01 e9', /non-ASCII/],
      ['16 01 80', /non-ASCII/],
      ['1e 03 00 41 00', /BMPString length/],
      ['1c 02 00 41', /UniversalString length/],
      ['1c 04 00 11 00 00', /UniversalString character/],
      ['04 01 41', /unsupported string type/],
      ['2c 03 0c 01 41', /primitive/], // constructed UTF8String
    ];
    for (const [input, pattern] of bad) derError(() => decodeString(readDer(hex(input))), pattern);
    // IMPLICIT [2] IA5String (a dNSName)
    assert.equal(decodeAsciiString(readDer(hex('82 03 61 2e 62'))), 'a.b');
    derError(() => decodeAsciiString(readDer(hex('82 01 ff'))), /non-ASCII/);
  });

  test('error messages carry offsets, never input bytes', () => {
    // The value bytes spell "SECRET"; none of the messages may echo them in any form.
    const secret = Buffer.from('SECRET');
    const attempts: Array<() => unknown> = [
      () => decodeInteger(readDer(Buffer.concat([hex('02 07 00'), secret]))),
      () => decodeString(readDer(Buffer.concat([hex('04 06'), secret]))),
      () => decodeOid(readDer(Buffer.concat([hex('06 07'), secret, hex('80')]))),
      () => readDer(Buffer.concat([hex('04 06'), secret, secret])),
      () => decodeAsciiString(readDer(Buffer.concat([hex('82 07'), secret, hex('ff')]))),
    ];
    for (const attempt of attempts) {
      assert.throws(attempt, (e: unknown) => {
        assert.ok(e instanceof DerError);
        assert.doesNotMatch(e.message, /SECRET|534543524554|U0VDUkVU/i);
        return true;
      });
    }
  });
});

describe('robustness', () => {
  // Walks everything, decoding what it can; any failure must be a DerError.
  function walk(t: Tlv): void {
    if (t.constructed) {
      for (const c of readChildren(t)) walk(c);
      return;
    }
    if (t.cls !== TagClass.universal) return;
    switch (t.tag) {
      case UniversalTag.INTEGER:
        decodeInteger(t);
        break;
      case UniversalTag.OBJECT_IDENTIFIER:
        decodeOid(t);
        break;
      case UniversalTag.BIT_STRING:
        decodeBitString(t);
        break;
      case UniversalTag.BOOLEAN:
        decodeBoolean(t);
        break;
      case UniversalTag.NULL:
        decodeNull(t);
        break;
      default:
        if (t.tag >= 12) {
          try {
            decodeString(t);
          } catch (e) {
            if (!(e instanceof DerError)) throw e;
          }
        }
    }
  }

  test('mutated real encodings fail only with DerError', () => {
    const samples = [
      crypto.generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'der' }),
      crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'der' }),
    ];
    // Deterministic xorshift so a failure reproduces.
    let s = 0x9e3779b9;
    const rand = (n: number): number => {
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      return (s >>> 0) % n;
    };
    let parsed = 0;
    let refused = 0;
    for (const sample of samples) {
      walk(readDer(sample)); // the originals are valid
      for (let i = 0; i < 3000; i++) {
        const m = Buffer.from(sample);
        const edits = 1 + rand(3);
        for (let k = 0; k < edits; k++) m[rand(m.length)] = rand(256);
        const input = rand(10) === 0 ? m.subarray(0, rand(m.length)) : m;
        try {
          walk(readDer(input));
          parsed++;
        } catch (e) {
          assert.ok(e instanceof DerError, `unexpected ${String(e)}`);
          refused++;
        }
      }
    }
    assert.ok(parsed > 0 && refused > 0, `parsed ${parsed}, refused ${refused}`);
  });
});
