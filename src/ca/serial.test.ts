import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { generateSerial } from './serial.js';
import { integer } from '../crypto/der-writer.js';

describe('generateSerial (BR §7.1.2.7, RFC 5280 §4.1.2.2)', () => {
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
    assert.equal(generateSerial({ bytes: (n) => Buffer.alloc(n, 0xff) })[0], 0x7f);
  });
  test('does not modify the buffer the random source returned', () => {
    const raw = Buffer.alloc(16, 0xff);
    generateSerial({ bytes: () => raw });
    assert.equal(raw[0], 0xff);
  });
});
