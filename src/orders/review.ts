// Operator review of OV applications: they wait in `process` after domain validation until
// an operator approves (-> issuance) or rejects (-> verify_fail, with the reason kept and
// shown). Also: submitting a pending (`payed`) order again, the console's "submit" button,
// which CAS 2020-04-07 offers no API for (docs/cas-compat.md).
import { CertError } from '../domain/errors.js';
import { newValidationToken } from '../domain/validation-token.js';
import { DCV_TOKEN_LIFETIME_DAYS } from '../policy/validity.js';
import type { UseCaseDeps } from './deps.js';
import type { EventRepoReads, EventRepoWrites } from './events.js';
import { JOB_ISSUE, JOB_VALIDATE } from './job-kinds.js';
import { illegal, lockAnyOrder } from './load-order.js';

export async function approveOrder(
  deps: UseCaseDeps<'clock' | 'wake' | 'events', 'orders' | EventRepoWrites, EventRepoReads>,
  orderId: number,
): Promise<void> {
  await deps.store.writeTransaction(async (repos) => {
    const order = await lockAnyOrder(repos, orderId);
    if (order.state !== 'process' || order.approvedAt !== null)
      throw illegal(order, 'approving', 'process and waiting for review');
    const now = deps.clock.now();
    await repos.orders.update(orderId, { approvedAt: now, updatedAt: now });
    await repos.jobs.enqueue(JOB_ISSUE, orderId, now, now);
    await deps.events(repos, { kind: 'approved', accountId: order.accountId, orderId }, now);
  });
  deps.wake();
}

export async function rejectOrder(
  deps: UseCaseDeps<'clock' | 'events', 'orders' | EventRepoWrites, EventRepoReads>,
  orderId: number,
  reason: string,
): Promise<void> {
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
    await repos.orders.moveOrder(
      orderId,
      { to: 'verify_fail', from: [order.state] },
      { failReason: reason, updatedAt: now },
    );
    await deps.events(repos, { kind: 'verification_failed', accountId: order.accountId, orderId, reason }, now);
    await deps.events(repos, { kind: 'rejected', accountId: order.accountId, orderId, reason: text }, now);
    await repos.jobs.cancel(JOB_VALIDATE, orderId);
    await repos.jobs.cancel(JOB_ISSUE, orderId);
  });
}

/** A pending order starts validation again, with fresh random values (BR 3.2.2.4 v2.2.6: each value is single-use). */
export async function resubmitOrder(
  deps: UseCaseDeps<
    'clock' | 'random' | 'events' | 'wake',
    'orders' | 'authorizations' | EventRepoWrites,
    EventRepoReads
  >,
  orderId: number,
): Promise<void> {
  await deps.store.writeTransaction(async (repos) => {
    const order = await lockAnyOrder(repos, orderId);
    if (order.state !== 'payed') throw illegal(order, 'submitting', 'payed');
    const now = deps.clock.now();
    await repos.orders.moveOrder(
      orderId,
      { to: 'domain_verify', from: ['payed'] },
      {
        failReason: null,
        approvedAt: null,
        caaCheckedAt: null,
        validationDeadline: now + DCV_TOKEN_LIFETIME_DAYS * 86_400_000,
        updatedAt: now,
      },
    );
    for (const a of await repos.authorizations.forOrder(orderId)) {
      await repos.authorizations.replaceToken(a.id, newValidationToken(deps.random, now));
    }
    await repos.jobs.enqueue(JOB_VALIDATE, orderId, now, now);
    await deps.events(repos, { kind: 'verification_needed', accountId: order.accountId, orderId, order }, now);
  });
  deps.wake();
}
