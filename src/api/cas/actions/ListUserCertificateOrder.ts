// ListUserCertificateOrder (CAS API reference, user certificate actions): OrderType CPACK (default), BUY, UPLOAD or CERT.
import { LIST_STATUSES, type ListStatus } from '../../../domain/order.js';
import type { OrderType } from '../../../orders/list-orders.js';
import { defineAction } from '../action.js';
import { certificateListItem, orderListItem } from '../views.js';

export default defineAction({
  reads: true,
  params: {
    OrderType: { type: 'string', oneOf: ['CPACK', 'BUY', 'UPLOAD', 'CERT'] },
    Status: { type: 'string', oneOf: LIST_STATUSES },
    Keyword: { type: 'string', maxLength: 128 },
    CurrentPage: { type: 'integer', min: 1, max: 100_000 },
    ShowSize: { type: 'integer', min: 1, max: 1000 },
    ResourceGroupId: { type: 'string', maxLength: 128 },
  },
  async run(ctx, p) {
    const page = p.CurrentPage ?? 1;
    const size = p.ShowSize ?? 50;
    const result = await ctx.deps.orders.listUserOrders(ctx.accountId, {
      orderType: (p.OrderType ?? 'CPACK') as OrderType,
      status: p.Status as ListStatus | undefined,
      keyword: p.Keyword,
      page,
      size,
    });
    const now = ctx.deps.clock.now();
    const list =
      result.kind === 'orders'
        ? result.orders.map(({ order, certificate }) => orderListItem(order, certificate, now))
        : result.certificates.map((c) => certificateListItem(c, now));
    return { TotalCount: result.total, CurrentPage: page, ShowSize: size, CertificateOrderList: list };
  },
});
