// Quota of one product for one account (DescribePackageState, Alibaba Cloud CAS API
// reference). TotalCount sums the plans in force (expired plans do not count); UsedCount
// counts live applications and IssuedCount issued certificates (docs/cas-compat.md).
import { getProduct } from '../policy/products.js';
import type { UseCaseDeps } from './deps.js';

export interface PackageState {
  productCode: string;
  totalCount: number;
  usedCount: number;
  issuedCount: number;
}

export async function describePackageState(
  deps: UseCaseDeps<'clock', never, 'plans'>,
  accountId: number,
  productCode: string,
): Promise<PackageState> {
  const product = getProduct(productCode);
  const now = deps.clock.now();
  const totalCount = await deps.store.repos.plans.totalInForce(accountId, product.code, now);
  const usage = await deps.store.repos.plans.usage(accountId, product.code, now);
  return { productCode: product.code, totalCount, usedCount: usage.used, issuedCount: usage.issued };
}
