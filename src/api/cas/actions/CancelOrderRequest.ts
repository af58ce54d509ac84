// CancelOrderRequest (CAS doc §5.1): domain_verify or process -> payed.
import { cancelOrder } from '../../../orders/cancel-order.js';
import { defineAction } from '../action.js';

export default defineAction({
  params: { OrderId: { type: 'integer', required: true, min: 1 } },
  async run(ctx, p) {
    await cancelOrder(ctx.deps.orders, ctx.accountId, p.OrderId);
    return {};
  },
});
