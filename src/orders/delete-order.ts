// DeleteCertificateRequest (Alibaba Cloud CAS API reference): only a failed order
// (verify_fail) or a pending one (payed, e.g. after CancelOrderRequest) may be deleted;
// deleting releases its unit of the plan (the quota counts live orders only).
import { isDeletable } from '../domain/order.js';
import type { UseCaseDeps } from './deps.js';
import { illegal, lockOwnOrder } from './load-order.js';

export async function deleteOrder(
  deps: UseCaseDeps<'clock', 'orders'>,
  accountId: number,
  orderId: number,
): Promise<void> {
  await deps.store.writeTransaction(async (repos) => {
    const order = await lockOwnOrder(repos, accountId, orderId);
    if (!isDeletable(order.state)) throw illegal(order, 'deleting', 'verify_fail or payed');
    await repos.orders.markDeleted(orderId, deps.clock.now());
  });
}
