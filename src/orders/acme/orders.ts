// ACME orders (RFC 8555 §7.4) on the order engine: a new order is an application written by
// the same insertOrder as CreateCertificateForPackageRequest, so it takes one unit of the
// customer's plan in the same transaction and shows in ListUserCertificateOrder and
// DescribePackageState. An order that ends invalid or expires without a certificate gives its
// unit back (deleted, as a failed CAS application the customer deletes).
import { isIP } from 'node:net';
import { CertError } from '../../domain/errors.js';
import type { AcmeAccount, AcmeChallengeType, AcmeProblemDoc } from '../../domain/acme.js';
import { ACME_ERROR_PREFIX, acmeAuthorizationStatus, acmeOrderStatus, parseAriCertId } from '../../domain/acme.js';
import type { Certificate } from '../../domain/certificate.js';
import { checkNamesForProduct, MAX_NAMES, normalizeDomainName } from '../../policy/names.js';
import {
  acmeProfileDescriptions,
  findAcmeProfile,
  identifierKindOf,
  type AcmeProfile,
} from '../../policy/acme-profiles.js';
import { challengeTypesFor, isPublicAddress, normalizeIpIdentifier } from '../../validation/index.js';
import { dcvReuseDays } from '../../policy/validity.js';
import type { AcmeAuthorizationRecord, AcmeOrderRecord } from '../../store/repos/acme.js';
import { insertOrderWithAuthorizations, quotaError } from '../submit-application.js';
import type { ViewRepos } from '../../store/views.js';
import { acmeError, type AcmeDeps, type AcmeRepoReads, type AcmeRepoWrites } from './deps.js';

type AcmeTxRepos = ViewRepos<AcmeRepoWrites, AcmeRepoReads>;

const DAY_MS = 86_400_000;

/** The ACME profiles (draft-aaron-acme-profiles; policy/acme-profiles.ts): one per DV product code, and `shortlived`. */
export function acmeProfiles(): Record<string, string> {
  return acmeProfileDescriptions();
}

export interface NewOrderPayload {
  identifiers?: unknown;
  profile?: unknown;
  replaces?: unknown;
  notBefore?: unknown;
  notAfter?: unknown;
}

/**
 * §7.4 identifiers, de-duplicated: `dns` normalized (lower case, A-labels, no trailing dot);
 * `ip` (RFC 8738 §3) only in its one textual form, IPv4 dotted decimal and IPv6 as RFC 5952
 * §4 writes it (another form is malformed, not rewritten: the client must ask for what it
 * gets), and only a public address unless the server validates private targets (tests), as
 * the address guard decides for http-01 targets (validation/address-guard.ts).
 */
function orderNames(identifiers: unknown, allowPrivate: boolean): string[] {
  if (!Array.isArray(identifiers) || identifiers.length === 0)
    throw acmeError('invalid_parameter', 'malformed', 'identifiers must be a non-empty array.');
  const names: string[] = [];
  for (const id of identifiers as unknown[]) {
    const { type, value } = (id ?? {}) as { type?: unknown; value?: unknown };
    if (typeof type !== 'string' || typeof value !== 'string')
      throw acmeError('invalid_parameter', 'malformed', 'Each identifier needs a type and a value.');
    let name: string;
    if (type === 'dns') {
      if (isIP(value) !== 0)
        throw acmeError(
          'invalid_parameter',
          'rejectedIdentifier',
          'An IP address is not a dns identifier; use the type "ip" (RFC 8738).',
        );
      name = normalizeDomainName(value);
    } else if (type === 'ip') {
      name = ipIdentifier(value, allowPrivate);
    } else
      throw acmeError(
        'invalid_parameter',
        'unsupportedIdentifier',
        `Identifier type "${type.slice(0, 20)}" is not supported.`,
      );
    if (!names.includes(name)) names.push(name);
  }
  return names;
}

function ipIdentifier(value: string, allowPrivate: boolean): string {
  const shown = value.slice(0, 45);
  const ip = normalizeIpIdentifier(value);
  if (ip === undefined)
    throw acmeError('invalid_parameter', 'malformed', `"${shown}" is not an IPv4 or IPv6 address (RFC 8738 §3).`);
  if (ip !== value)
    throw acmeError(
      'invalid_parameter',
      'malformed',
      `"${shown}" is not in canonical form (RFC 8738 §3, RFC 5952 §4); write it as "${ip}".`,
    );
  if (!allowPrivate && !isPublicAddress(ip))
    throw acmeError(
      'name_rejected',
      'rejectedIdentifier',
      `${ip} is not a public address; certdesk does not certify private or reserved addresses.`,
    );
  return ip;
}

