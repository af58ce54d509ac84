// ACME (RFC 8555) objects as the order engine keeps them beside its own orders. An ACME order
// is a certdesk order (one plan unit, the same state table); these are the protocol's extras:
// the account and its key, the random URL tokens, the challenges, and the derived statuses.
import type { Authorization, Order } from './order.js';

export type AcmeAccountStatus = 'valid' | 'deactivated';

/** A public JWK as RFC 7517 writes it (only the members RFC 7638 thumbprints read are kept). */
export type PublicJwk = { kty: string } & Record<string, string>;

export interface AcmeAccount {
  id: number;
  /** The random token of the account URL (<base>/acme/acct/<urlId>). */
  urlId: string;
  /** The certdesk customer the EAB credential bound it to. */
  accountId: number;
  /** The product (resource plan) its orders spend by default. */
  productCode: string;
  eabKeyId: string | null;
  jwk: PublicJwk;
  /** base64url SHA-256 JWK thumbprint (RFC 7638): the key's identity and half of every key authorization. */
  thumbprint: string;
  status: AcmeAccountStatus;
  contact: string[];
  createdAt: number;
}

export interface AcmeEabKey {
  keyId: string;
  accountId: number;
  productCode: string;
  hmacSealed: string;
  maxAccounts: number;
  usedAccounts: number;
  expiresAt: number | null;
  revokedAt: number | null;
  createdAt: number;
}

/** Problem document (RFC 7807; RFC 8555 §6.7) as kept on an order or challenge that failed. */
export interface AcmeProblemDoc {
  type: string;
  detail: string;
  status?: number;
}

export interface AcmeOrderLink {
  id: number;
  urlId: string;
  orderId: number;
  acmeAccountId: number;
  profile: string;
  /** The certID the client sent in `replaces` (RFC 9773 §5), echoed in the order. */
  replaces: string | null;
  /** The certificate it names. */
  replacesCertificateId: number | null;
  expiresAt: number;
  error: AcmeProblemDoc | null;
  createdAt: number;
}

export interface AcmeAuthorizationLink {
  id: number;
  urlId: string;
  authorizationId: number;
  acmeAccountId: number;
  expiresAt: number;
  deactivatedAt: number | null;
}

export const ACME_CHALLENGE_TYPES = ['http-01', 'dns-01', 'tls-alpn-01', 'dns-account-01'] as const;
export type AcmeChallengeType = (typeof ACME_CHALLENGE_TYPES)[number];
export type AcmeChallengeStatus = 'pending' | 'processing' | 'valid' | 'invalid';

export interface AcmeChallenge {
  id: number;
  urlId: string;
  acmeAuthorizationId: number;
  type: AcmeChallengeType;
  /** base64url of 256 random bits (RFC 8555 §8.3, §8.4). */
  token: string;
  status: AcmeChallengeStatus;
  validatedAt: number | null;
  error: AcmeProblemDoc | null;
}

/**
 * RFC 9773 §4.1 certID: base64url(AKI keyIdentifier) "." base64url(serial DER INTEGER content
 * octets), unpadded. Returns the serial as certdesk stores it (the hex of its octets, upper
 * case), or undefined when the text is not of that form.
 */
