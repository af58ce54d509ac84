// CreateCertificateForPackageRequest (CAS API reference, certificate order actions): an application
// against a resource plan, any product. ProductCode defaults to digicert-free-1-free and
// ValidateType to DNS; contact and company fall back to the latest added ones.
import { DEFAULT_PRODUCT_CODE } from '../../../policy/products.js';
import { defineAction } from '../action.js';
import { CONTACT_PARAMS, CSR_MAX, VALIDATE_TYPES } from '../application-params.js';
import { decodeTags } from '../params.js';

export default defineAction({
  params: {
    ProductCode: { type: 'string', maxLength: 64 },
    Csr: { type: 'string', maxLength: CSR_MAX, multiline: true },
    Domain: { type: 'string', maxLength: 2048 },
    ValidateType: { type: 'string', oneOf: VALIDATE_TYPES },
    CompanyName: { type: 'string', maxLength: 128 },
    ...CONTACT_PARAMS,
  },
  async run(ctx, p) {
    const { orderId } = await ctx.deps.orders.submitApplication(ctx.accountId, {
      productCode: p.ProductCode ?? DEFAULT_PRODUCT_CODE,
      csr: p.Csr,
      domain: p.Domain,
      validateType: (p.ValidateType ?? 'DNS') as 'DNS' | 'FILE',
      contact: { name: p.Username, phone: p.Phone, email: p.Email },
      companyName: p.CompanyName,
      tags: decodeTags(ctx.raw),
    });
    return { OrderId: orderId };
  },
});
