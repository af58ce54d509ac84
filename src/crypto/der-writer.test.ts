import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  bitString,
  boolean,
  encodeLength,
  explicit,
  generalizedTime,
  ia5String,
  implicit,
  integer,
  nullValue,
  octetString,
  oid,
  printableString,
  sequence,
  setOf,
  tlv,
  utcTime,
  utf8String,
  x509Time,
} from './der-writer.js';
import { CertError } from '../domain/errors.js';

const hex = (b: Buffer): string => b.toString('hex');
const isInvalid = (e: unknown): boolean => e instanceof CertError && e.kind === 'invalid_parameter';

describe('encodeLength (X.690 §10.1)', () => {
  const cases: Array<[number, string]> = [
    [0, '00'],
    [127, '7f'],
    [128, '8180'],
    [255, '81ff'],
    [256, '820100'],
    [65535, '82ffff'],
    [65536, '83010000'],
  ];
  for (const [n, want] of cases) test(`${n} -> ${want}`, () => assert.equal(hex(encodeLength(n)), want));
  test('long content gets long-form length inside a TLV', () => {
    const t = tlv(0x04, Buffer.alloc(300, 1));
    assert.equal(hex(t.subarray(0, 4)), '0482012c');
    assert.equal(t.length, 304);
  });
  test('rejects negative lengths', () => assert.throws(() => encodeLength(-1), isInvalid));
});

describe('INTEGER (X.690 §8.3)', () => {
  const cases: Array<[string, bigint | number | Buffer, string]> = [
    ['0', 0, '020100'],
    ['127', 127, '02017f'],
    ['128 gets a leading zero', 128, '02020080'],
    ['256', 256, '02020100'],
    ['-1', -1, '0201ff'],
    ['-128', -128n, '020180'],
    ['-129', -129n, '0202ff7f'],
    ['2^64', 1n << 64n, '0209010000000000000000'],
    ['Buffer with high bit set is read unsigned', Buffer.from([0x80]), '02020080'],
    ['Buffer 0xffff', Buffer.from([0xff, 0xff]), '020300ffff'],
    ['Buffer leading zeros are trimmed', Buffer.from([0, 0, 1]), '020101'],
    ['Buffer keeps needed zero', Buffer.from([0, 0, 0x90]), '02020090'],
    ['Buffer all zeros', Buffer.from([0, 0]), '020100'],
  ];
  for (const [name, v, want] of cases) test(name, () => assert.equal(hex(integer(v)), want));
  test('rejects unsafe numbers', () => assert.throws(() => integer(2 ** 60), isInvalid));
});

describe('OBJECT IDENTIFIER (X.690 §8.19)', () => {
  const cases: Array<[string, string]> = [
    ['1.2.840.113549.1.1.11', '06092a864886f70d01010b'],
    ['2.5.4.3', '0603550403'],
    ['1.2.840.10045.4.3.2', '06082a8648ce3d040302'],
    ['2.23.140.1.2.1', '060667810c010201'],
    ['2.999.3', '0603883703'],
  ];
  for (const [dotted, want] of cases) test(dotted, () => assert.equal(hex(oid(dotted)), want));
  test('repeat calls return the cached encoding', () => assert.equal(oid('2.5.4.3'), oid('2.5.4.3')));
  for (const bad of ['', '1', '3.1', '1.40', '1.2.03', '1..2', 'a.b']) {
    test(`rejects ${JSON.stringify(bad)}`, () => assert.throws(() => oid(bad), isInvalid));
  }
});

describe('simple types', () => {
  const cases: Array<[string, () => Buffer, string]> = [
    ['BOOLEAN TRUE is 0xff', () => boolean(true), '0101ff'],
    ['BOOLEAN FALSE', () => boolean(false), '010100'],
    ['NULL', () => nullValue(), '0500'],
    ['BIT STRING with unused bits', () => bitString(Buffer.from([0xa0]), 5), '030205a0'],
    ['empty BIT STRING', () => bitString(Buffer.alloc(0)), '030100'],
    ['OCTET STRING', () => octetString(Buffer.from([1, 2])), '04020102'],
    ['UTF8String', () => utf8String('é'), '0c02c3a9'],
    ['PrintableString', () => printableString('CN'), '1302434e'],
    ['IA5String', () => ia5String('a.b'), '1603612e62'],
    ['SEQUENCE', () => sequence(integer(1), nullValue()), '30050201010500'],
    ['empty SEQUENCE', () => sequence(), '3000'],
    ['SET OF is sorted by encoding', () => setOf([integer(2), integer(1)]), '3106020101020102'],
    ['[0] EXPLICIT', () => explicit(0, integer(2)), 'a003020102'],
    ['[2] IMPLICIT primitive', () => implicit(2, ia5String('a')), '820161'],
    ['[0] IMPLICIT keeps constructed bit', () => implicit(0, sequence(nullValue())), 'a0020500'],
  ];
  for (const [name, f, want] of cases) test(name, () => assert.equal(hex(f()), want));
  test('setOf does not reorder its input array', () => {
    const items = [integer(2), integer(1)];
    setOf(items);
    assert.equal(hex(items[0] as Buffer), '020102');
  });
  test('PrintableString rejects characters outside its repertoire', () => {
    for (const s of ['a@b', '*.example.com', 'é', 'a_b']) assert.throws(() => printableString(s), isInvalid);
  });
  test('IA5String rejects non-ASCII', () => assert.throws(() => ia5String('bücher.example'), isInvalid));
  test('BIT STRING rejects unused bits out of range', () =>
    assert.throws(() => bitString(Buffer.from([0]), 8), isInvalid));
});

describe('Time (RFC 5280 §4.1.2.5)', () => {
  const ascii = (b: Buffer): string => `${b[0]?.toString(16)}:${b.subarray(2).toString('latin1')}`;
  const cases: Array<[string, string, string]> = [
    ['last UTCTime second', '2049-12-31T23:59:59Z', '17:491231235959Z'],
    ['2050 switches to GeneralizedTime', '2050-01-01T00:00:00Z', '18:20500101000000Z'],
    ['first UTCTime year', '1950-01-01T00:00:00Z', '17:500101000000Z'],
    ['before 1950 is GeneralizedTime', '1949-12-31T23:59:59Z', '18:19491231235959Z'],
    ['milliseconds are truncated', '2026-05-01T12:34:56.789Z', '17:260501123456Z'],
    ['far future', '9999-12-31T23:59:59Z', '18:99991231235959Z'],
  ];
  for (const [name, iso, want] of cases) test(name, () => assert.equal(ascii(x509Time(Date.parse(iso))), want));
  test('utcTime refuses 2050', () => assert.throws(() => utcTime(Date.parse('2050-01-01T00:00:00Z')), isInvalid));
  test('generalizedTime works for any date', () =>
    assert.equal(generalizedTime(Date.parse('2026-01-02T03:04:05Z')).subarray(2).toString(), '20260102030405Z'));
  test('lengths are 13 and 15 octets', () => {
    assert.equal(x509Time(Date.parse('2030-01-01T00:00:00Z'))[1], 13);
    assert.equal(x509Time(Date.parse('2060-01-01T00:00:00Z'))[1], 15);
  });
});
