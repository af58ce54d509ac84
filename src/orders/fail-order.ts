// An order that cannot be validated or issued ends in verify_fail, with the reason kept
// and announced (shared by validation, issuance's CAA recheck and review).
import type { Order, PreviousState } from '../domain/order.js';
import type { UseCaseDeps } from './deps.js';
import type { EventRepoReads, EventRepoWrites } from './events.js';

export type FailOrderDeps = UseCaseDeps<'clock' | 'logger' | 'events', 'orders' | EventRepoWrites, EventRepoReads>;

/** Moves the order to verify_fail if it is still in `from` (the state its caller read). */
export async function failOrder(
  deps: FailOrderDeps,
  order: Order,
  reason: string,
  from: readonly PreviousState<'verify_fail'>[],
): Promise<void> {
  const now = deps.clock.now();
  await deps.store.writeTransaction(async (repos) => {
    if (await repos.orders.moveOrder(order.id, { to: 'verify_fail', from }, { failReason: reason, updatedAt: now })) {
      await deps.events(
        repos,
        { kind: 'verification_failed', accountId: order.accountId, orderId: order.id, reason },
        now,
      );
    }
  });
  deps.logger.log('info', 'order failed validation', { orderId: order.id, reason });
}
