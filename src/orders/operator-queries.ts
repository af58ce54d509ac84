// What operators look at: orders across accounts, by state (`certdesk admin order list --state process`).
import { CertError } from '../domain/errors.js';
import { ORDER_STATES, type OrderState } from '../domain/order.js';
import type { OrderRow } from '../store/schema.js';
import type { OrderDeps } from './deps.js';

export async function listOrdersForOperator(
  deps: OrderDeps,
  q: { state?: string; accountId?: number; limit?: number },
): Promise<OrderRow[]> {
  if (q.state !== undefined && !ORDER_STATES.includes(q.state as OrderState)) {
    throw new CertError('invalid_parameter', `state must be one of ${ORDER_STATES.join(', ')}.`);
  }
  return deps.store.repos.orders.listForOperator({ state: q.state, accountId: q.accountId, limit: q.limit ?? 1000 });
}
