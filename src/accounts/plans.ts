// Resource plans: certificate quota per product (CAS API reference, DescribePackageState). Operators grant them; the
// order engine spends them.
import { CertError } from '../domain/errors.js';
import { getProduct } from '../policy/products.js';
import type { AccountUseCaseDeps } from './deps.js';
import { requireAccount } from './accounts.js';

export interface PlanInfo {
  PlanId: number;
  AccountId: number;
  ProductCode: string;
  TotalCount: number;
  ExpiresAt: number | null;
  CreatedAt: number;
}

export async function grantPlan(
  deps: AccountUseCaseDeps<'clock', 'plans' | 'audit', 'accounts'>,
  p: { accountId: number; productCode: string; count: number; expiresAt?: number | null },
): Promise<PlanInfo> {
  await requireAccount(deps, p.accountId);
  const product = getProduct(p.productCode);
  if (!Number.isSafeInteger(p.count) || p.count < 1 || p.count > 1_000_000) {
    throw new CertError('invalid_parameter', 'The count must be a whole number from 1 to 1000000.');
  }
  const now = deps.clock.now();
  if (p.expiresAt != null && (!Number.isFinite(p.expiresAt) || p.expiresAt <= now)) {
    throw new CertError('invalid_parameter', 'The expiry must be a time in the future.');
  }
  const row = await deps.store.writeTransaction(async (repos) => {
    const granted = await repos.plans.grant({
      accountId: p.accountId,
      productCode: product.code,
      totalCount: p.count,
      expiresAt: p.expiresAt ?? null,
      now,
    });
    await repos.audit.append(
      {
        kind: 'plan.granted',
        accountId: p.accountId,
        detail: { planId: granted.id, productCode: product.code, count: p.count, expiresAt: p.expiresAt ?? null },
      },
      now,
    );
    return granted;
  });
  return {
    PlanId: row.id,
    AccountId: row.account_id,
    ProductCode: row.product_code,
    TotalCount: row.total_count,
    ExpiresAt: row.expires_at,
    CreatedAt: row.created_at,
  };
}

export async function listPlans(
  deps: AccountUseCaseDeps<never, never, 'plans' | 'accounts'>,
  accountId: number,
): Promise<PlanInfo[]> {
  await requireAccount(deps, accountId);
  const rows = await deps.store.repos.plans.listByAccount(accountId);
  return rows.map((row) => ({
    PlanId: row.id,
    AccountId: row.account_id,
    ProductCode: row.product_code,
    TotalCount: row.total_count,
    ExpiresAt: row.expires_at,
    CreatedAt: row.created_at,
  }));
}
