// GetUserCertificateDetail (CAS API reference, user certificate actions). The key is returned only to the owning account.
import { defineAction } from '../action.js';
import { certificateDetailView } from '../views.js';

export default defineAction({
  reads: true,
  params: {
    CertId: { type: 'integer', required: true, min: 1 },
    CertFilter: { type: 'boolean' },
  },
  async run(ctx, p) {
    const filter = p.CertFilter ?? false;
    const detail = await ctx.deps.orders.getUserCertificate(ctx.accountId, p.CertId, !filter);
    return certificateDetailView(detail, filter, ctx.deps.clock.now());
  },
});
