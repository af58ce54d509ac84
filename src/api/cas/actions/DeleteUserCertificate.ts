// DeleteUserCertificate (CAS doc §5.3): uploaded, expired or revoked certificates.
import { deleteUserCertificate } from '../../../orders/user-certificates.js';
import { defineAction } from '../action.js';

export default defineAction({
  params: { CertId: { type: 'integer', required: true, min: 1 } },
  async run(ctx, p) {
    await deleteUserCertificate(ctx.deps.orders, ctx.accountId, p.CertId);
    return {};
  },
});
