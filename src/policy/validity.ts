// Dated validity and reuse limits of the Baseline Requirements (BR 6.3.2 and 4.2.1: ballot
// SC-081, BR §6.3.2 and §4.2.1), kept as data so that every rule can be tested at any date.
// Dates are UTC midnight: the BR does not name a time zone, and UTC is what certificates use.

import type { Product } from './products.js';

export interface ValidityRules {
  /** First instant (ms since the epoch, UTC) at which this row applies. */
  effectiveFrom: number;
  /** BR §6.3.2: maximum validity period of a subscriber certificate (MUST NOT exceed). */
  maxValidityDays: number;
  /** BR §4.2.1: reuse period of domain-name / IP-address validation data. */
  dcvReuseDays: number;
  /** BR §4.2.1: reuse period of subject identity information (OV/EV). */
  identityReuseDays: number;
}

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/** BR 6.3.2 and 4.2.1, ballot SC-081, oldest first. The first row covers everything before 2026-03-15. */
export const VALIDITY_RULES: readonly ValidityRules[] = Object.freeze([
  Object.freeze({
    effectiveFrom: Number.NEGATIVE_INFINITY,
    maxValidityDays: 398,
    dcvReuseDays: 398,
    identityReuseDays: 825,
  }),
  Object.freeze({
    effectiveFrom: Date.UTC(2026, 2, 15),
    maxValidityDays: 200,
    dcvReuseDays: 200,
    identityReuseDays: 398,
  }),
  Object.freeze({
    effectiveFrom: Date.UTC(2027, 2, 15),
    maxValidityDays: 100,
    dcvReuseDays: 100,
    identityReuseDays: 398,
  }),
  Object.freeze({
    effectiveFrom: Date.UTC(2029, 2, 15),
    maxValidityDays: 47,
    dcvReuseDays: 10,
    identityReuseDays: 398,
  }),
]);

/**
 * BR §3.2.2.4 (BR 6.3.2 and 4.2.1, ballot SC-081): a random value or token used for domain validation is
 * usable for at most 30 days after it was created.
 */
export const DCV_TOKEN_LIFETIME_DAYS = 30;

/**
 * Backdating of notBefore, so that a relying party whose clock runs a little slow does not
 * see a not-yet-valid certificate (the same hour Let's Encrypt uses). BR §7.1.2.7 allows
 * notBefore up to 48 hours from signing.
 */
export const NOT_BEFORE_BACKDATE_MS = HOUR_MS;

/** The row of VALIDITY_RULES in force at `at` (ms since the epoch). */
export function rulesInForce(at: number): ValidityRules {
  if (!Number.isFinite(at)) throw new RangeError('rulesInForce needs a finite time');
  let current = VALIDITY_RULES[0];
  for (const row of VALIDITY_RULES) {
    if (row.effectiveFrom <= at) current = row;
  }
  // VALIDITY_RULES is a non-empty literal; this only satisfies noUncheckedIndexedAccess.
  if (current === undefined) throw new Error('VALIDITY_RULES is empty');
  return current;
}

/** BR §6.3.2 maximum validity period, in days, for a certificate issued at `at`. */
export function maxValidityDays(at: number): number {
  return rulesInForce(at).maxValidityDays;
}

/** BR §4.2.1 reuse period, in days, of a domain validation performed before `at`. */
export function dcvReuseDays(at: number): number {
  return rulesInForce(at).dcvReuseDays;
}

/** BR §4.2.1 reuse period, in days, of verified subject identity data (OV) at `at`. */
export function identityReuseDays(at: number): number {
  return rulesInForce(at).identityReuseDays;
}

/**
 * Whole days of validity certdesk gives a certificate of `product` signed at `signingAt`:
 * the product's default, but never more than the BR maximum in force minus one day. BR §6.3.2
 * counts a day as 86,400 s and any extra time, even a fraction of a second, as another day,
 * so certdesk never issues the MUST limit exactly; one day less is §6.3.2's SHOULD limit.
 */
export function leafValidityDays(product: Product, signingAt: number): number {
  const cap = maxValidityDays(signingAt) - 1;
  return Math.max(1, Math.min(product.defaultValidityDays, cap));
}

/**
 * notBefore and notAfter (ms since the epoch, whole seconds) of a leaf certificate of
 * `product` signed at `signingAt`.
 *
 * - The rules in force at the signing time apply: that is when the certificate is "issued".
 * - notBefore = signing time (truncated to the second, as X.509 Time encodes it) minus one hour.
 * - RFC 5280 §4.1.2.5 and BR §1.6.4 ("Validity Period"): the period includes both notBefore
 *   and notAfter, so it is notAfter - notBefore + 1 second; here exactly leafValidityDays() * 86,400 s.
 */
export function computeLeafValidity(
  product: Product,
  signingAt: number,
  maxHours?: number | null,
): { notBefore: number; notAfter: number } {
  if (!Number.isFinite(signingAt)) throw new RangeError('computeLeafValidity needs a finite signing time');
  const days = leafValidityDays(product, signingAt);
  const notBefore = Math.floor(signingAt / 1000) * 1000 - NOT_BEFORE_BACKDATE_MS;
  // A shorter lifetime asked by the order (an ACME profile, e.g. `shortlived`: 160 hours)
  // only ever shortens the product's; RFC 5280 §4.1.2.5 counts both ends, hence the second off.
  const span = maxHours != null && maxHours > 0 ? Math.min(days * DAY_MS, maxHours * HOUR_MS) : days * DAY_MS;
  const notAfter = notBefore + span - 1000;
  return { notBefore, notAfter };
}
