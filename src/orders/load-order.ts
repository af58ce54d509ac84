import { CertError } from '../domain/errors.js';
import type { OrderRow } from '../store/schema.js';
import type { Repos } from '../store/store.js';

/** The caller's live order, locked for the rest of the transaction; NotFound otherwise (ids of other tenants included). */
export async function lockOwnOrder(repos: Repos, accountId: number, orderId: number): Promise<OrderRow> {
  const order = await repos.orders.getForUpdate(orderId);
  if (!order || order.account_id !== accountId)
    throw new CertError('not_found', `The order ${orderId} does not exist.`);
  return order;
}

export function illegal(order: OrderRow, what: string, allowed: string): CertError {
  return new CertError(
    'illegal_state',
    `The order ${order.id} is in state ${order.state}: ${what} is allowed only when it is ${allowed}.`,
  );
}
