import { CertError } from '../domain/errors.js';
import type { AccountUseCaseDeps } from './deps.js';
import { insertAccessKey, type IssuedAccessKey } from './access-keys.js';

export interface AccountInfo {
  AccountId: number;
  Name: string;
  CreatedAt: number;
}

/** Creates a tenant and its first AccessKey (the secret is returned once, never again). */
export async function createAccount(
  deps: AccountUseCaseDeps<'clock' | 'random' | 'sealer', 'accounts' | 'accessKeys' | 'audit'>,
  name: string,
): Promise<IssuedAccessKey> {
  const trimmed = name.trim();
  if (trimmed === '' || trimmed.length > 128)
    throw new CertError('invalid_parameter', 'An account name of 1 to 128 characters is required.');
  return deps.store.writeTransaction(async (repos) => {
    const now = deps.clock.now();
    const account = await repos.accounts.create(trimmed, now);
    await repos.audit.append({ kind: 'account.created', accountId: account.id, detail: { name: trimmed } }, now);
    return insertAccessKey(deps, repos, account.id, null);
  });
}

export async function listAccounts(deps: AccountUseCaseDeps<never, never, 'accounts'>): Promise<AccountInfo[]> {
  const rows = await deps.store.repos.accounts.list();
  return rows.map((r) => ({ AccountId: r.id, Name: r.name, CreatedAt: r.created_at }));
}

export async function requireAccount(
  deps: AccountUseCaseDeps<never, never, 'accounts'>,
  accountId: number,
): Promise<void> {
  if (!Number.isSafeInteger(accountId) || accountId <= 0 || !(await deps.store.repos.accounts.get(accountId))) {
    throw new CertError('not_found', `Account ${accountId} does not exist.`);
  }
}
