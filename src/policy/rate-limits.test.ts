import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Cas } from '../../test/support/sdk.js';
import { CAS_RATE_LIMITS, DEFAULT_RATE_LIMIT, DOCUMENTED_RATE_LIMITS, rateLimitFor } from './rate-limits.js';

// Alibaba Cloud CAS API reference (2020-04-07), API overview, "Documented per-account QPS limits", in the doc's order.
const DOCUMENTED: ReadonlyArray<[string, number]> = [
  ['CancelOrderRequest', 100],
  ['GetUserCertificateDetail', 100],
  ['UploadUserCertificate', 100],
  ['DeleteUserCertificate', 100],
  ['CancelCertificateForPackageRequest', 10],
  ['ListUserCertificateOrder', 10],
  ['ListCert', 10],
  ['ListCertWarehouse', 10],
  ['GetCertWarehouseQuota', 10],
  ['Encrypt', 10],
  ['Decrypt', 10],
  ['DeletePCACert', 10],
];

describe('CAS rate limits', () => {
  for (const [action, limit] of DOCUMENTED) {
    test(`${action}: ${limit} per second per account (Alibaba Cloud CAS API reference (2020-04-07), API overview)`, () => {
      assert.equal(rateLimitFor(CAS_RATE_LIMITS, action), limit);
    });
  }

  test('the table holds exactly the documented limits', () => {
    assert.deepEqual([...DOCUMENTED_RATE_LIMITS].sort(), [...DOCUMENTED].sort());
  });

  test('every limited action is an action of the official SDK (no misspelt name goes unlimited)', () => {
    const client = Cas.default.prototype as unknown as Record<string, unknown>;
    for (const action of DOCUMENTED_RATE_LIMITS.keys()) {
      const method = `${action[0]!.toLowerCase()}${action.slice(1)}WithOptions`;
      assert.equal(typeof client[method], 'function', `${action} is not an SDK action`);
    }
  });

  for (const action of ['DescribeCertificateState', 'CreateCertificateForPackageRequest', 'ListCsr', 'NotAnAction']) {
    test(`${action}, with no documented limit, gets the default: limited, not unlimited`, () => {
      assert.equal(rateLimitFor(CAS_RATE_LIMITS, action), DEFAULT_RATE_LIMIT);
    });
  }

  test('every limit is a positive whole number of requests', () => {
    for (const limit of [DEFAULT_RATE_LIMIT, ...DOCUMENTED_RATE_LIMITS.values()]) {
      assert.ok(Number.isSafeInteger(limit) && limit > 0, String(limit));
    }
  });

  test('a custom table overrides per action and by default', () => {
    const table = { byAction: new Map([['ListCsr', 3]]), defaultLimit: 7 };
    assert.equal(rateLimitFor(table, 'ListCsr'), 3);
    assert.equal(rateLimitFor(table, 'ListUserCertificateOrder'), 7);
  });
});
