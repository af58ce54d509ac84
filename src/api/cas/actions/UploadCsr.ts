// UploadCsr (CAS API reference, CSR actions): stores a customer's CSR, optionally with its private key (which
// must match). Csr and Key travel in the URL (Alibaba Cloud API reference, request syntax and V3 signature (ACS3-HMAC-SHA256)) and are never logged (redact.ts).
import { MAX_CSR_BYTES } from '../../../ca/csr.js';
import { defineAction } from '../action.js';

export default defineAction({
  params: {
    Csr: { type: 'string', required: true, maxLength: MAX_CSR_BYTES, multiline: true },
    // An RSA-8192 private key is about 6.4 KB of PEM.
    Key: { type: 'string', maxLength: 16_384, multiline: true },
    Name: { type: 'string', maxLength: 50 },
  },
  async run(ctx, p) {
    const uploaded = await ctx.deps.accounts.uploadCsr(ctx.accountId, { csr: p.Csr, key: p.Key, name: p.Name });
    return { CsrId: uploaded.id };
  },
});
