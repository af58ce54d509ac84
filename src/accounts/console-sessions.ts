// Sign-in to the web console: server-side sessions in the store (so they hold across
// processes), started by an AccessKey pair, by a one-time link an operator (or a notice
// e-mail) hands out, or by the operator's token. The cookie carries a random token; the
// store keeps only its SHA-256 (OWASP Session Management Cheat Sheet). A customer session
// carries the key it was started with: that key's action policy limits the console, and
// disabling or deleting the key ends the session.
import { createHash, timingSafeEqual } from 'node:crypto';
import { CertError } from '../domain/errors.js';
import type { AccountUseCaseDeps } from './deps.js';
import { randomBase62 } from './ids.js';
import { requireAccount } from './accounts.js';

/** A session lasts a working day; signing in again is cheap. */
export const CONSOLE_SESSION_MS = 12 * 3_600_000;
/** A sign-in link is good for 15 minutes, once. */
export const CONSOLE_LINK_MS = 15 * 60_000;

export interface ConsoleSession {
  kind: 'customer' | 'operator';
  accountId: number | null;
  accessKeyId: string | null;
  /** The AccessKey's action policy (null: every action; operators: null). */
  policy: string[] | null;
  /** A notice's link signs in to one order only. */
  scopeOrderId: number | null;
  /** The session's CSRF token, carried by every form. */
  csrf: string;
  expiresAt: number;
}

export interface StartedSession {
  /** The cookie's value: shown to the browser once, stored only as a digest. */
  token: string;
  session: ConsoleSession;
}

const digest = (token: string) => createHash('sha256').update(token).digest('hex');
// 43 base-62 characters: about 256 bits.
const newToken = (deps: { random: AccountUseCaseDeps<'random', never>['random'] }) => randomBase62(deps.random, 43);

type StartDeps = AccountUseCaseDeps<'clock' | 'random', 'consoleSessions'>;

async function startSession(
  deps: StartDeps,
  s: Pick<ConsoleSession, 'kind' | 'accountId' | 'accessKeyId' | 'scopeOrderId' | 'policy'>,
): Promise<StartedSession> {
  const token = newToken(deps);
  const now = deps.clock.now();
  const session: ConsoleSession = { ...s, csrf: newToken(deps), expiresAt: now + CONSOLE_SESSION_MS };
  await deps.store.repos.consoleSessions.insertSession({
    id: digest(token),
    kind: s.kind,
    account_id: s.accountId,
    access_key_id: s.accessKeyId,
    scope_order_id: s.scopeOrderId,
    csrf: session.csrf,
    created_at: now,
    expires_at: session.expiresAt,
  });
  return { token, session };
}

/** A one-time sign-in link's token for an account (optionally one order of it), valid 15 minutes. */
export async function createConsoleLink(
  deps: AccountUseCaseDeps<'clock' | 'random', 'consoleSessions', 'accounts'>,
  accountId: number,
  scopeOrderId: number | null = null,
): Promise<{ token: string; expiresAt: number }> {
  await requireAccount(deps, accountId);
  const token = newToken(deps);
  const now = deps.clock.now();
  await deps.store.repos.consoleSessions.insertLink({
    id: digest(token),
    account_id: accountId,
    scope_order_id: scopeOrderId,
    created_at: now,
    expires_at: now + CONSOLE_LINK_MS,
    used_at: null,
  });
  return { token, expiresAt: now + CONSOLE_LINK_MS };
}

export async function signInWithLink(deps: StartDeps, linkToken: string): Promise<StartedSession> {
  const link = /^[A-Za-z0-9]{1,128}$/.test(linkToken)
    ? await deps.store.repos.consoleSessions.consumeLink(digest(linkToken), deps.clock.now())
    : undefined;
  if (!link) throw new CertError('unauthorized', 'The sign-in link is unknown, used or expired.');
  return startSession(deps, {
    kind: 'customer',
    accountId: link.account_id,
    accessKeyId: null,
    scopeOrderId: link.scope_order_id,
    policy: null,
  });
}

export async function signInWithAccessKey(
  deps: AccountUseCaseDeps<'clock' | 'random' | 'sealer', 'consoleSessions', 'accessKeys'>,
  accessKeyId: string,
  secret: string,
): Promise<StartedSession> {
  const refused = new CertError('unauthorized', 'The AccessKeyId or AccessKeySecret is wrong.');
  const row = /^[A-Za-z0-9]{1,64}$/.test(accessKeyId)
    ? await deps.store.repos.accessKeys.getForAuth(accessKeyId)
    : undefined;
  // Compare digests: equal lengths for timingSafeEqual, no length leak.
  const expected = row ? deps.sealer.open(row.secret_sealed, `access-key:${row.id}`).toString('utf8') : '';
  const ok = timingSafeEqual(Buffer.from(digest(expected), 'hex'), Buffer.from(digest(secret), 'hex'));
  if (!row || !ok) throw refused;
  if (row.enabled !== 1) throw new CertError('access_key_disabled', 'The AccessKey is disabled.');
  return startSession(deps, {
    kind: 'customer',
    accountId: row.account_id,
    accessKeyId: row.id,
    scopeOrderId: null,
    policy: row.policy === null ? null : (JSON.parse(row.policy) as string[]),
  });
}

/** An operator session; the caller has checked the operator's token. */
export async function startOperatorSession(deps: StartDeps): Promise<StartedSession> {
  return startSession(deps, { kind: 'operator', accountId: null, accessKeyId: null, scopeOrderId: null, policy: null });
}

/** The session a cookie's token names, while it lasts and its AccessKey is enabled. */
export async function resolveConsoleSession(
  deps: AccountUseCaseDeps<'clock', never, 'consoleSessions' | 'accessKeys'>,
  token: string,
): Promise<ConsoleSession | undefined> {
  if (!/^[A-Za-z0-9]{43}$/.test(token)) return undefined;
  const row = await deps.store.repos.consoleSessions.getSession(digest(token), deps.clock.now());
  if (!row) return undefined;
  let policy: string[] | null = null;
  if (row.access_key_id !== null) {
    const key = await deps.store.repos.accessKeys.getForAuth(row.access_key_id);
    if (!key || key.enabled !== 1 || key.account_id !== row.account_id) return undefined;
    policy = key.policy === null ? null : (JSON.parse(key.policy) as string[]);
  }
  return {
    kind: row.kind,
    accountId: row.account_id,
    accessKeyId: row.access_key_id,
    policy,
    scopeOrderId: row.scope_order_id,
    csrf: row.csrf,
    expiresAt: row.expires_at,
  };
}

export async function endConsoleSession(
  deps: AccountUseCaseDeps<never, 'consoleSessions'>,
  token: string,
): Promise<void> {
  if (/^[A-Za-z0-9]{43}$/.test(token)) await deps.store.repos.consoleSessions.deleteSession(digest(token));
}
