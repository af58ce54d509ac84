// CreateCertificateWithCsrRequest (CAS API reference, certificate order actions): DV only, the caller's CSR (CN = domain).
import { defineAction } from '../action.js';
import { CSR_MAX, DV_API_PARAMS } from '../application-params.js';
import { decodeTags } from '../params.js';

export default defineAction({
  params: {
    Csr: { type: 'string', required: true, maxLength: CSR_MAX, multiline: true },
    ...DV_API_PARAMS,
  },
  async run(ctx, p) {
    const { orderId } = await ctx.deps.orders.submitApplication(ctx.accountId, {
      productCode: p.ProductCode,
      csr: p.Csr,
      validateType: p.ValidateType as 'DNS' | 'FILE',
      contact: { name: p.Username, phone: p.Phone, email: p.Email },
      tags: decodeTags(ctx.raw),
      dvApi: true,
    });
    return { OrderId: orderId };
  },
});
