// RenewCertificateOrderForPackageRequest (CAS API reference, certificate order actions): a new order for a WILLEXPIRED certificate.
import { defineAction } from '../action.js';
import { CSR_MAX } from '../application-params.js';
import { decodeTags } from '../params.js';

export default defineAction({
  params: {
    OrderId: { type: 'integer', required: true, min: 1 },
    Csr: { type: 'string', maxLength: CSR_MAX, multiline: true },
  },
  async run(ctx, p) {
    const { orderId } = await ctx.deps.orders.renewOrder(ctx.accountId, p.OrderId, {
      csr: p.Csr,
      tags: decodeTags(ctx.raw),
    });
    return { OrderId: orderId };
  },
});
