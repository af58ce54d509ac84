// DeleteCsr (CAS doc §5.4): removes one of the caller's CSRs, with its key.
import { deleteCsr } from '../../../accounts/csrs.js';
import { defineAction } from '../action.js';

export default defineAction({
  params: {
    CsrId: { type: 'integer', required: true, min: 1 },
  },
  async run(ctx, p) {
    await deleteCsr(ctx.deps.accounts, ctx.accountId, p.CsrId);
    return {};
  },
});
