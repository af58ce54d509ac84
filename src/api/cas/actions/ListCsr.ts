// ListCsr (CAS API reference, CSR actions): the caller's CSRs, newest first. `KeyWord` (capital W, unlike
// ListContact's `Keyword`, Alibaba Cloud CAS API reference (2020-04-07)) matches name, common name or SANs; ShowSize
// defaults to 50 (the SDK's field doc).
import { defineAction } from '../action.js';

export default defineAction({
  reads: true,
  params: {
    Algorithm: { type: 'string', oneOf: ['RSA', 'ECC', 'SM2'] },
    KeyWord: { type: 'string', maxLength: 128 },
    CurrentPage: { type: 'integer', min: 1, max: 100_000 },
    ShowSize: { type: 'integer', min: 1, max: 100 },
  },
  async run(ctx, p) {
    const page = p.CurrentPage ?? 1;
    const size = p.ShowSize ?? 50;
    const { total, items } = await ctx.deps.accounts.listCsrs(ctx.accountId, {
      algorithm: p.Algorithm,
      keyword: p.KeyWord,
      page,
      pageSize: size,
    });
    return {
      TotalCount: total,
      CurrentPage: page,
      ShowSize: size,
      CsrList: items.map((c) => ({
        CsrId: c.id,
        Name: c.name,
        CommonName: c.commonName,
        Sans: c.sans,
        Algorithm: c.algorithm,
        KeySize: c.keySize,
        KeySha2: c.keySha2,
        HasPrivateKey: c.hasPrivateKey,
        CorpName: c.corpName,
        Department: c.department,
        CountryCode: c.countryCode,
        Province: c.province,
        Locality: c.locality,
      })),
    };
  },
});
