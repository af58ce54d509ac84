import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { getProduct } from './products.js';
import {
  DCV_TOKEN_LIFETIME_DAYS,
  VALIDITY_RULES,
  computeLeafValidity,
  dcvReuseDays,
  identityReuseDays,
  leafValidityDays,
  maxValidityDays,
  rulesInForce,
} from './validity.js';

const t = (iso: string): number => {
  const ms = Date.parse(iso);
  assert.ok(Number.isFinite(ms), iso);
  return ms;
};

const FREE_90 = getProduct('digicert-free-1-free'); // 90 days
const FREE_365 = getProduct('symantec-free-1-free'); // "1 year"
const PAID = getProduct('geotrust-ov-1-personal'); // 365 days

describe('rules in force (BR 6.3.2 and 4.2.1, ballot SC-081)', () => {
  // [instant, max validity, DCV reuse, identity reuse]
  const rows: Array<[string, number, number, number]> = [
    ['2020-09-01T00:00:00.000Z', 398, 398, 825],
    ['2026-03-14T23:59:59.999Z', 398, 398, 825],
    ['2026-03-15T00:00:00.000Z', 200, 200, 398],
    ['2026-12-31T12:00:00.000Z', 200, 200, 398],
    ['2027-03-14T23:59:59.999Z', 200, 200, 398],
    ['2027-03-15T00:00:00.000Z', 100, 100, 398],
    ['2029-03-14T23:59:59.999Z', 100, 100, 398],
    ['2029-03-15T00:00:00.000Z', 47, 10, 398],
    ['2040-01-01T00:00:00.000Z', 47, 10, 398],
  ];
  for (const [iso, max, dcv, identity] of rows) {
    test(`at ${iso}: ${max} / ${dcv} / ${identity} days`, () => {
      const at = t(iso);
      assert.equal(maxValidityDays(at), max);
      assert.equal(dcvReuseDays(at), dcv);
      assert.equal(identityReuseDays(at), identity);
      assert.deepEqual(
        [rulesInForce(at).maxValidityDays, rulesInForce(at).dcvReuseDays, rulesInForce(at).identityReuseDays],
        [max, dcv, identity],
      );
    });
  }

  test('the table is sorted, frozen and its effective dates are UTC midnights', () => {
    assert.ok(Object.isFrozen(VALIDITY_RULES));
    assert.deepEqual(
      VALIDITY_RULES.slice(1).map((r) => new Date(r.effectiveFrom).toISOString()),
      ['2026-03-15T00:00:00.000Z', '2027-03-15T00:00:00.000Z', '2029-03-15T00:00:00.000Z'],
    );
    for (let i = 1; i < VALIDITY_RULES.length; i++) {
      const prev = VALIDITY_RULES[i - 1];
      const row = VALIDITY_RULES[i];
      assert.ok(prev && row && prev.effectiveFrom < row.effectiveFrom);
      // Limits only ever tighten.
      assert.ok(row.maxValidityDays <= prev.maxValidityDays && row.dcvReuseDays <= prev.dcvReuseDays);
    }
  });

  test('DCV random values live 30 days', () => {
    assert.equal(DCV_TOKEN_LIFETIME_DAYS, 30);
  });

  test('a non-finite time is refused', () => {
    assert.throws(() => rulesInForce(Number.NaN), RangeError);
    assert.throws(() => computeLeafValidity(PAID, Number.POSITIVE_INFINITY), RangeError);
  });
});

describe('computeLeafValidity with a lifetime cap in hours (an ACME profile)', () => {
  test('shortens the product validity, never lengthens it', () => {
    const at = Date.parse('2026-06-01T12:00:00Z');
    const v = computeLeafValidity(FREE_90, at, 160);
    assert.equal(v.notAfter - v.notBefore, 160 * 3_600_000 - 1000);
    assert.deepEqual(computeLeafValidity(FREE_90, at, 100_000), computeLeafValidity(FREE_90, at));
    assert.deepEqual(computeLeafValidity(FREE_90, at, null), computeLeafValidity(FREE_90, at));
  });
});

