// Operator review of OV applications (issue 3, Review): they wait in `process` after domain
// validation until an operator approves (-> issuance) or rejects (-> verify_fail, with the
// reason kept and shown). Also: submitting a pending (`payed`) order again, the console's
// "submit" button, which CAS 2020-04-07 offers no API for (docs/cas-compat.md).
import { CertError } from '../domain/errors.js';
import type { OrderRow } from '../store/schema.js';
import type { Repos } from '../store/store.js';
import type { OrderDeps } from './deps.js';
import { JOB_ISSUE, JOB_VALIDATE } from './jobs.js';
import { illegal } from './load-order.js';
import { newValidationToken } from './tokens.js';
import { DCV_TOKEN_LIFETIME_DAYS } from '../policy/validity.js';

async function lockAnyOrder(repos: Repos, orderId: number): Promise<OrderRow> {
  const order = await repos.orders.getForUpdate(orderId);
  if (!order) throw new CertError('not_found', `The order ${orderId} does not exist.`);
  return order;
}

export async function approveOrder(deps: OrderDeps, orderId: number): Promise<void> {
  await deps.store.writeTransaction(async (repos) => {
    const order = await lockAnyOrder(repos, orderId);
    if (order.state !== 'process' || order.approved_at !== null)
      throw illegal(order, 'approving', 'process and waiting for review');
    const now = deps.clock.now();
    await repos.orders.update(orderId, { approved_at: now, updated_at: now });
    await repos.jobs.enqueue(JOB_ISSUE, orderId, now, now);
  });
  deps.wake();
}

export async function rejectOrder(deps: OrderDeps, orderId: number, reason: string): Promise<void> {
  const text = reason.trim();
  if (text === '' || text.length > 500)
    throw new CertError('invalid_parameter', 'A rejection needs a reason of 1 to 500 characters.');
  await deps.store.writeTransaction(async (repos) => {
    const order = await lockAnyOrder(repos, orderId);
    if (
      (order.state !== 'process' && order.state !== 'domain_verify') ||
      (await repos.certificates.forOrder(orderId))
    ) {
      throw illegal(order, 'rejecting', 'domain_verify or process, before issuance');
    }
    const now = deps.clock.now();
    const reason = `Rejected by review: ${text}`;
    await repos.orders.transition(orderId, ['process', 'domain_verify'], {
      state: 'verify_fail',
      fail_reason: reason,
      updated_at: now,
    });
    await deps.events(repos, { kind: 'verification_failed', accountId: order.account_id, orderId, reason }, now);
    await repos.jobs.cancel(JOB_VALIDATE, orderId);
    await repos.jobs.cancel(JOB_ISSUE, orderId);
  });
}

/** A pending order starts validation again, with fresh random values (BR §3.2.2.4: each value is single-use). */
export async function resubmitOrder(deps: OrderDeps, orderId: number): Promise<void> {
  await deps.store.writeTransaction(async (repos) => {
    const order = await lockAnyOrder(repos, orderId);
    if (order.state !== 'payed') throw illegal(order, 'submitting', 'payed');
    const now = deps.clock.now();
    await repos.orders.transition(orderId, ['payed'], {
      state: 'domain_verify',
      fail_reason: null,
      approved_at: null,
      caa_checked_at: null,
      validation_deadline: now + DCV_TOKEN_LIFETIME_DAYS * 86_400_000,
      updated_at: now,
    });
    for (const a of await repos.authorizations.forOrder(orderId)) {
      await repos.authorizations.replaceToken(a.id, newValidationToken(deps.random, now));
    }
    await repos.jobs.enqueue(JOB_VALIDATE, orderId, now, now);
    await deps.events(repos, { kind: 'verification_needed', accountId: order.account_id, orderId }, now);
  });
  deps.wake();
}
