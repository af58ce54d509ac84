// CancelOrderRequest (CAS API reference, certificate order actions): domain_verify or process -> payed.
import { defineAction } from '../action.js';

export default defineAction({
  params: { OrderId: { type: 'integer', required: true, min: 1 } },
  async run(ctx, p) {
    await ctx.deps.orders.cancelOrder(ctx.accountId, p.OrderId);
    return {};
  },
});
