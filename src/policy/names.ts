// Which domain names certdesk will put in a certificate, and in which combinations.
//
// Sources: the CAS API reference (CAS API reference, certificate order actions: "Up to 5, comma-separated. All single names or all
// wildcards, not mixed", matching the product's single/wildcard spec) and the Baseline
// Requirements (BR 3.2.2.4, §5): SAN dNSNames are P-Labels or Non-Reserved LDH Labels
// (BR §7.1.2.7.12), no internal names or IP addresses (BR §4.2.2, §7.1.2.7), a wildcard
// only as the whole leftmost label and never directly over a public suffix (BR §3.2.2.6),
// and no names in the IP reverse-lookup zones (banned since 2026-03-15, BR 3.2.2.4).

import { isIP } from 'node:net';
import { domainToASCII, domainToUnicode } from 'node:url';
import { parse as parseHostname } from 'tldts';
import { CertError } from '../domain/errors.js';
import type { Product } from './products.js';

/** CAS API reference, certificate order actions: "Domain: Up to 5, comma-separated." */
export const MAX_NAMES = 5;

// RFC 1035 §2.3.4: 255 octets on the wire, i.e. 253 characters in dotted form without the
// root dot; 63 octets per label.
const MAX_NAME_LENGTH = 253;
const MAX_LABEL_LENGTH = 63;

// Echoed names are clipped so every message stays well under 200 characters.
const MAX_ECHO_CHARS = 60;

// Reverse-lookup zones (RFC 1035 §3.5, RFC 3596 §2.5): BR §3.2.2.5 as amended by SC-091
// bans domain names ending in them from 2026-03-15 (BR 3.2.2.4).
const REVERSE_ZONES = ['in-addr.arpa', 'ip6.arpa'];

const TOO_MANY_NAMES = `At most ${MAX_NAMES} domain names are allowed.`;

function clip(name: string, max = MAX_ECHO_CHARS): string {
  const printable = name.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
  return printable.length > max ? `${printable.slice(0, max)}...` : printable;
}

function reject(name: string, reason: string): CertError {
  return new CertError('name_rejected', `"${clip(name)}" ${reason}`);
}

function isUnder(name: string, zone: string): boolean {
  return name === zone || name.endsWith(`.${zone}`);
}

/** True for a name of the form `*.rest` (the only wildcard form certdesk accepts). */
export function isWildcard(name: string): boolean {
  return name.startsWith('*.');
}

/**
 * The domain whose control is proven for `name`: for `*.example.com` it is `example.com`,
 * where the DNS TXT record goes (CAS API reference: DescribeCertificateState domain verification fields, DigiCert's convention; BR §3.2.2.4 removes
 * the wildcard label before validating a name). Other names are their own base.
 */
export function dcvBaseDomain(name: string): string {
  return isWildcard(name) ? name.slice(2) : name;
}

/**
 * Canonical form of one client-supplied name: trimmed, lower-case, internationalized labels
 * converted to A-labels (punycode, UTS #46 processing as in browsers via node:url), and one
 * trailing root dot removed. Throws CertError('name_rejected') if the name is empty or cannot
 * be converted. It does not apply the issuance rules: checkNamesForProduct does.
 */
export function normalizeDomainName(raw: string): string {
  const trimmed = raw.trim();
  if (trimmed === '') throw new CertError('name_rejected', 'A domain name is empty.');
  let ascii: string;
  if (/^[\u0000-\u007f]*$/.test(trimmed)) {
    // Plain ASCII stays as typed (apart from case): the WHATWG host parser behind
    // domainToASCII would rewrite it (`0x7f.1` -> `127.0.0.1`, `%41` -> `a`), and the rules
    // must judge what the client sent.
    ascii = trimmed.toLowerCase();
  } else {
    // Beside Unicode letters, only characters that can survive in a host name may appear;
    // otherwise domainToASCII would percent-decode or drop them silently.
    if (/[\u0000-\u0029\u002b\u002c\u002f\u003a-\u0040\u005b-\u005e\u0060\u007b-\u007f]/.test(trimmed)) {
      throw reject(trimmed, 'contains a character that is not allowed in a domain name.');
    }
    ascii = domainToASCII(trimmed.toLowerCase());
    if (ascii === '') throw reject(trimmed, 'is not a valid internationalized domain name.');
  }
  if (ascii.endsWith('.')) ascii = ascii.slice(0, -1);
  if (ascii === '') throw new CertError('name_rejected', 'A domain name is empty.');
  return ascii;
}

