import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { fromPem, pemFromBase64, toPem } from './pem.js';
import { CertError } from '../domain/errors.js';

describe('PEM (RFC 7468)', () => {
  const der = randomBytes(200);
  const other = randomBytes(50);

  test('toPem writes 64-character lines and a final newline', () => {
    const pem = toPem('CERTIFICATE', der);
    const lines = pem.split('\n');
    assert.equal(lines[0], '-----BEGIN CERTIFICATE-----');
    assert.equal(lines.at(-2), '-----END CERTIFICATE-----');
    assert.equal(lines.at(-1), '');
    assert.ok(lines.slice(1, -2).every((l, i, a) => (i < a.length - 1 ? l.length === 64 : l.length <= 64)));
  });

  test('round trip', () => assert.deepEqual(fromPem(toPem('CERTIFICATE', der)), [der]));

  test('pemFromBase64 of the stored base64 is the same text as toPem of the DER', () => {
    for (const n of [0, 1, 47, 48, 49, 200, 1234]) {
      const bytes = randomBytes(n);
      assert.equal(pemFromBase64('CERTIFICATE', bytes.toString('base64')), toPem('CERTIFICATE', bytes));
    }
  });

  test('several blocks, CRLF, and text around them', () => {
    const text = `subject=CN=x\r\n${toPem('CERTIFICATE', der).replace(/\n/g, '\r\n')}\r\n  junk  \n${toPem('PRIVATE KEY', other)}  \n`;
    assert.deepEqual(fromPem(text), [der, other]);
    assert.deepEqual(fromPem(text, 'PRIVATE KEY'), [other]);
    assert.deepEqual(fromPem(text, 'CERTIFICATE REQUEST'), []);
  });

  test('whitespace inside the body is tolerated', () => {
    const pem = toPem('X', der).replace(/\n(?!-)/g, '\n   \t');
    assert.deepEqual(fromPem(pem, 'X'), [der]);
  });

  test('an END with another label does not close the block', () => {
    assert.deepEqual(fromPem(`-----BEGIN A-----\n${der.toString('base64')}\n-----END B-----\n`), []);
  });

  test('no block yields an empty list', () => assert.deepEqual(fromPem('hello'), []));

  test('a body that is not base64 is an error', () => {
    assert.throws(
      () => fromPem('-----BEGIN CERTIFICATE-----\nnot*base64\n-----END CERTIFICATE-----\n'),
      (e: unknown) => e instanceof CertError && e.kind === 'invalid_parameter',
    );
  });
});
