// DescribePackageState (CAS doc §5.2): quota of one product for the caller's account.
import { describePackageState } from '../../../orders/describe-package-state.js';
import { DEFAULT_PRODUCT_CODE } from '../../../policy/products.js';
import { defineAction } from '../action.js';

export default defineAction({
  reads: true,
  params: {
    ProductCode: { type: 'string', maxLength: 64 },
  },
  async run(ctx, p) {
    const state = await describePackageState(ctx.deps.accounts, ctx.accountId, p.ProductCode ?? DEFAULT_PRODUCT_CODE);
    return {
      ProductCode: state.productCode,
      TotalCount: state.totalCount,
      UsedCount: state.usedCount,
      IssuedCount: state.issuedCount,
    };
  },
});
