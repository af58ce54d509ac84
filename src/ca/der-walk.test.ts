import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { childrenOf, contentOf, decodeOid, decodeTime, readRoot, readTlv } from './der-walk.js';
import { integer, oid, sequence, x509Time } from '../crypto/der-writer.js';
import { generateSerial } from './serial.js';
import { CertError } from '../domain/errors.js';

const malformed = (e: unknown): boolean => e instanceof CertError && e.kind === 'bad_certificate';

describe('der-walk', () => {
  test('walks a SEQUENCE written by der-writer', () => {
    const der = sequence(integer(5), oid('1.2.840.113549.1.1.11'));
    const [i, o] = childrenOf(der, readRoot(der, 0x30));
    assert.deepEqual(contentOf(der, i!), Buffer.from([5]));
    assert.equal(decodeOid(contentOf(der, o!)), '1.2.840.113549.1.1.11');
  });
  for (const dotted of ['2.5.4.3', '2.999.3', '1.3.6.1.4.1.11129.2.4.2', '0.9.2342.19200300.100.1.25']) {
    test(`OID ${dotted} round-trips`, () => assert.equal(decodeOid(oid(dotted).subarray(2)), dotted));
  }
  for (const iso of ['2026-05-01T00:00:00Z', '2049-12-31T23:59:59Z', '2050-01-01T00:00:00Z', '1999-01-01T00:00:00Z']) {
    test(`time ${iso} round-trips`, () => {
      const der = x509Time(Date.parse(iso));
      assert.equal(decodeTime(der, readTlv(der, 0)), Date.parse(iso));
    });
  }
  const bad: Array<[string, number[]]> = [
    ['indefinite length', [0x30, 0x80, 0x00, 0x00]],
    ['non-minimal long length', [0x04, 0x81, 0x01, 0x00]],
    ['length past the end', [0x04, 0x05, 0x00]],
    ['trailing bytes', [0x05, 0x00, 0x00]],
    ['high tag number', [0x1f, 0x01, 0x00]],
    ['empty', []],
  ];
  for (const [name, bytes] of bad) test(`rejects ${name}`, () => assert.throws(() => readRoot(Buffer.from(bytes), bytes[0] ?? 0), malformed));
});

describe('generateSerial', () => {
  test('16 octets, positive, no padding octet needed, random', () => {
    const random = { bytes: (n: number) => randomBytes(n) };
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const s = generateSerial(random);
      assert.equal(s.length, 16);
      assert.ok(s[0]! >= 1 && s[0]! <= 0x7f);
      assert.equal(integer(s).length, 18);
      seen.add(s.toString('hex'));
    }
    assert.equal(seen.size, 200);
  });
  test('an all-zero random source still yields a positive 16-octet serial', () => {
    const s = generateSerial({ bytes: (n) => Buffer.alloc(n) });
    assert.equal(s[0], 1);
    assert.equal(integer(s)[1], 16);
  });
  test('an all-ones random source keeps the serial below 2^127', () => {
    const s = generateSerial({ bytes: (n) => Buffer.alloc(n, 0xff) });
    assert.equal(s[0], 0x7f);
  });
});
