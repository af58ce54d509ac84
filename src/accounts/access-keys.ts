// AccessKeys: an id and a secret (shown once, stored sealed under the master key), an
// enabled flag and an optional action policy.
import { CertError } from '../domain/errors.js';
import { parseActionPolicy } from '../policy/action-policy.js';
import type { Repos } from '../store/views.js';
import type { AccessKeyInfo } from '../domain/account.js';
import { accessKeyFromRow, accessKeyPolicyColumn } from '../store/mappers.js';
import type { AccountDeps, AccountUseCaseDeps } from './deps.js';
import { newAccessKeyId, newAccessKeySecret } from './ids.js';

export interface IssuedAccessKey {
  AccountId: number;
  AccessKeyId: string;
  AccessKeySecret: string;
}

export type { AccessKeyInfo };

/** The secret and permissions of a key, as the gateway needs them to authenticate a call. */
export interface AccessKeyCredential extends AccessKeyInfo {
  secret: string;
}

/** Inserts a new key of `accountId` and records it in the audit trail, in the caller's transaction. */
export async function insertAccessKey(
  deps: Pick<AccountDeps, 'clock' | 'random' | 'sealer'>,
  repos: Pick<Repos, 'accessKeys' | 'audit'>,
  accountId: number,
  policy: string[] | null,
): Promise<IssuedAccessKey> {
  const id = newAccessKeyId(deps.random);
  const secret = newAccessKeySecret(deps.random);
  const now = deps.clock.now();
  await repos.accessKeys.insert({
    id,
    account_id: accountId,
    secret_sealed: deps.sealer.seal(Buffer.from(secret, 'utf8'), `access-key:${id}`),
    enabled: 1,
    policy: accessKeyPolicyColumn(policy),
    created_at: now,
  });
  // The id only: the secret is shown once to whoever asked, and never recorded.
  await repos.audit.append({ kind: 'access_key.created', accountId, detail: { accessKeyId: id, policy } }, now);
  return { AccountId: accountId, AccessKeyId: id, AccessKeySecret: secret };
}

export async function createAccessKey(
  deps: AccountUseCaseDeps<'clock' | 'random' | 'sealer', 'accessKeys' | 'audit', 'accounts'>,
  accountId: number,
  policyText?: string,
): Promise<IssuedAccessKey> {
  const policy = policyText === undefined ? null : parseActionPolicy(policyText);
  return deps.store.writeTransaction(async (repos) => {
    const account = await repos.accounts.get(accountId);
    if (!account) throw new CertError('not_found', `Account ${accountId} does not exist.`);
    return insertAccessKey(deps, repos, accountId, policy);
  });
}

export async function setAccessKeyEnabled(
  deps: AccountUseCaseDeps<'clock', 'accessKeys' | 'audit'>,
  accessKeyId: string,
  enabled: boolean,
): Promise<void> {
  await deps.store.writeTransaction(async (repos) => {
    const key = await repos.accessKeys.get(accessKeyId);
    if (!key || !(await repos.accessKeys.setEnabled(accessKeyId, enabled)))
      throw new CertError('not_found', 'No such AccessKey.');
    await repos.audit.append(
      {
        kind: enabled ? 'access_key.enabled' : 'access_key.disabled',
        accountId: key.account_id,
        detail: { accessKeyId },
      },
      deps.clock.now(),
    );
  });
}

export async function deleteAccessKey(
  deps: AccountUseCaseDeps<'clock', 'accessKeys' | 'audit'>,
  accessKeyId: string,
): Promise<void> {
  await deps.store.writeTransaction(async (repos) => {
    const key = await repos.accessKeys.get(accessKeyId);
    if (!key || !(await repos.accessKeys.delete(accessKeyId))) throw new CertError('not_found', 'No such AccessKey.');
    await repos.audit.append(
      { kind: 'access_key.deleted', accountId: key.account_id, detail: { accessKeyId } },
      deps.clock.now(),
    );
  });
}

export async function listAccessKeys(
  deps: AccountUseCaseDeps<never, never, 'accessKeys'>,
  accountId: number,
): Promise<AccessKeyInfo[]> {
  const rows = await deps.store.repos.accessKeys.listByAccount(accountId);
  return rows.map(accessKeyFromRow);
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
  // Set on the mapped object rather than spread into a copy: this runs on every CAS request.
  const credential = accessKeyFromRow(r) as AccessKeyCredential;
  credential.secret = deps.sealer.open(r.secret_sealed, `access-key:${r.id}`).toString('utf8');
  return credential;
}
