import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canTransition, certificateStatus, orderListStatus, ORDER_STATES, WILL_EXPIRE_MS } from './order.js';

test('transitions follow the CAS doc and nothing else', () => {
  const allowed = new Set([
    'payed>domain_verify',
    'domain_verify>process',
    'domain_verify>verify_fail',
    'domain_verify>payed',
    'process>certificate',
    'process>verify_fail',
    'process>payed',
    'certificate>revoked',
  ]);
  for (const from of ORDER_STATES)
    for (const to of ORDER_STATES) {
      assert.equal(canTransition(from, to), allowed.has(`${from}>${to}`), `${from} -> ${to}`);
    }
});

test('issued certificates are WILLEXPIRED in their last 30 days and EXPIRED after, by date', () => {
  const end = 1_800_000_000_000;
  assert.equal(certificateStatus(end, null, end - WILL_EXPIRE_MS - 1), 'ISSUED');
  assert.equal(certificateStatus(end, null, end - WILL_EXPIRE_MS), 'WILLEXPIRED');
  assert.equal(certificateStatus(end, null, end), 'WILLEXPIRED');
  assert.equal(certificateStatus(end, null, end + 1), 'EXPIRED');
  assert.equal(certificateStatus(end, 5, end - 1e12), 'REVOKED');
});

test('Type -> Status mapping (CAS doc §6)', () => {
  const cert = { notAfter: 2_000, revokedAt: null };
  assert.equal(orderListStatus('payed', undefined, 0), 'PAYED');
  assert.equal(orderListStatus('domain_verify', undefined, 0), 'CHECKING');
  assert.equal(orderListStatus('process', undefined, 0), 'CHECKING');
  assert.equal(orderListStatus('verify_fail', undefined, 0), 'CHECKED_FAIL');
  assert.equal(orderListStatus('revoked', cert, 0), 'REVOKED');
  assert.equal(orderListStatus('certificate', cert, 3_000), 'EXPIRED');
});
