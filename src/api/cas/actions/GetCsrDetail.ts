// GetCsrDetail (CAS API reference, CSR actions): the CSR PEM and its private key (PKCS#8 PEM), or an empty
// PrivateKey when certdesk holds none. The response body is not logged (gateway.ts logs
// only the redacted parameters).
import { defineAction } from '../action.js';

export default defineAction({
  reads: true,
  params: {
    CsrId: { type: 'integer', required: true, min: 1 },
  },
  async run(ctx, p) {
    const detail = await ctx.deps.accounts.getCsrDetail(ctx.accountId, p.CsrId);
    return { Csr: detail.csrPem, PrivateKey: detail.privateKeyPem };
  },
});
