// DeleteUserCertificate (CAS API reference, user certificate actions): uploaded, expired or revoked certificates.
import { defineAction } from '../action.js';

export default defineAction({
  params: { CertId: { type: 'integer', required: true, min: 1 } },
  async run(ctx, p) {
    await ctx.deps.orders.deleteUserCertificate(ctx.accountId, p.CertId);
    return {};
  },
});
