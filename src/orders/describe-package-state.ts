// Quota of one product for one account (CAS doc §5.2). TotalCount sums the plans in
// force (expired plans do not count); UsedCount counts live applications and IssuedCount
// issued certificates (the CAS doc's "consumed" is ambiguous; §5.2 explains the model).
import type { AccountDeps } from '../accounts/deps.js';
import { getProduct } from '../policy/products.js';

export interface PackageState {
  productCode: string;
  totalCount: number;
  usedCount: number;
  issuedCount: number;
}

export async function describePackageState(
  deps: AccountDeps,
  accountId: number,
  productCode: string,
): Promise<PackageState> {
  const product = getProduct(productCode);
  const now = deps.clock.now();
  const totalCount = await deps.store.repos.plans.totalInForce(accountId, product.code, now);
  const usage = await deps.store.repos.plans.usage(accountId, product.code, now);
  return { productCode: product.code, totalCount, usedCount: usage.used, issuedCount: usage.issued };
}
