// ACME profiles (draft-ietf-acme-profiles): a profile names the product whose plan an order
// spends, which identifier types it accepts and how long its certificates live. One profile
// per DV product, named by its code (DNS names, the product's validity), and `shortlived`, as
// Let's Encrypt's profile of that name (https://letsencrypt.org/docs/profiles/): 160 hours,
// DNS names and IP addresses. IP address certificates are short-lived only, for the reason
// Let's Encrypt gives: an address changes hands more readily than a domain name, so its
// control is proven more often (https://letsencrypt.org/2026/01/15/6day-and-ip-general-availability/).
import { isIP } from 'node:net';
import { DEFAULT_PRODUCT_CODE, findProduct, PRODUCTS, type Product } from './products.js';

/** RFC 8555 §9.7.7 "dns" and RFC 8738 §3 "ip". */
export type AcmeIdentifierKind = 'dns' | 'ip';

export interface AcmeProfile {
  name: string;
  /** `meta.profiles` text (draft-ietf-acme-profiles §3). */
  description: string;
  product: Product;
  identifierTypes: readonly AcmeIdentifierKind[];
  /** A lifetime cap in hours; undefined: the product's validity (policy/validity.ts). */
  validityHours?: number;
}

export const SHORTLIVED_PROFILE = 'shortlived';
/** Let's Encrypt's `shortlived`: "160 hours" (https://letsencrypt.org/docs/profiles/). */
export const SHORTLIVED_VALIDITY_HOURS = 160;

function productProfile(p: Product): AcmeProfile {
  return Object.freeze({
    name: p.code,
    description: `${p.name} (${p.domains} names)`,
    product: p,
    identifierTypes: Object.freeze(['dns'] as const),
  });
}

const PROFILES: ReadonlyMap<string, AcmeProfile> = new Map(
  [
    ...PRODUCTS.filter((p) => !p.requiresReview).map(productProfile),
    Object.freeze({
      name: SHORTLIVED_PROFILE,
      description: `${SHORTLIVED_VALIDITY_HOURS}-hour certificates for DNS names and IP addresses (RFC 8738), on the ${DEFAULT_PRODUCT_CODE} plan`,
      product: findProduct(DEFAULT_PRODUCT_CODE)!,
      identifierTypes: Object.freeze(['dns', 'ip'] as const),
      validityHours: SHORTLIVED_VALIDITY_HOURS,
    }),
  ].map((p) => [p.name, p]),
);

/** The profile of that name, or undefined (OV products are not ACME profiles: they need review). */
export function findAcmeProfile(name: string): AcmeProfile | undefined {
  return PROFILES.get(name);
}

/** The directory's `meta.profiles`: name -> description. */
export function acmeProfileDescriptions(): Record<string, string> {
  return Object.fromEntries([...PROFILES.values()].map((p) => [p.name, p.description]));
}

/**
 * The type of an order's stored name: an address is an `ip` identifier (a `dns` identifier
 * never holds one: new-order refuses it, and policy/names.ts refuses addresses as names).
 */
export function identifierKindOf(name: string): AcmeIdentifierKind {
  return isIP(name) !== 0 ? 'ip' : 'dns';
}
