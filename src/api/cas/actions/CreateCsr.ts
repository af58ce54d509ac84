// CreateCsr (CAS API reference, CSR actions): certdesk generates the key pair and the CSR; the key stays sealed
// with the CSR (GetCsrDetail returns it). Response { CsrId, Csr (PEM) }.
import { defineAction } from '../action.js';

export default defineAction({
  params: {
    Algorithm: { type: 'string', required: true, maxLength: 8 },
    KeySize: { type: 'integer', required: true, min: 1, max: 65_536 },
    CommonName: { type: 'string', required: true, maxLength: 256 },
    CountryCode: { type: 'string', required: true, maxLength: 8 },
    Province: { type: 'string', required: true, maxLength: 128 },
    Locality: { type: 'string', required: true, maxLength: 128 },
    CorpName: { type: 'string', maxLength: 64 },
    Department: { type: 'string', maxLength: 64 },
    Name: { type: 'string', maxLength: 50 },
    Sans: { type: 'string', maxLength: 2048 },
  },
  async run(ctx, p) {
    const created = await ctx.deps.accounts.createCsr(ctx.accountId, {
      algorithm: p.Algorithm,
      keySize: p.KeySize,
      commonName: p.CommonName,
      countryCode: p.CountryCode,
      province: p.Province,
      locality: p.Locality,
      corpName: p.CorpName,
      department: p.Department,
      name: p.Name,
      sans: p.Sans,
    });
    return { CsrId: created.id, Csr: created.csrPem };
  },
});
