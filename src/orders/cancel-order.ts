// CancelOrderRequest (Alibaba Cloud CAS API reference): an order waiting for validation or
// review goes back to pending application (`payed`). Once issuance has begun (its
// certificate recorded), it can no longer be cancelled.
import { CertError } from '../domain/errors.js';
import type { UseCaseDeps } from './deps.js';
import { JOB_ISSUE, JOB_VALIDATE } from './job-kinds.js';
import { illegal, lockOwnOrder } from './load-order.js';

export type CancelDeps = UseCaseDeps<'clock', 'orders' | 'authorizations' | 'jobs', 'certificates'>;

export async function cancelOrder(deps: CancelDeps, accountId: number, orderId: number): Promise<void> {
  await deps.store.writeTransaction(async (repos) => {
    const order = await lockOwnOrder(repos, accountId, orderId);
    if (order.state !== 'domain_verify' && order.state !== 'process')
      throw illegal(order, 'cancelling', 'domain_verify or process');
    if (await repos.certificates.forOrder(orderId)) {
      throw new CertError('illegal_state', `The order ${orderId} is being issued and can no longer be cancelled.`);
    }
    await repos.orders.moveOrder(
      orderId,
      { to: 'payed', from: [order.state] },
      { approvedAt: null, failReason: null, updatedAt: deps.clock.now() },
    );
    await repos.authorizations.resetForOrder(orderId);
    await repos.jobs.cancel(JOB_VALIDATE, orderId);
    await repos.jobs.cancel(JOB_ISSUE, orderId);
  });
}