async function chooseProfile(deps: AcmeDeps, account: AcmeAccount, profile: unknown): Promise<AcmeProfile> {
  if (profile === undefined) {
    const own = findAcmeProfile(account.productCode);
    if (!own) throw acmeError('invalid_parameter', 'invalidProfile', `No ACME profile for ${account.productCode}.`);
    return own;
  }
  if (typeof profile !== 'string') throw acmeError('invalid_parameter', 'malformed', 'profile must be a string.');
  const chosen = findAcmeProfile(profile);
  if (!chosen) throw acmeError('invalid_parameter', 'invalidProfile', `No profile named "${profile.slice(0, 64)}".`);
  if (chosen.product.code === account.productCode) return chosen;
  // Another profile is allowed when the customer holds a plan for its product.
  const plans = await deps.store.repos.plans.listByAccount(account.accountId);
  if (!plans.some((p) => p.product_code === chosen.product.code))
    throw acmeError(
      'invalid_parameter',
      'invalidProfile',
      `The profile ${chosen.name} is not part of this account's plans.`,
    );
  return chosen;
}

/** The profile's identifier types and the product's name rules (policy/names.ts for DNS names). */
function checkNamesForProfile(names: string[], profile: AcmeProfile): void {
  const ips = names.filter((n) => identifierKindOf(n) === 'ip');
  if (ips.length > 0 && !profile.identifierTypes.includes('ip'))
    throw acmeError(
      'name_rejected',
      'rejectedIdentifier',
      `The profile ${profile.name} does not certify IP addresses (${ips[0]}); ask for the shortlived profile.`,
    );
  if (names.length > MAX_NAMES)
    throw acmeError('invalid_parameter', 'malformed', `At most ${MAX_NAMES} identifiers are allowed.`);
  const dnsNames = names.filter((n) => identifierKindOf(n) === 'dns');
  if (dnsNames.length === 0) return;
  try {
    checkNamesForProduct(dnsNames, profile.product);
  } catch (e) {
    if (e instanceof CertError && e.kind === 'name_rejected')
      throw acmeError('name_rejected', 'rejectedIdentifier', e.message);
    throw e;
  }
}

/**
 * Challenge types offered per name (validation/acme-methods.ts): a wildcard only by DNS
 * (RFC 8555 §7.1.3, RFC 8737 §3); an IP address by http-01 and tls-alpn-01 only (RFC 8738 §7:
 * dns-01 has no name to put a record under).
 */
function challengeTypes(name: string): AcmeChallengeType[] {
  return challengeTypesFor({ type: identifierKindOf(name), value: name });
}

function token(deps: AcmeDeps, bytes = 16): string {
  return deps.random.bytes(bytes).toString('base64url');
}

