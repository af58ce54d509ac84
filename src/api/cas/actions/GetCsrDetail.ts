// GetCsrDetail (CAS doc §5.4): the CSR PEM and its private key (PKCS#8 PEM), or an empty
// PrivateKey when certdesk holds none. The response body is not logged (gateway.ts logs
// only the redacted parameters).
import { getCsrDetail } from '../../../accounts/csrs.js';
import { defineAction } from '../action.js';

export default defineAction({
  reads: true,
  params: {
    CsrId: { type: 'integer', required: true, min: 1 },
  },
  async run(ctx, p) {
    const detail = await getCsrDetail(ctx.deps.accounts, ctx.accountId, p.CsrId);
    return { Csr: detail.csrPem, PrivateKey: detail.privateKeyPem };
  },
});
