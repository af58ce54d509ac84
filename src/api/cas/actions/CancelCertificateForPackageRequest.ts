// CancelCertificateForPackageRequest (CAS doc §5.1): revoke an issued certificate.
import { revokeOrderCertificate } from '../../../orders/revoke-certificate.js';
import { defineAction } from '../action.js';

export default defineAction({
  params: { OrderId: { type: 'integer', required: true, min: 1 } },
  async run(ctx, p) {
    await revokeOrderCertificate(ctx.deps.orders, ctx.accountId, p.OrderId);
    return {};
  },
});
