// ACME dns-01 (RFC 8555 §8.4): a TXT record at _acme-challenge.<name> (for *.name: at the base
// name, RFC 8555 §7.1.3) holding base64url(SHA-256(key authorization)). The resolver follows
// CNAMEs as any recursive resolver does.
import { createHash } from 'node:crypto';
import { normalizeDomain } from './check-result.js';
import { isDnsLookupError, type DnsResolver } from './ports.js';
import { acmeFailed, type AcmeCheckResult } from './acme-http-01.js';

export const ACME_DNS_LABEL = '_acme-challenge';

/** Where the TXT record goes: `_acme-challenge.<name>`, the wildcard label removed. */
export function acmeDnsRecordName(name: string): string {
  const n = normalizeDomain(name);
  return `${ACME_DNS_LABEL}.${n.startsWith('*.') ? n.slice(2) : n}`;
}

/** RFC 8555 §8.4: the TXT value is base64url(SHA-256(keyAuthorization)), no padding. */
export function dns01TxtValue(keyAuthorization: string): string {
  return createHash('sha256').update(keyAuthorization).digest('base64url');
}

export async function checkAcmeDns01(
  deps: { resolver: DnsResolver },
  opts: { name: string; keyAuthorization: string },
): Promise<AcmeCheckResult> {
  const record = acmeDnsRecordName(opts.name);
  const expected = dns01TxtValue(opts.keyAuthorization);
  let values: string[];
  try {
    values = await deps.resolver.txt(record);
  } catch (e) {
    if (isDnsLookupError(e)) return acmeFailed('dns', `DNS lookup for TXT at ${record} failed (${e.reason}).`);
    throw e;
  }
  if (values.length === 0) return acmeFailed('unauthorized', `No TXT record found at ${record}.`);
  if (values.some((v) => v === expected)) return { ok: true };
  return acmeFailed('unauthorized', `No TXT record at ${record} matches the expected key authorization digest.`);
}
