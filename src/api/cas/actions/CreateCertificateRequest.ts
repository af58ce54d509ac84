// CreateCertificateRequest (CAS doc §5.1): DV only, one domain, certdesk makes the key.
import { submitApplication } from '../../../orders/submit-application.js';
import { defineAction } from '../action.js';
import { CONTACT_PARAMS, VALIDATE_TYPES } from '../application-params.js';
import { decodeTags } from '../params.js';

export default defineAction({
  params: {
    ProductCode: { type: 'string', required: true, maxLength: 64 },
    Domain: { type: 'string', required: true, maxLength: 255 },
    ValidateType: { type: 'string', required: true, oneOf: VALIDATE_TYPES },
    Username: { ...CONTACT_PARAMS.Username, required: true },
    Phone: { ...CONTACT_PARAMS.Phone, required: true },
    Email: { ...CONTACT_PARAMS.Email, required: true },
  },
  async run(ctx, p) {
    const { orderId } = await submitApplication(ctx.deps.orders, ctx.accountId, {
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
