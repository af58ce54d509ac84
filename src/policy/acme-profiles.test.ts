import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  acmeProfileDescriptions,
  findAcmeProfile,
  identifierKindOf,
  SHORTLIVED_PROFILE,
  SHORTLIVED_VALIDITY_HOURS,
} from './acme-profiles.js';
import { PRODUCTS } from './products.js';

describe('ACME profiles', () => {
  test('one per DV product (DNS names only, the product validity), and shortlived (DNS and IP, 160 hours)', () => {
    const names = Object.keys(acmeProfileDescriptions());
    const dv = PRODUCTS.filter((p) => !p.requiresReview).map((p) => p.code);
    assert.deepEqual(names, [...dv, SHORTLIVED_PROFILE]);
    for (const code of dv) {
      const p = findAcmeProfile(code)!;
      assert.deepEqual([p.product.code, [...p.identifierTypes], p.validityHours], [code, ['dns'], undefined]);
    }
    const short = findAcmeProfile(SHORTLIVED_PROFILE)!;
    assert.deepEqual([...short.identifierTypes], ['dns', 'ip']);
    assert.equal(short.validityHours, SHORTLIVED_VALIDITY_HOURS);
    assert.equal(short.product.code, 'digicert-free-1-free');
    assert.equal(findAcmeProfile('geotrust-ov-1-personal'), undefined, 'OV products need review: no profile');
  });

  test('identifierKindOf: addresses are ip, everything else dns', () => {
    assert.equal(identifierKindOf('127.0.0.1'), 'ip');
    assert.equal(identifierKindOf('2001:db8::1'), 'ip');
    assert.equal(identifierKindOf('example.com'), 'dns');
    assert.equal(identifierKindOf('*.example.com'), 'dns');
  });
});
