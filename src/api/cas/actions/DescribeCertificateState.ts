// DescribeCertificateState (CAS API reference, certificate order actions).
import { defineAction } from '../action.js';
import { describeStateView } from '../views.js';

export default defineAction({
  reads: true,
  params: { OrderId: { type: 'integer', required: true, min: 1 } },
  async run(ctx, p) {
    const view = await ctx.deps.orders.describeOrder(ctx.accountId, p.OrderId, ctx.admitted);
    return describeStateView(view, ctx.deps.orders.chainPem);
  },
});
