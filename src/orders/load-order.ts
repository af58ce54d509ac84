// Reading the order a use case decides on, inside its write transaction.
import { CertError } from '../domain/errors.js';
import type { Order } from '../domain/order.js';
import type { ViewRepos } from '../store/views.js';

type OrderRepos = ViewRepos<'orders'>;

/** The caller's live order, locked for the rest of the transaction; NotFound otherwise (ids of other tenants included). */
export async function lockOwnOrder(repos: OrderRepos, accountId: number, orderId: number): Promise<Order> {
  const order = await repos.orders.getForUpdate(orderId);
  if (!order || order.accountId !== accountId) throw new CertError('not_found', `The order ${orderId} does not exist.`);
  return order;
}

/** Any live order, locked for the rest of the transaction (operator actions). */
export async function lockAnyOrder(repos: OrderRepos, orderId: number): Promise<Order> {
  const order = await repos.orders.getForUpdate(orderId);
  if (!order) throw new CertError('not_found', `The order ${orderId} does not exist.`);
  return order;
}

export function illegal(order: Order, what: string, allowed: string): CertError {
  return new CertError(
    'illegal_state',
    `The order ${order.id} is in state ${order.state}: ${what} is allowed only when it is ${allowed}.`,
  );
}