/**
 * The names of a CAS `Domain` parameter: comma-separated, spaces around names tolerated,
 * empty items ignored, each normalized, exact duplicates dropped (first occurrence kept),
 * then checked against every rule for `product`.
 */
export function parseDomainList(raw: string, product: Product): string[] {
  const names: string[] = [];
  for (const item of raw.split(',')) {
    if (item.trim() === '') continue;
    const name = normalizeDomainName(item);
    if (names.includes(name)) continue;
    names.push(name);
    // Stop early: a huge list costs no more than six names.
    if (names.length > MAX_NAMES) throw new CertError('invalid_parameter', TOO_MANY_NAMES);
  }
  checkNamesForProduct(names, product);
  return names;
}

/**
 * Refuses (CertError) a set of names that certdesk will not issue for `product`. Names must
 * already be normalized (normalizeDomainName) and distinct; this is also the check for the
 * names taken from a CSR (its CN and SANs, CAS API reference, certificate order actions).
 */
export function checkNamesForProduct(names: string[], product: Product): void {
  if (names.length === 0) throw new CertError('invalid_parameter', 'At least one domain name is required.');
  if (names.length > MAX_NAMES) throw new CertError('invalid_parameter', TOO_MANY_NAMES);

  const seen = new Set<string>();
  for (const name of names) {
    if (seen.has(name)) throw reject(name, 'is listed more than once.');
    seen.add(name);
    checkName(name);
  }

  // CAS API reference, certificate order actions: "All single names or all wildcards, not mixed."
  const wildcard = names.find(isWildcard);
  const single = names.find((n) => !isWildcard(n));
  if (wildcard !== undefined && single !== undefined) {
    throw new CertError(
      'name_rejected',
      `Wildcard and single names cannot be mixed in one application ("${clip(wildcard, 40)}" and "${clip(single, 40)}").`,
    );
  }
  // CAS API reference, certificate order actions / §7: the name must match the spec, single (`-1-`) or wildcard (`-w-`).
  if (product.domains === 'single' && wildcard !== undefined) {
    throw reject(wildcard, `is a wildcard name, but ${product.code} is for single names only.`);
  }
  if (product.domains === 'wildcard' && single !== undefined) {
    throw reject(single, `is not a wildcard name (*.example.com), but ${product.code} is for wildcards only.`);
  }
}

/** Refuses one normalized name that may not appear in a publicly-trusted certificate. */
function checkName(name: string): void {
  if (name === '') throw new CertError('name_rejected', 'A domain name is empty.');

  // BR §7.1.2.7 / §4.2.2: certdesk issues for domain names only, never IP addresses.
  const bare = name.startsWith('[') && name.endsWith(']') ? name.slice(1, -1) : name;
  if (isIP(bare) !== 0) throw reject(name, 'is an IP address; only domain names are allowed.');

  if (name.length > MAX_NAME_LENGTH) throw reject(name, `is longer than ${MAX_NAME_LENGTH} characters.`);
  // Callers normalize first (normalizeDomainName); an upper-case name here is a bug upstream,
  // refused so that what is signed is always the canonical form. (A trailing dot shows up
  // below as an empty label.)
  if (name !== name.toLowerCase()) throw reject(name, 'is not in canonical form (lower case).');

  const labels = name.split('.');
  const last = labels[labels.length - 1] ?? '';
  if (labels.length < 2) throw reject(name, 'is not a public domain name (a single label).');
  labels.forEach((label, i) => checkLabel(name, label, i));
  // No top-level domain is all-numeric (RFC 3696 §2); such a name reads as an IPv4 address
  // in one of its short or numeric forms (`10.1`, `127.0.0.01`).
  if (/^[0-9]+$/.test(last)) throw reject(name, 'ends in a numeric label, so it reads as an IP address.');

  for (const zone of REVERSE_ZONES) {
    if (isUnder(name, zone)) throw reject(name, `is in the IP reverse-lookup zone ${zone}; such names are banned.`);
  }
  // RFC 3172: .arpa is for Internet infrastructure; it also holds home.arpa (RFC 8375, a
  // non-unique home-network name the public suffix list still lists as ICANN).
  if (isUnder(name, 'arpa')) throw reject(name, 'is under .arpa, which is reserved for Internet infrastructure.');
  // RFC 7686 special-use name; BR Appendix B's onion rules are not implemented.
  if (isUnder(name, 'onion')) throw reject(name, 'is a Tor .onion name; certdesk does not issue for .onion.');

  checkPublicSuffix(name);
}