describe('computeLeafValidity', () => {
  // [product, signing time, expected notBefore, expected notAfter, expected whole days]
  // notBefore is the signing second minus one hour; the period (notAfter - notBefore + 1 s)
  // is min(product default, max in force - 1) days. End dates counted by hand on a calendar.
  const cases: Array<[string, typeof PAID, string, string, string, number]> = [
    [
      'paid, last second of the 398-day era',
      PAID,
      '2026-03-14T23:59:59.000Z',
      '2026-03-14T22:59:59.000Z',
      '2027-03-14T22:59:58.000Z',
      365,
    ],
    [
      'paid, first instant of the 200-day era',
      PAID,
      '2026-03-15T00:00:00.000Z',
      '2026-03-14T23:00:00.000Z',
      '2026-09-29T22:59:59.000Z',
      199,
    ],
    [
      'paid, last second of the 200-day era',
      PAID,
      '2027-03-14T23:59:59.000Z',
      '2027-03-14T22:59:59.000Z',
      '2027-09-29T22:59:58.000Z',
      199,
    ],
    [
      'paid, first instant of the 100-day era',
      PAID,
      '2027-03-15T00:00:00.000Z',
      '2027-03-14T23:00:00.000Z',
      '2027-06-21T22:59:59.000Z',
      99,
    ],
    [
      'paid, last second of the 100-day era',
      PAID,
      '2029-03-14T23:59:59.000Z',
      '2029-03-14T22:59:59.000Z',
      '2029-06-21T22:59:58.000Z',
      99,
    ],
    [
      'paid, first instant of the 47-day era',
      PAID,
      '2029-03-15T00:00:00.000Z',
      '2029-03-14T23:00:00.000Z',
      '2029-04-29T22:59:59.000Z',
      46,
    ],
    [
      'free 90-day product is never capped before 2029',
      FREE_90,
      '2027-03-15T00:00:00.000Z',
      '2027-03-14T23:00:00.000Z',
      '2027-06-12T22:59:59.000Z',
      90,
    ],
    [
      'free 90-day product before 2026-03-15',
      FREE_90,
      '2026-01-10T08:30:00.000Z',
      '2026-01-10T07:30:00.000Z',
      '2026-04-10T07:29:59.000Z',
      90,
    ],
    [
      'free 90-day product in the 47-day era',
      FREE_90,
      '2029-03-15T00:00:00.000Z',
      '2029-03-14T23:00:00.000Z',
      '2029-04-29T22:59:59.000Z',
      46,
    ],
    [
      'free "1 year" product in the 200-day era',
      FREE_365,
      '2026-06-01T12:00:00.000Z',
      '2026-06-01T11:00:00.000Z',
      '2026-12-17T10:59:59.000Z',
      199,
    ],
    // Milliseconds are dropped first: X.509 Time has whole seconds (RFC 5280 §4.1.2.5.1/2).
    [
      'fractional signing second is truncated',
      PAID,
      '2026-03-15T00:00:00.999Z',
      '2026-03-14T23:00:00.000Z',
      '2026-09-29T22:59:59.000Z',
      199,
    ],
    // The backdated notBefore falls before the boundary, but the rules of the signing time apply.
    [
      'signed 30 minutes into the 200-day era',
      PAID,
      '2026-03-15T00:30:00.000Z',
      '2026-03-14T23:30:00.000Z',
      '2026-09-29T23:29:59.000Z',
      199,
    ],
  ];
  for (const [label, product, signing, notBefore, notAfter, days] of cases) {
    test(label, () => {
      const v = computeLeafValidity(product, t(signing));
      assert.equal(new Date(v.notBefore).toISOString(), notBefore);
      assert.equal(new Date(v.notAfter).toISOString(), notAfter);
      assert.equal(leafValidityDays(product, t(signing)), days);
      // RFC 5280 inclusive period, in seconds.
      assert.equal((v.notAfter - v.notBefore) / 1000 + 1, days * 86_400);
    });
  }

  test('never reaches the BR maximum, counted as BR §6.3.2 counts days, at any second around the boundaries', () => {
    const boundaries = ['2026-03-15T00:00:00Z', '2027-03-15T00:00:00Z', '2029-03-15T00:00:00Z'].map(t);
    for (const product of [FREE_90, FREE_365, PAID]) {
      for (const boundary of boundaries) {
        for (const offsetSeconds of [-86_400, -3_601, -3_600, -1, 0, 1, 3_599, 3_600, 86_400]) {
          const signing = boundary + offsetSeconds * 1000 + 123;
          const v = computeLeafValidity(product, signing);
          const periodSeconds = (v.notAfter - v.notBefore) / 1000 + 1;
          // Any part of a day counts as a whole day.
          const brDays = Math.ceil(periodSeconds / 86_400);
          assert.ok(brDays <= maxValidityDays(signing) - 1, `${product.code} at ${new Date(signing).toISOString()}`);
          assert.ok(brDays <= product.defaultValidityDays);
          // notBefore within 48 h of signing (BR §7.1.2.7), and before it.
          assert.ok(v.notBefore < signing && signing - v.notBefore <= 48 * 3_600_000);
          assert.equal(v.notBefore % 1000, 0);
          assert.equal(v.notAfter % 1000, 0);
        }
      }
    }
  });
});
