// DeleteCertificateRequest (CAS API reference, certificate order actions): delete a verify_fail or payed order; its unit returns to the plan.
import { defineAction } from '../action.js';

export default defineAction({
  params: { OrderId: { type: 'integer', required: true, min: 1 } },
  async run(ctx, p) {
    await ctx.deps.orders.deleteOrder(ctx.accountId, p.OrderId);
    return {};
  },
});
