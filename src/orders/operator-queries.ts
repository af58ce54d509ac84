// What operators look at: orders across accounts, by state (`certdesk admin order list --state process`).
import { CertError } from '../domain/errors.js';
import { ORDER_STATES, isOrderState, type Order } from '../domain/order.js';
import type { UseCaseDeps } from './deps.js';

export async function listOrdersForOperator(
  deps: UseCaseDeps<never, never, 'orders'>,
  q: { state?: string; accountId?: number; limit?: number },
): Promise<Order[]> {
  if (q.state !== undefined && !isOrderState(q.state)) {
    throw new CertError('invalid_parameter', `state must be one of ${ORDER_STATES.join(', ')}.`);
  }
  return deps.store.repos.orders.listForOperator({ state: q.state, accountId: q.accountId, limit: q.limit ?? 1000 });
}
