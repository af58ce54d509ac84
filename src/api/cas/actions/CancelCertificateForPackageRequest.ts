// CancelCertificateForPackageRequest (CAS API reference, certificate order actions): revoke an issued certificate.
import { defineAction } from '../action.js';

export default defineAction({
  params: { OrderId: { type: 'integer', required: true, min: 1 } },
  async run(ctx, p) {
    await ctx.deps.orders.revokeOrderCertificate(ctx.accountId, p.OrderId);
    return {};
  },
});
