// DeleteCertificateRequest (CAS doc §5.1): only a failed order (verify_fail) or a pending
// one (payed, e.g. after CancelOrderRequest) may be deleted; deleting releases its unit of
// the plan (the quota counts live orders only).
import { DELETABLE_STATES, type OrderState } from '../domain/order.js';
import type { OrderDeps } from './deps.js';
import { illegal, lockOwnOrder } from './load-order.js';

export async function deleteOrder(deps: OrderDeps, accountId: number, orderId: number): Promise<void> {
  await deps.store.writeTransaction(async (repos) => {
    const order = await lockOwnOrder(repos, accountId, orderId);
    if (!DELETABLE_STATES.includes(order.state as OrderState)) throw illegal(order, 'deleting', 'verify_fail or payed');
    await repos.orders.update(orderId, { deleted_at: deps.clock.now(), updated_at: deps.clock.now() });
  });
}
