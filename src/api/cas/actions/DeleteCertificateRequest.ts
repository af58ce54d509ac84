// DeleteCertificateRequest (CAS doc §5.1): delete a verify_fail or payed order; its unit returns to the plan.
import { deleteOrder } from '../../../orders/delete-order.js';
import { defineAction } from '../action.js';

export default defineAction({
  params: { OrderId: { type: 'integer', required: true, min: 1 } },
  async run(ctx, p) {
    await deleteOrder(ctx.deps.orders, ctx.accountId, p.OrderId);
    return {};
  },
});
