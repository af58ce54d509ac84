// DeleteCsr (CAS API reference, CSR actions): removes one of the caller's CSRs, with its key.
import { defineAction } from '../action.js';

export default defineAction({
  params: {
    CsrId: { type: 'integer', required: true, min: 1 },
  },
  async run(ctx, p) {
    await ctx.deps.accounts.deleteCsr(ctx.accountId, p.CsrId);
    return {};
  },
});
