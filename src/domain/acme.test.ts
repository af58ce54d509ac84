import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAriCertId } from './acme.js';

const b64 = (hex: string) => Buffer.from(hex, 'hex').toString('base64url');

describe('ARI certID (RFC 9773 §4.1)', () => {
  const aki = b64('69882cb3d6a3f2e5');

  test('a serial whose first octet is below 0x10 keeps its zero nibble, as serials are stored', () => {
    // Found by a flaky test: about one serial in nine starts with 0x01-0x0F.
    assert.equal(
      parseAriCertId(`${aki}.${b64('0a1b2c3d4e5f60718293a4b5c6d7e8f9')}`)?.serialHex,
      '0A1B2C3D4E5F60718293A4B5C6D7E8F9',
    );
  });

  test("a DER sign octet before a high first octet is not part of the serial's octets", () => {
    assert.equal(parseAriCertId(`${aki}.${b64('0080ff')}`)?.serialHex, '80FF');
    assert.equal(parseAriCertId(`${aki}.${b64('00')}`)?.serialHex, '00');
  });

  test('malformed certIDs are refused', () => {
    for (const bad of ['', 'abc', `${aki}.`, `.${b64('01')}`, `${aki}.${b64('01'.repeat(22))}`, `${aki}.a+b`])
      assert.equal(parseAriCertId(bad), undefined, bad);
  });
});