export async function newAcmeOrder(
  deps: AcmeDeps,
  account: AcmeAccount,
  payload: NewOrderPayload,
): Promise<AcmeOrderRecord> {
  if (payload.notBefore !== undefined || payload.notAfter !== undefined)
    throw acmeError('invalid_parameter', 'malformed', 'notBefore and notAfter are not supported by this server.');
  const names = orderNames(payload.identifiers, deps.validation.allowPrivateTargets);
  const replaced = await replacedCertificate(deps, account, payload.replaces, names);
  const profile = await chooseProfile(deps, account, payload.profile);
  checkNamesForProfile(names, profile);
  const { product } = profile;
  const now = deps.clock.now();
  await checkOrderRate(deps, account, now);
  // A cheap look before the transaction: most refusals for quota happen here. Units held by
  // expired orders are given back first when the plan looks full (the housekeeping sweep of
  // app/acme-wiring.ts gives them back too), so such a unit is never refused; looking for
  // them before every order was one more statement per order.
  const hasRoom = () => deps.store.repos.plans.pickPlanWithRoom(account.accountId, product.code, now);
  if (!(await hasRoom()) && ((await releaseFinishedOrders(deps, now)) === 0 || !(await hasRoom())))
    throw quotaError(product);
  const { acme: settings } = deps;
  const made = await deps.store.writeTransaction(async (tx) => {
    if (replaced) await notYetReplaced(tx, replaced.id, now);
    const { orderId, authorizations: inserted } = await insertOrderWithAuthorizations(deps, tx, {
      accountId: account.accountId,
      product,
      names,
      state: 'domain_verify',
      validateType: 'DNS',
      // No key yet: the CSR arrives at finalize (domain/order.ts awaitsCsr).
      key: { spki: Buffer.alloc(0), keyAlgorithm: '' },
      csrDer: undefined,
      contact: {
        name: `ACME account ${account.urlId.slice(0, 12)}`,
        phone: '-',
        email: account.contact[0]?.slice('mailto:'.length) ?? 'acme@invalid',
      },
      companyName: undefined,
      tags: [{ Key: 'acme', Value: account.urlId }],
      renewedFrom: null,
      ...(profile.validityHours !== undefined ? { validityHours: profile.validityHours } : {}),
      startValidation: false,
    });
    const reuseSince = now - dcvReuseDays(now) * DAY_MS;
    let earliest = now + settings.orderLifetimeMs;
    let allValid = true;
    let oldestValidation = now;
    const authorizations: AcmeAuthorizationRecord[] = [];
    for (const authz of inserted) {
      const reused = await tx.acme.reusableAuthorization(account.accountId, authz.domain, reuseSince, now);
      const expiresAt = reused ? reused.expiresAt : now + settings.authorizationLifetimeMs;
      earliest = Math.min(earliest, expiresAt);
      if (reused) {
        await tx.authorizations.setOutcome(authz.id, {
          status: 'valid',
          lastError: null,
          validatedAt: reused.validatedAt,
        });
        oldestValidation = Math.min(oldestValidation, reused.validatedAt);
      } else allValid = false;
      const link = await tx.acme.insertAuthorizationLink({
        urlId: token(deps),
        authorizationId: authz.id,
        acmeAccountId: account.id,
        expiresAt,
        deactivatedAt: null,
      });
      authorizations.push({
        link,
        authorization: reused ? { ...authz, status: 'valid', lastError: null, validatedAt: reused.validatedAt } : authz,
      });
      if (!reused)
        await tx.acme.insertChallenges(
          challengeTypes(authz.domain).map((type) => ({
            urlId: token(deps),
            acmeAuthorizationId: link.id,
            type,
            // RFC 8555 §8.3: at least 128 bits of entropy; 256 here.
            token: token(deps, 32),
            status: 'pending',
            validatedAt: null,
            error: null,
          })),
        );
    }
    const link = await tx.acme.insertOrderLink({
      urlId: token(deps),
      orderId,
      acmeAccountId: account.id,
      profile: profile.name,
      replaces: replaced ? (payload.replaces as string) : null,
      replacesCertificateId: replaced?.id ?? null,
      // §7.1.3: an order never outlives its earliest authorization.
      expiresAt: earliest,
      error: null,
      createdAt: now,
    });
    // BR 5.4.1: the request is recorded, as done by whoever the store acts for (the account
    // that signed it: engine.ts actingAs); a CAS submission records it through its event.
    await tx.audit.append(
      {
        kind: 'order.submitted',
        accountId: account.accountId,
        orderId,
        detail: { names, productCode: product.code, acmeOrder: link.urlId },
      },
      now,
    );
    // Every name already proven (reuse within the BR 4.2.1 period): ready at once. CAA is
    // checked again at issuance (caaCheckedAt stays empty: issue-certificate.ts).
    if (allValid) await tx.orders.moveOrder(orderId, { to: 'ready', from: ['domain_verify'] }, { updatedAt: now });
    void oldestValidation;
    return { urlId: link.urlId, authorizations };
  });
  // The order row as written (the engine's insertOrder); its authorizations as just made.
  return { ...(await deps.store.repos.acme.orderByUrlId(made.urlId))!, authorizations: made.authorizations };
}

/**
 * RFC 9773 §5 `replaces`: a certID that parses, naming a certificate this server issued to an
 * order of the same ACME account (else 403 unauthorized: another account's certificate is not
 * confirmed either), sharing at least one identifier with the new order (else 400 malformed).
 */