export function parseAriCertId(certId: string): { keyIdentifier: Buffer; serialHex: string } | undefined {
  const m = /^([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)$/.exec(certId);
  if (!m) return undefined;
  const keyIdentifier = Buffer.from(m[1]!, 'base64url');
  const serial = Buffer.from(m[2]!, 'base64url');
  // RFC 5280 §4.1.2.2: at most 20 octets (21 with the sign octet).
  if (keyIdentifier.length === 0 || serial.length === 0 || serial.length > 21) return undefined;
  // The content octets of a DER INTEGER: a leading zero octet is only the sign of a serial whose
  // first octet has the high bit set (X.690 §8.3.2). Serials are stored as the hex of their
  // octets ("0A..." keeps its zero nibble), so only that sign octet goes, never a zero nibble.
  const octets = serial.length > 1 && serial[0] === 0 ? serial.subarray(1) : serial;
  return { keyIdentifier, serialHex: octets.toString('hex').toUpperCase() };
}

/** RFC 8555 §8.1: keyAuthorization = token || '.' || base64url(Thumbprint(accountKey)). */
export function keyAuthorization(token: string, thumbprint: string): string {
  return `${token}.${thumbprint}`;
}

export type AcmeAuthorizationStatus = 'pending' | 'valid' | 'invalid' | 'deactivated' | 'expired';

/** RFC 8555 §7.1.6: an authorization's status, from the engine's row and the ACME link. */
export function acmeAuthorizationStatus(
  authz: Pick<Authorization, 'status'>,
  link: Pick<AcmeAuthorizationLink, 'expiresAt' | 'deactivatedAt'>,
  now: number,
): AcmeAuthorizationStatus {
  if (link.deactivatedAt !== null) return 'deactivated';
  if (authz.status === 'invalid') return 'invalid';
  if (now > link.expiresAt) return 'expired';
  return authz.status;
}

export type AcmeOrderStatus = 'pending' | 'ready' | 'processing' | 'valid' | 'invalid';

/**
 * RFC 8555 §7.1.6 order status, from the engine's state: domain_verify = pending, ready =
 * ready, process = processing, certificate and revoked = valid (a revoked certificate's order
 * stays valid), verify_fail or an order deleted (unit given back) = invalid; an order past
 * its expiry that never got its certificate is invalid too.
 */
export function acmeOrderStatus(
  order: Pick<Order, 'state'> & { deleted: boolean },
  link: Pick<AcmeOrderLink, 'expiresAt' | 'error'>,
  authzStatuses: readonly AcmeAuthorizationStatus[],
  now: number,
): AcmeOrderStatus {
  if (order.state === 'certificate' || order.state === 'revoked') return 'valid';
  if (order.deleted || order.state === 'verify_fail' || order.state === 'payed' || link.error !== null)
    return 'invalid';
  if (now > link.expiresAt) return 'invalid';
  if (authzStatuses.some((s) => s === 'invalid' || s === 'deactivated' || s === 'expired')) return 'invalid';
  if (order.state === 'process') return 'processing';
  if (order.state === 'ready') return 'ready';
  return 'pending';
}

/**
 * ACME problem types (RFC 8555 §6.7, RFC 9773 §7, draft-aaron-acme-profiles) a use case may
 * name when the CertError kind alone does not say which one the client must see. The ACME
 * error form (api/acme/problems.ts) reads it from the error's detail; other fronts ignore it.
 */
export const ACME_PROBLEM_TYPES = [
  'malformed',
  'badNonce',
  'badCSR',
  'badPublicKey',
  'badSignatureAlgorithm',
  'badRevocationReason',
  'alreadyRevoked',
  'accountDoesNotExist',
  'invalidContact',
  'unsupportedContact',
  'rejectedIdentifier',
  'unsupportedIdentifier',
  'invalidProfile',
  'unauthorized',
  'orderNotReady',
  'userActionRequired',
  'externalAccountRequired',
  'alreadyReplaced',
  'rateLimited',
  'caa',
  'connection',
  'dns',
  'tls',
  'incorrectResponse',
  'serverInternal',
] as const;
export type AcmeProblemType = (typeof ACME_PROBLEM_TYPES)[number];

export function isAcmeProblemType(v: unknown): v is AcmeProblemType {
  return typeof v === 'string' && (ACME_PROBLEM_TYPES as readonly string[]).includes(v);
}

export const ACME_ERROR_PREFIX = 'urn:ietf:params:acme:error:';

/** RFC 8555 §6.5 leaves nonce lifetime to the server: one hour. */
export const ACME_DEFAULT_NONCE_LIFETIME_MS = 3_600_000;
