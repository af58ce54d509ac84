// AccessKeys: an id and a secret (shown once, stored sealed under the master key), an
// enabled flag and an optional action policy (issue 2, item 3).
import { CertError } from '../domain/errors.js';
import { parseActionPolicy } from '../policy/action-policy.js';
import type { AccountUseCaseDeps } from './deps.js';
import { newAccessKeyId, newAccessKeySecret } from './ids.js';

export interface IssuedAccessKey {
  AccountId: number;
  AccessKeyId: string;
  AccessKeySecret: string;
}

export interface AccessKeyInfo {
  accessKeyId: string;
  accountId: number;
  enabled: boolean;
  policy: string[] | null;
  createdAt: number;
}

/** The secret and permissions of a key, as the gateway needs them to authenticate a call. */
export interface AccessKeyCredential extends AccessKeyInfo {
  secret: string;
}

export async function createAccessKey(
  deps: AccountUseCaseDeps<'clock' | 'random' | 'sealer', 'accessKeys', 'accounts'>,
  accountId: number,
  policyText?: string,
): Promise<IssuedAccessKey> {
  const policy = policyText === undefined ? null : parseActionPolicy(policyText);
  const account = await deps.store.repos.accounts.get(accountId);
  if (!account) throw new CertError('not_found', `Account ${accountId} does not exist.`);
  const id = newAccessKeyId(deps.random);
  const secret = newAccessKeySecret(deps.random);
  await deps.store.repos.accessKeys.insert({
    id,
    account_id: accountId,
    secret_sealed: deps.sealer.seal(Buffer.from(secret, 'utf8'), `access-key:${id}`),
    enabled: 1,
    policy: policy === null ? null : JSON.stringify(policy),
    created_at: deps.clock.now(),
  });
  return { AccountId: accountId, AccessKeyId: id, AccessKeySecret: secret };
}

export async function setAccessKeyEnabled(
  deps: AccountUseCaseDeps<never, 'accessKeys'>,
  accessKeyId: string,
  enabled: boolean,
): Promise<void> {
  if (!(await deps.store.repos.accessKeys.setEnabled(accessKeyId, enabled))) {
    throw new CertError('not_found', 'No such AccessKey.');
  }
}

export async function deleteAccessKey(
  deps: AccountUseCaseDeps<never, 'accessKeys'>,
  accessKeyId: string,
): Promise<void> {
  if (!(await deps.store.repos.accessKeys.delete(accessKeyId))) throw new CertError('not_found', 'No such AccessKey.');
}

export async function listAccessKeys(
  deps: AccountUseCaseDeps<never, never, 'accessKeys'>,
  accountId: number,
): Promise<AccessKeyInfo[]> {
  const rows = await deps.store.repos.accessKeys.listByAccount(accountId);
  return rows.map((r) => ({
    accessKeyId: r.id,
    accountId: r.account_id,
    enabled: r.enabled === 1,
    policy: r.policy === null ? null : (JSON.parse(r.policy) as string[]),
    createdAt: r.created_at,
  }));
}

/**
 * Looks a key up for authentication; undefined when it does not exist. On PostgreSQL the row
 * may come from the process's cache, which hears every change (store/access-key-cache.ts);
 * the sealer the app passes in keeps opened secrets (crypto/secret-box.ts withOpenCache).
 */
export async function findAccessKeyCredential(
  deps: AccountUseCaseDeps<'sealer', never, 'accessKeys'>,
  accessKeyId: string,
): Promise<AccessKeyCredential | undefined> {
  const r = await deps.store.repos.accessKeys.getForAuth(accessKeyId);
  if (!r) return undefined;
  return {
    accessKeyId: r.id,
    accountId: r.account_id,
    enabled: r.enabled === 1,
    policy: r.policy === null ? null : (JSON.parse(r.policy) as string[]),
    createdAt: r.created_at,
    secret: deps.sealer.open(r.secret_sealed, `access-key:${r.id}`).toString('utf8'),
  };
}
