// ACME objects on the wire (RFC 8555 §7.1.2-§7.1.5): built from the domain records, with
// every URL from the configured base; never an internal id (plan, CAS order, row).
import { acmeAuthorizationStatus, acmeOrderStatus, type AcmeAccount, type AcmeChallenge } from '../../domain/acme.js';
import { isWildcard } from '../../policy/names.js';
import { identifierKindOf } from '../../policy/acme-profiles.js';
import type { AcmeAuthorizationRecord, AcmeOrderRecord } from '../../store/repos/acme.js';
import type { AcmeFrontDeps, AcmeUrls } from './context.js';

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

export function accountJson(a: AcmeAccount, urls: AcmeUrls): Record<string, unknown> {
  return { status: a.status, contact: a.contact, orders: urls.accountOrders(a.urlId) };
}

export async function orderJson(
  deps: AcmeFrontDeps,
  urls: AcmeUrls,
  rec: AcmeOrderRecord,
): Promise<{ body: Record<string, unknown>; status: string }> {
  const now = deps.clock.now();
  const authzs = rec.authorizations ?? (await deps.reads.repos.acme.authorizationsForOrder(rec.order.id));
  const statuses = authzs.map((a) => acmeAuthorizationStatus(a.authorization, a.link, now));
  const status = acmeOrderStatus({ state: rec.order.state, deleted: rec.deleted }, rec.link, statuses, now);
  const body: Record<string, unknown> = {
    status,
    expires: iso(rec.link.expiresAt),
    identifiers: rec.order.names.map((value) => ({ type: identifierKindOf(value), value })),
    profile: rec.link.profile,
    ...(rec.link.replaces ? { replaces: rec.link.replaces } : {}),
    authorizations: authzs.map((a) => urls.authz(a.link.urlId)),
    finalize: urls.finalize(rec.link.urlId),
  };
  if (status === 'valid') body.certificate = urls.certificate(rec.link.urlId);
  if (status === 'invalid')
    body.error = rec.link.error ?? {
      type: 'urn:ietf:params:acme:error:malformed',
      detail: rec.order.failReason ?? 'The order is invalid.',
    };
  return { body, status };
}

export function challengeJson(c: AcmeChallenge, urls: AcmeUrls): Record<string, unknown> {
  return {
    type: c.type,
    url: urls.challenge(c.urlId),
    status: c.status,
    token: c.token,
    ...(c.validatedAt !== null ? { validated: iso(c.validatedAt) } : {}),
    ...(c.error ? { error: c.error } : {}),
  };
}

export async function authorizationJson(
  deps: AcmeFrontDeps,
  urls: AcmeUrls,
  rec: AcmeAuthorizationRecord,
): Promise<{ body: Record<string, unknown>; processing: boolean }> {
  const now = deps.clock.now();
  const status = acmeAuthorizationStatus(rec.authorization, rec.link, now);
  let challenges = rec.challenges ?? (await deps.reads.repos.acme.challengesFor([rec.link.id]));
  // §7.1.4: once final, only the challenge that decided it (acme.sh reads every "status").
  if (status === 'valid') challenges = challenges.filter((c) => c.status === 'valid');
  if (status === 'invalid') challenges = challenges.filter((c) => c.status === 'invalid');
  const domain = rec.authorization.domain;
  return {
    body: {
      identifier: { type: identifierKindOf(domain), value: isWildcard(domain) ? domain.slice(2) : domain },
      status,
      expires: iso(rec.link.expiresAt),
      challenges: challenges.map((c) => challengeJson(c, urls)),
      ...(isWildcard(domain) ? { wildcard: true } : {}),
    },
    processing: challenges.some((c) => c.status === 'processing'),
  };
}
