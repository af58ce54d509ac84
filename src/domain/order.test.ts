import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  INITIAL_ORDER_STATES,
  ORDER_STATES,
  canTransition,
  certificateStatus,
  isDeletable,
  orderListStatus,
  orderStatesListedAs,
  predecessorsOf,
  WILL_EXPIRE_MS,
  type NextState,
  type OrderState,
  type PreviousState,
} from './order.js';

// The transitions of the Alibaba Cloud CAS API reference, written out pair by pair: the
// table in order.ts must say exactly these (adding a state adds its pairs here).
const ALLOWED = new Set([
  'payed>domain_verify', // submitted again
  'domain_verify>process', // every name validated
  'domain_verify>verify_fail', // validation failed (CAA, deadline) or rejected
  'domain_verify>payed', // CancelOrderRequest
  'process>certificate', // issued
  'process>verify_fail', // CAA recheck at issuance, or rejected by review
  'process>payed', // CancelOrderRequest before issuance began
  'certificate>revoked', // CancelCertificateForPackageRequest, revocation by serial or key
  'domain_verify>ready', // ACME: every name validated, no CSR yet (RFC 8555 §7.1.6)
  'ready>process', // ACME finalize with the CSR
  'ready>verify_fail', // ACME: the order expired or an authorization was deactivated
  'ready>payed', // CancelOrderRequest while waiting for the CSR
]);

test('the state table allows exactly the documented moves, pair by pair', () => {
  for (const from of ORDER_STATES)
    for (const to of ORDER_STATES) {
      assert.equal(canTransition(from, to), ALLOWED.has(`${from}>${to}`), `${from} -> ${to}`);
    }
});

test('predecessors of each state are what a guarded move accepts', () => {
  for (const to of ORDER_STATES) {
    const expected = ORDER_STATES.filter((from) => ALLOWED.has(`${from}>${to}`));
    assert.deepEqual(predecessorsOf(to), expected, to);
  }
  assert.deepEqual(predecessorsOf('verify_fail'), ['domain_verify', 'ready', 'process']);
});

test('orders are created payed (renewal) or domain_verify (submission); failed and revoked are final', () => {
  assert.deepEqual(INITIAL_ORDER_STATES, ['payed', 'domain_verify']);
  for (const end of ['verify_fail', 'revoked'] as const)
    assert.deepEqual(
      ORDER_STATES.filter((to) => canTransition(end, to)),
      [],
      end,
    );
  assert.deepEqual(
    ORDER_STATES.filter((s) => isDeletable(s)),
    ['payed', 'verify_fail'],
  );
});

test('the successor and predecessor types follow the table', () => {
  // Compile-time checks: each line fails `npm run typecheck` if the table changes under it.
  const fromProcess: NextState<'process'>[] = ['certificate', 'verify_fail', 'payed'];
  const intoPayed: PreviousState<'payed'>[] = ['domain_verify', 'ready', 'process'];
  // @ts-expect-error certificate -> payed is not a move of the table
  const illegal: NextState<'certificate'> = 'payed';
  assert.deepEqual([fromProcess, intoPayed, illegal].flat().length, 7);
  const every: OrderState[] = ORDER_STATES;
  assert.equal(every.length, 7);
});

test('issued certificates are WILLEXPIRED in their last 30 days and EXPIRED after, by date', () => {
  const end = 1_800_000_000_000;
  assert.equal(certificateStatus(end, null, end - WILL_EXPIRE_MS - 1), 'ISSUED');
  assert.equal(certificateStatus(end, null, end - WILL_EXPIRE_MS), 'WILLEXPIRED');
  assert.equal(certificateStatus(end, null, end), 'WILLEXPIRED');
  assert.equal(certificateStatus(end, null, end + 1), 'EXPIRED');
  assert.equal(certificateStatus(end, 5, end - 1e12), 'REVOKED');
});

test('Type -> Status mapping (ListUserCertificateOrder) and back', () => {
  const cert = { notAfter: 2_000, revokedAt: null };
  assert.equal(orderListStatus('payed', undefined, 0), 'PAYED');
  assert.equal(orderListStatus('domain_verify', undefined, 0), 'CHECKING');
  assert.equal(orderListStatus('process', undefined, 0), 'CHECKING');
  assert.equal(orderListStatus('verify_fail', undefined, 0), 'CHECKED_FAIL');
  assert.equal(orderListStatus('revoked', cert, 0), 'REVOKED');
  assert.equal(orderListStatus('certificate', cert, 3_000), 'EXPIRED');
  assert.equal(orderListStatus('ready', undefined, 0), 'CHECKING');
  assert.deepEqual(orderStatesListedAs('CHECKING'), ['domain_verify', 'ready', 'process']);
  assert.deepEqual(orderStatesListedAs('WILLEXPIRED'), ['certificate']);
  assert.deepEqual(orderStatesListedAs('NOTACTIVATED'), []);
});
