// ACME dns-account-01 (draft-ietf-acme-dns-account-label, BR §3.2.2.4.21 "DNS Labeled with
// Account ID - ACME"): dns-01 with the TXT record under a label derived from the ACME account
// URL, so several ACME accounts (several clients, several CDNs) can validate one name at once
// without overwriting each other's `_acme-challenge` record.

import { createHash } from 'node:crypto';
import { BR_METHOD_DNS_ACCOUNT_01 } from './acme-methods.js';
import { failedAs, normalizeDomain, passed, type CheckResult } from './check-result.js';
import { isIpIdentifier } from './ip-identifier.js';
import { isDnsLookupError, type DnsResolver } from './ports.js';

/** The BR method the audit trail records for a dns-account-01 validation. */
export const DNS_ACCOUNT_01_BR_METHOD = BR_METHOD_DNS_ACCOUNT_01;

// RFC 4648 §6, in lower case as the draft requires.
const BASE32_ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';

/** RFC 4648 §6 base32, lower case, without "=" padding (exported for its test vectors). */
export function base32(bytes: Buffer): string {
  let out = '';
  let bits = 0;
  let acc = 0;
  for (const b of bytes) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += BASE32_ALPHABET[(acc >> (bits - 5)) & 31];
      bits -= 5;
    }
    acc &= (1 << bits) - 1;
  }
  // 10 input bytes are 80 bits, exactly 16 characters: no partial group, no "=" padding.
  if (bits > 0) out += BASE32_ALPHABET[(acc << (5 - bits)) & 31];
  return out;
}

/**
 * The account label: "_" || base32(SHA-256(account URL)[0:10]) (draft-ietf-acme-dns-account-label,
 * "Challenge Definition"), the URL being the account's Location from RFC 8555 §7.3, byte for byte.
 */
export function dnsAccountLabel(accountUrl: string): string {
  const digest = createHash('sha256').update(accountUrl, 'utf8').digest();
  return `_${base32(digest.subarray(0, 10))}`;
}

/**
 * Where the TXT record lives: `<label>._acme-challenge.<domain>`. A wildcard is validated at its
 * base name (RFC 8555 §7.1.3 and §8.4, which the draft follows); BR §3.2.2.4.21 is
 * wildcard-capable.
 */
export function dnsAccount01RecordName(domain: string, accountUrl: string): string {
  const name = normalizeDomain(domain);
  const base = name.startsWith('*.') ? name.slice(2) : name;
  return `${dnsAccountLabel(accountUrl)}._acme-challenge.${base}`;
}

/** RFC 8555 §8.4: the TXT value is base64url(SHA-256(key authorization)), unpadded. */
export function keyAuthorizationDigest(keyAuthorization: string): string {
  return createHash('sha256').update(keyAuthorization, 'utf8').digest('base64url');
}

export interface DnsAccount01CheckOptions {
  /** The dns identifier (a wildcard allowed). */
  domain: string;
  /** The account URL exactly as the server gave it out (Location of newAccount). */
  accountUrl: string;
  keyAuthorization: string;
}

export async function checkDnsAccount01(
  deps: { resolver: DnsResolver },
  opts: DnsAccount01CheckOptions,
): Promise<CheckResult> {
  // RFC 8738 §7: DNS challenges are not defined for IP identifiers.
  if (isIpIdentifier(opts.domain)) {
    return failedAs('unauthorized', 'dns-account-01 cannot validate an IP address; use http-01 or tls-alpn-01.', true);
  }
  const recordName = dnsAccount01RecordName(opts.domain, opts.accountUrl);
  const expected = keyAuthorizationDigest(opts.keyAuthorization);
  let values: string[];
  try {
    values = await deps.resolver.txt(recordName);
  } catch (e) {
    // SERVFAIL and timeouts may heal: the ACME `dns` problem, not a wrong answer.
    if (isDnsLookupError(e)) {
      return failedAs('dns', `DNS lookup for TXT at ${recordName} failed (${e.reason}); try again later.`);
    }
    throw e;
  }
  // NXDOMAIN and NODATA both arrive as [] (ports.ts): the record is simply not there.
  if (values.length === 0) return failedAs('unauthorized', `No TXT record found at ${recordName}.`);
  // RFC 8555 §8.4: any one record may hold the value (others may be left from other orders);
  // the comparison is exact, the value is base64url text with nothing around it.
  if (values.some((v) => v === expected)) return passed;
  return failedAs('unauthorized', `No TXT record at ${recordName} matches the expected value.`);
}
