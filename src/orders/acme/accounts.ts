// ACME accounts (RFC 8555 §7.3): created with External Account Binding (§7.3.4), which names
// the certdesk customer and the product whose plan the account's orders spend; contacts
// updated, deactivated (§7.3.6), re-keyed (§7.3.5). The outer JWS was verified by the front
// end; the EAB inner JWS is verified here, where its MAC key can be opened.
import { calculateJwkThumbprint, flattenedVerify, type FlattenedJWS } from 'jose';
import type { AcmeAccount, PublicJwk } from '../../domain/acme.js';
import { acmeError, type AcmeDeps } from './deps.js';
import { eabAad } from './eab.js';

export interface NewAccountInput {
  jwk: PublicJwk;
  thumbprint: string;
  contact?: unknown;
  onlyReturnExisting?: unknown;
  externalAccountBinding?: unknown;
  /** The newAccount URL: the EAB's protected `url` must name it (§7.3.4). */
  newAccountUrl: string;
}

const MAX_CONTACTS = 4;

/** §7.3: mailto: URIs only, one address each, no query or fragment (hfields). */
export function checkContacts(contact: unknown): string[] {
  if (contact === undefined) return [];
  if (!Array.isArray(contact) || contact.some((c) => typeof c !== 'string'))
    throw acmeError('invalid_parameter', 'malformed', 'contact must be an array of strings.');
  if (contact.length > MAX_CONTACTS)
    throw acmeError('invalid_parameter', 'invalidContact', `At most ${MAX_CONTACTS} contacts are accepted.`);
  for (const c of contact as string[]) {
    if (!c.startsWith('mailto:'))
      throw acmeError('invalid_parameter', 'unsupportedContact', 'Only mailto: contacts are supported.');
    const addr = c.slice('mailto:'.length);
    if (!/^[^@\s,?#]+@[^@\s,?#]+\.[^@\s,?#]+$/.test(addr) || addr.length > 254)
      throw acmeError('invalid_parameter', 'invalidContact', `"${c.slice(0, 80)}" is not one e-mail address.`);
  }
  return contact as string[];
}

async function verifyEab(
  deps: AcmeDeps,
  input: NewAccountInput,
): Promise<{ keyId: string; accountId: number; productCode: string }> {
  const eab = input.externalAccountBinding;
  if (eab === undefined)
    throw acmeError('unauthorized', 'externalAccountRequired', 'This server requires external account binding.');
  const jws = eab as Partial<FlattenedJWS> & Record<string, unknown>;
  if (
    typeof eab !== 'object' ||
    eab === null ||
    typeof jws.protected !== 'string' ||
    typeof jws.payload !== 'string' ||
    typeof jws.signature !== 'string'
  )
    throw acmeError('invalid_parameter', 'malformed', 'externalAccountBinding is not a flattened JWS.');
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(Buffer.from(jws.protected, 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    throw acmeError('invalid_parameter', 'malformed', 'The EAB protected header is not JSON.');
  }
  if (typeof header.alg !== 'string' || !['HS256', 'HS384', 'HS512'].includes(header.alg))
    throw acmeError('invalid_parameter', 'malformed', 'The EAB must be MACed with HS256, HS384 or HS512.');
  if ('nonce' in header) throw acmeError('invalid_parameter', 'malformed', 'The EAB must not carry a nonce (§7.3.4).');
  if (header.url !== input.newAccountUrl)
    throw acmeError('invalid_parameter', 'malformed', 'The EAB url must be the newAccount URL.');
  if (typeof header.kid !== 'string') throw acmeError('invalid_parameter', 'malformed', 'The EAB has no kid.');
  const now = deps.clock.now();
  const key = await deps.store.repos.acme.getEab(header.kid);
  // One answer for unknown, revoked and expired keys: none of them is usable.
  if (!key || key.revokedAt !== null || (key.expiresAt !== null && key.expiresAt <= now))
    throw acmeError('unauthorized', 'unauthorized', 'The EAB key ID is unknown, revoked or expired.');
  const mac = deps.sealer.open(key.hmacSealed, eabAad(key.keyId));
  let payload: Uint8Array;
  try {
    ({ payload } = await flattenedVerify(jws as FlattenedJWS, mac, { algorithms: [header.alg] }));
  } catch {
    throw acmeError('unauthorized', 'unauthorized', 'The EAB MAC does not verify.');
  }
  let bound: PublicJwk;
  try {
    bound = JSON.parse(Buffer.from(payload).toString('utf8')) as PublicJwk;
  } catch {
    throw acmeError('invalid_parameter', 'malformed', 'The EAB payload is not a JWK.');
  }
  // Compared as keys (their thumbprints), not as bytes (§7.3.4).
  let boundThumbprint: string | undefined;
  try {
    boundThumbprint = await calculateJwkThumbprint(bound, 'sha256');
  } catch {
    boundThumbprint = undefined;
  }
  if (boundThumbprint !== input.thumbprint)
    throw acmeError('invalid_parameter', 'badPublicKey', 'The EAB binds another key than the one signing the request.');
  return { keyId: key.keyId, accountId: key.accountId, productCode: key.productCode };
}

export async function newAcmeAccount(
  deps: AcmeDeps,
  input: NewAccountInput,
): Promise<{ account: AcmeAccount; created: boolean }> {
  const { repos } = deps.store;
  const existing = await repos.acme.accountByThumbprint(input.thumbprint);
  if (existing) {
    if (existing.status !== 'valid') throw acmeError('unauthorized', 'unauthorized', 'The account is deactivated.');
    return { account: existing, created: false };
  }
  if (input.onlyReturnExisting === true)
    throw acmeError('not_found', 'accountDoesNotExist', 'No account exists for this key.');
  const contact = checkContacts(input.contact);
  const eab = await verifyEab(deps, input);
  const now = deps.clock.now();
  return deps.store.writeTransaction(async (tx) => {
    if (!(await tx.acme.useEab(eab.keyId, now)))
      throw acmeError('unauthorized', 'unauthorized', 'The EAB key has been used for as many accounts as it allows.');
    const account = await tx.acme.insertAccount({
      urlId: deps.random.bytes(16).toString('base64url'),
      accountId: eab.accountId,
      productCode: eab.productCode,
      eabKeyId: eab.keyId,
      jwk: input.jwk,
      thumbprint: input.thumbprint,
      status: 'valid',
      contact,
      createdAt: now,
    });
    return { account, created: true };
  });
}

/** §7.3.2 contact update and §7.3.6 deactivation (the only status a client may set). */
export async function updateAcmeAccount(
  deps: AcmeDeps,
  account: AcmeAccount,
  payload: { contact?: unknown; status?: unknown },
): Promise<AcmeAccount> {
  const { repos } = deps.store;
  if (payload.status !== undefined && payload.status !== 'deactivated' && payload.status !== account.status)
    throw acmeError('invalid_parameter', 'malformed', 'An account can only be set to "deactivated".');
  const contact = payload.contact === undefined ? undefined : checkContacts(payload.contact);
  if (payload.status === 'deactivated') {
    const now = deps.clock.now();
    await deps.store.writeTransaction(async (tx) => {
      await tx.acme.updateAccount(account.id, { status: 'deactivated', ...(contact ? { contact } : {}) });
      // §7.3.6: its pending authorizations are deactivated; issued certificates stay valid.
      await tx.acme.deactivatePendingOf(account.id, now);
    });
  } else if (contact) {
    await repos.acme.updateAccount(account.id, { contact });
  }
  return (await repos.acme.accountById(account.id))!;
}

/** §7.3.5: the account's key becomes `newJwk`; 409 with the other account when that key is taken. */
export async function changeAcmeAccountKey(
  deps: AcmeDeps,
  account: AcmeAccount,
  newKey: { jwk: PublicJwk; thumbprint: string },
): Promise<AcmeAccount> {
  if (newKey.thumbprint === account.thumbprint)
    throw acmeError('invalid_parameter', 'malformed', 'The new key is the current key.');
  const taken = await deps.store.repos.acme.accountByThumbprint(newKey.thumbprint);
  if (taken)
    throw acmeError('already_exists', 'malformed', 'The new key is already used by an account.', {
      conflictUrlId: taken.urlId,
    });
  try {
    await deps.store.repos.acme.updateAccount(account.id, { jwk: newKey.jwk, thumbprint: newKey.thumbprint });
  } catch (e) {
    // The unique thumbprint index: another request took the key meanwhile.
    const raced = await deps.store.repos.acme.accountByThumbprint(newKey.thumbprint);
    if (raced)
      throw acmeError('already_exists', 'malformed', 'The new key is already used by an account.', {
        conflictUrlId: raced.urlId,
      });
    throw e;
  }
  return (await deps.store.repos.acme.accountById(account.id))!;
}
