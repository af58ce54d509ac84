// CreateCertificateRequest (CAS API reference, certificate order actions): DV only, one domain, certdesk makes the key.
import { defineAction } from '../action.js';
import { DV_API_PARAMS } from '../application-params.js';
import { decodeTags } from '../params.js';

export default defineAction({
  params: {
    Domain: { type: 'string', required: true, maxLength: 255 },
    ...DV_API_PARAMS,
  },
  async run(ctx, p) {
    const { orderId } = await ctx.deps.orders.submitApplication(ctx.accountId, {
      productCode: p.ProductCode,
      domain: p.Domain,
      validateType: p.ValidateType as 'DNS' | 'FILE',
      contact: { name: p.Username, phone: p.Phone, email: p.Email },
      tags: decodeTags(ctx.raw),
      dvApi: true,
    });
    return { OrderId: orderId };
  },
});
