// ListUserCertificateOrder (Alibaba Cloud CAS API reference). CPACK lists applications against plans; CERT and
// UPLOAD list certificates (issued and uploaded, or uploaded only); BUY lists purchase
// orders, which certdesk does not have. Statuses of issued certificates are derived from
// their dates (domain/order.ts).
import { CertError } from '../domain/errors.js';
import { WILL_EXPIRE_MS, orderStatesListedAs, type ListStatus, type Order } from '../domain/order.js';
import type { Certificate } from '../domain/certificate.js';
import type { CertificateListQuery } from '../store/repos/certificates.js';
import type { UseCaseDeps } from './deps.js';

export type OrderType = 'CPACK' | 'BUY' | 'UPLOAD' | 'CERT';

export interface ListQuery {
  orderType: OrderType;
  status?: ListStatus;
  keyword?: string;
  page: number;
  size: number;
}

export type ListResult =
  | { kind: 'orders'; total: number; orders: Array<{ order: Order; certificate: Certificate | undefined }> }
  | { kind: 'certificates'; total: number; certificates: Certificate[] };

function certificateWindow(status: ListStatus | undefined, now: number): Partial<CertificateListQuery> {
  switch (status) {
    case undefined:
      return { validAt: now }; // ListUserCertificateOrder: no Status lists valid certificates (ISSUED + WILLEXPIRED)
    case 'ISSUED':
      return { notAfterBetween: [now + WILL_EXPIRE_MS + 1, Number.MAX_SAFE_INTEGER] };
    case 'WILLEXPIRED':
      return { notAfterBetween: [now, now + WILL_EXPIRE_MS] };
    case 'EXPIRED':
      return { expiredAt: now };
    case 'REVOKED':
      return { revoked: true };
    default:
      throw new CertError('invalid_parameter', `The Status ${status} applies only to OrderType CPACK or BUY.`);
  }
}

export async function listUserOrders(
  deps: UseCaseDeps<'clock', never, 'orders' | 'certificates'>,
  accountId: number,
  q: ListQuery,
): Promise<ListResult> {
  const { repos } = deps.store;
  const now = deps.clock.now();
  const offset = (q.page - 1) * q.size;
  if (q.orderType === 'BUY') return { kind: 'orders', total: 0, orders: [] };
  if (q.orderType === 'CPACK') {
    const states = q.status ? orderStatesListedAs(q.status) : undefined;
    if (states && states.length === 0) return { kind: 'orders', total: 0, orders: [] };
    const dated =
      q.status === 'ISSUED' || q.status === 'WILLEXPIRED' || q.status === 'EXPIRED'
        ? certificateWindow(q.status, now)
        : undefined;
    const { total, orders } = await repos.orders.list({
      accountId,
      keyword: q.keyword,
      states,
      certificate: dated,
      offset,
      limit: q.size,
    });
    const certs = await repos.certificates.forOrders(orders.map((o) => o.id));
    const byOrder = new Map(certs.map((c) => [c.orderId, c]));
    return { kind: 'orders', total, orders: orders.map((order) => ({ order, certificate: byOrder.get(order.id) })) };
  }
  const { total, certificates } = await repos.certificates.list({
    accountId,
    source: q.orderType === 'UPLOAD' ? 'upload' : undefined,
    keyword: q.keyword,
    ...certificateWindow(q.status, now),
    offset,
    limit: q.size,
  });
  return { kind: 'certificates', total, certificates };
}