async function replacedCertificate(
  deps: AcmeDeps,
  account: AcmeAccount,
  replaces: unknown,
  names: readonly string[],
): Promise<Certificate | undefined> {
  if (replaces === undefined) return undefined;
  const parsed = typeof replaces === 'string' ? parseAriCertId(replaces) : undefined;
  if (!parsed)
    throw acmeError(
      'invalid_parameter',
      'malformed',
      'replaces must be a certID (RFC 9773 §4.1: keyIdentifier.serial).',
    );
  const cert = await deps.store.repos.certificates.findIssuedBySerial(deps.ca.issuerIds, parsed.serialHex);
  const owner = cert?.orderId != null ? await deps.store.repos.acme.orderByOrderId(cert.orderId) : undefined;
  if (!cert || !owner || owner.link.acmeAccountId !== account.id)
    throw acmeError(
      'unauthorized',
      'unauthorized',
      'The certificate named by replaces was not issued to this account.',
    );
  if (!cert.sans.some((n) => names.includes(n.toLowerCase())))
    throw acmeError(
      'invalid_parameter',
      'malformed',
      'The order shares no identifier with the certificate named by replaces.',
    );
  return cert;
}

/** RFC 9773 §5: a certificate is replaced once, by an order that is not invalid (else 409 alreadyReplaced). */
async function notYetReplaced(tx: AcmeTxRepos, certificateId: number, now: number): Promise<void> {
  for (const r of await tx.acme.replacementsOf(certificateId)) {
    const authzs = await tx.acme.authorizationsForOrder(r.order.id);
    const statuses = authzs.map((a) => acmeAuthorizationStatus(a.authorization, a.link, now));
    if (acmeOrderStatus({ state: r.order.state, deleted: r.deleted }, r.link, statuses, now) !== 'invalid')
      throw acmeError(
        'illegal_state',
        'alreadyReplaced',
        'The certificate named by replaces is already being replaced by another order.',
      );
  }
}

/**
 * The account's own order, or not_found (RFC 8555 leaves other accounts' orders unconfirmed:
 * 404), with its authorizations (read in the same statement: every answer lists their URLs).
 */
export async function ownAcmeOrder(deps: AcmeDeps, account: AcmeAccount, urlId: string): Promise<AcmeOrderRecord> {
  const rec = await deps.store.repos.acme.orderWithAuthorizationsByUrlId(urlId);
  if (!rec || rec.link.acmeAccountId !== account.id) throw acmeError('not_found', 'malformed', 'No such order.');
  return rec;
}

function problem(type: string, detail: string, status: number): AcmeProblemDoc {
  return { type: `${ACME_ERROR_PREFIX}${type}`, detail, status };
}

/**
 * Gives back the plan units of ACME orders that ended without a certificate: failed ones
 * (verify_fail) and those past their expiry while pending or ready, which end invalid first.
 */
export async function releaseFinishedOrders(deps: AcmeDeps, now: number, limit = 100): Promise<number> {
  const expired = await deps.store.repos.acme.expiredWaiting(now, limit);
  let released = 0;
  for (const link of expired) {
    await deps.store.writeTransaction(async (tx) => {
      const moved = await tx.orders.moveOrder(
        link.orderId,
        { to: 'verify_fail', from: ['domain_verify', 'ready'] },
        { failReason: 'The ACME order expired before it was finalized.', updatedAt: now },
      );
      if (!moved) return;
      await tx.acme.setOrderError(link.id, problem('malformed', 'The order expired before it was finalized.', 400));
      if (await tx.orders.markDeleted(link.orderId, now)) released += 1;
    });
  }
  return released;
}

/**
 * §6.6: new orders per account in a sliding window, counted from the orders themselves (the
 * store every process shares). Checked outside the order's transaction: a burst of parallel
 * requests may pass the limit by the few in flight, never by more.
 */
async function checkOrderRate(deps: AcmeDeps, account: AcmeAccount, now: number): Promise<void> {
  const { ordersPerWindow, rateWindowMs } = deps.acme;
  if (ordersPerWindow <= 0) return;
  const times = await deps.store.repos.acme.orderTimesSince(account.id, now - rateWindowMs, ordersPerWindow);
  if (times.length < ordersPerWindow) return;
  const retry = Math.max(1, Math.ceil((times[0]! + rateWindowMs - now) / 1000));
  throw new CertError(
    'throttled',
    `Too many new orders for this account: the limit acme-new-orders allows ${ordersPerWindow} per ${Math.round(rateWindowMs / 1000)} s; retry in ${retry} s.`,
    { retryAfterSeconds: retry, detail: { acme: 'rateLimited' } },
  );
}
