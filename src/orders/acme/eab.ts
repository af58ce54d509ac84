// External account binding credentials (RFC 8555 §7.3.4): an operator creates one for a
// customer and one product (resource plan); ACME accounts made with it spend that plan.
// The MAC key is shown once, then kept only sealed under the master key. Creating and revoking
// them are operator actions the audit trail records (BR 5.4.1: "actions of CA personnel"), as
// done by whoever the store acts for (EabService.actingAs); never with the MAC key.
import { CertError } from '../../domain/errors.js';
import type { AcmeEabKey } from '../../domain/acme.js';
import { findProduct } from '../../policy/products.js';
import type { Clock, RandomSource, SecretSealer } from '../../domain/ports.js';
import type { ActingView, StoreView } from '../../store/views.js';
import { actingUseCaseBinder, type ActingUseCases } from '../../domain/use-cases.js';

export type EabDeps = {
  /** Acting for whoever opened it; EabService.actingAs hands it to a front end's client. */
  store: ActingView<StoreView<'acme' | 'audit', 'accounts'>>;
  clock: Clock;
  random: RandomSource;
  sealer: SecretSealer;
};

export function eabAad(keyId: string): string {
  return `acme-eab:${keyId}`;
}

export interface EabView {
  KeyId: string;
  AccountId: number;
  ProductCode: string;
  MaxAccounts: number;
  UsedAccounts: number;
  ExpiresAt: string | null;
  Revoked: boolean;
  CreatedAt: string;
}

function view(k: AcmeEabKey): EabView {
  return {
    KeyId: k.keyId,
    AccountId: k.accountId,
    ProductCode: k.productCode,
    MaxAccounts: k.maxAccounts,
    UsedAccounts: k.usedAccounts,
    ExpiresAt: k.expiresAt === null ? null : new Date(k.expiresAt).toISOString(),
    Revoked: k.revokedAt !== null,
    CreatedAt: new Date(k.createdAt).toISOString(),
  };
}

export async function createEabKey(
  deps: EabDeps,
  input: { accountId: number; productCode: string; maxAccounts?: number; expiresDays?: number },
): Promise<{ KeyId: string; HmacKey: string }> {
  const product = findProduct(input.productCode);
  if (!product) throw new CertError('invalid_parameter', `Unknown product code ${input.productCode.slice(0, 64)}.`);
  if (product.requiresReview)
    throw new CertError(
      'invalid_parameter',
      `${product.code} needs an operator's review; ACME issues DV products only.`,
    );
  if (!(await deps.store.repos.accounts.get(input.accountId)))
    throw new CertError('not_found', `The account ${input.accountId} does not exist.`);
  const maxAccounts = input.maxAccounts ?? 1;
  if (!Number.isInteger(maxAccounts) || maxAccounts < 1 || maxAccounts > 1_000_000)
    throw new CertError('invalid_parameter', 'max-accounts must be a whole number from 1 to 1000000.');
  if (input.expiresDays !== undefined && (!Number.isInteger(input.expiresDays) || input.expiresDays < 1))
    throw new CertError('invalid_parameter', 'expires-days must be a whole number of at least 1.');
  const now = deps.clock.now();
  const keyId = `eab_${deps.random.bytes(12).toString('base64url')}`;
  // 256-bit MAC key: HS256 needs at least the hash size (RFC 7518 §3.2).
  const hmac = deps.random.bytes(32);
  const expiresAt = input.expiresDays === undefined ? null : now + input.expiresDays * 86_400_000;
  await deps.store.writeTransaction(async (tx) => {
    await tx.acme.insertEab({
      keyId,
      accountId: input.accountId,
      productCode: product.code,
      hmacSealed: deps.sealer.seal(hmac, eabAad(keyId)),
      maxAccounts,
      usedAccounts: 0,
      expiresAt,
      revokedAt: null,
      createdAt: now,
    });
    await tx.audit.append(
      {
        kind: 'acme_eab.created',
        accountId: input.accountId,
        detail: { keyId, productCode: product.code, maxAccounts, expiresAt },
      },
      now,
    );
  });
  return { KeyId: keyId, HmacKey: hmac.toString('base64url') };
}

export async function listEabKeys(deps: EabDeps, accountId?: number): Promise<EabView[]> {
  return (await deps.store.repos.acme.listEab(accountId)).map(view);
}

export async function revokeEabKey(deps: EabDeps, keyId: string): Promise<void> {
  const key = await deps.store.repos.acme.getEab(keyId);
  if (!key) throw new CertError('not_found', `No EAB key ${keyId.slice(0, 64)}.`);
  const now = deps.clock.now();
  const revoked = await deps.store.writeTransaction(async (tx) => {
    if (!(await tx.acme.revokeEab(keyId, now))) return false;
    await tx.audit.append({ kind: 'acme_eab.revoked', accountId: key.accountId, detail: { keyId } }, now);
    return true;
  });
  if (!revoked) throw new CertError('illegal_state', `The EAB key ${keyId.slice(0, 64)} is already revoked.`);
}

const EAB_USE_CASES = { createEabKey, listEabKeys, revokeEabKey };

export type EabService = ActingUseCases<EabDeps, typeof EAB_USE_CASES>;

/** The EAB use cases bound for the operator API, the operator console and `certdesk admin` (src/app, cli/ bind them). */
export const createEabService: (deps: EabDeps) => EabService = actingUseCaseBinder(EAB_USE_CASES);
