// UpdateCsr (CAS API reference, CSR actions): sets or replaces the private key of a CSR; it must match the CSR.
import { defineAction } from '../action.js';

export default defineAction({
  params: {
    CsrId: { type: 'integer', required: true, min: 1 },
    Key: { type: 'string', required: true, maxLength: 16_384, multiline: true },
  },
  async run(ctx, p) {
    await ctx.deps.accounts.updateCsrKey(ctx.accountId, p.CsrId, p.Key);
    return {};
  },
});