function checkLabel(name: string, label: string, index: number): void {
  if (label === '') throw reject(name, 'has an empty label.');
  if (label.includes('*')) {
    // BR §3.2.2.6 / RFC 6125 §6.4.3: "*" only as the complete leftmost label.
    if (label === '*' && index === 0) return;
    throw reject(name, 'has a "*" outside the leftmost label; only "*.example.com" wildcards are allowed.');
  }
  // BR §7.1.2.7.12 (ballot SC12): underscores are not allowed in dNSName since 2019.
  if (label.includes('_')) throw reject(name, 'contains "_", which is not allowed in a host name.');
  if (!/^[a-z0-9-]+$/.test(label)) {
    throw reject(name, 'contains a character other than a letter, digit, hyphen or dot.');
  }
  if (label.length > MAX_LABEL_LENGTH) throw reject(name, `has a label longer than ${MAX_LABEL_LENGTH} characters.`);
  // RFC 952 / RFC 1123 §2.1 host name syntax.
  if (label.startsWith('-') || label.endsWith('-'))
    throw reject(name, 'has a label that starts or ends with a hyphen.');
  // BR §7.1.2.7.12: labels are P-Labels or Non-Reserved LDH Labels. "--" in the third and
  // fourth positions is reserved (RFC 5890 §2.3.1); only "xn--" is defined, and it must hold
  // valid punycode of a valid U-label.
  if (label.slice(2, 4) === '--') {
    if (!label.startsWith('xn--')) {
      throw reject(name, 'has a label with "--" in the third and fourth positions, which is reserved.');
    }
    if (!isValidALabel(label)) throw reject(name, `has an invalid punycode label "${clip(label, 20)}".`);
  }
}

/**
 * An `xn--` label is a valid A-label (BR "P-Label", RFC 5890 §2.3.2.1) if it decodes to a
 * U-label that encodes back to exactly the same label.
 */
function isValidALabel(label: string): boolean {
  const unicode = domainToUnicode(label);
  if (unicode === '' || unicode === label || unicode.includes('.')) return false;
  // RFC 5891 §4.2.3.1: a U-label does not start or end with a hyphen.
  if (unicode.startsWith('-') || unicode.endsWith('-')) return false;
  return domainToASCII(unicode) === label;
}

/**
 * BR §4.2.2 / §7.1.2.7: no Internal Names. A name must end in an ICANN public suffix (public
 * suffix list, through tldts) and lie inside a registrable domain, so `corp`, `foo.internal`,
 * `x.local`, `co.uk` and `*.com` are refused. Private-section suffixes (`github.io`) are
 * ordinary names under their ICANN suffix (`io`), so `foo.github.io` is accepted; a wildcard
 * directly over any public suffix, ICANN or private (`*.github.io`), is refused (BR §3.2.2.6).
 */
function checkPublicSuffix(name: string): void {
  const wildcard = isWildcard(name);
  const base = dcvBaseDomain(name);
  const icann = parseHostname(base, { extractHostname: false, allowPrivateDomains: false });
  if (icann.isIp === true) throw reject(name, 'is an IP address; only domain names are allowed.');
  if (icann.isIcann !== true || icann.publicSuffix === null) {
    throw reject(name, 'is not a public domain name (no public suffix).');
  }
  if (icann.domain === null) {
    throw reject(
      name,
      wildcard ? 'would cover a whole public suffix.' : 'is a public suffix, not a registrable domain name.',
    );
  }
  if (wildcard) {
    const withPrivate = parseHostname(base, { extractHostname: false, allowPrivateDomains: true });
    if (withPrivate.domain === null) throw reject(name, 'would cover a whole public suffix.');
  }
}
