// DescribePackageState (CAS API reference, DescribePackageState): quota of one product for the caller's account.
import { DEFAULT_PRODUCT_CODE } from '../../../policy/products.js';
import { defineAction } from '../action.js';

export default defineAction({
  reads: true,
  params: {
    ProductCode: { type: 'string', maxLength: 64 },
  },
  async run(ctx, p) {
    const state = await ctx.deps.orders.describePackageState(ctx.accountId, p.ProductCode ?? DEFAULT_PRODUCT_CODE);
    return {
      ProductCode: state.productCode,
      TotalCount: state.totalCount,
      UsedCount: state.usedCount,
      IssuedCount: state.issuedCount,
    };
  },
});
