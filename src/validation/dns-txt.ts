// DNS TXT domain-control validation: BR §3.2.2.4.7 "DNS Change", in the shape CAS exposes
// (CAS API reference: DescribeCertificateState domain verification fields: RecordType TXT, RecordDomain `_dnsauth`, RecordValue).

import { failed, normalizeDomain, passed, type CheckResult } from './check-result.js';
import { isDnsLookupError, type DnsResolver } from './ports.js';

/** The label CAS returns as RecordDomain (CAS API reference: DescribeCertificateState domain verification fields). */
export const DNS_RECORD_LABEL = '_dnsauth';

/**
 * Where the TXT record for `domain` lives: `_dnsauth.<domain>`. A wildcard is validated at its
 * base domain (`*.example.com` -> `_dnsauth.example.com`), DigiCert's DCV convention
 * (CAS API reference: DescribeCertificateState domain verification fields); BR §3.2.2.4.7 is wildcard-capable.
 */
export function dnsRecordName(domain: string): string {
  const name = normalizeDomain(domain);
  return `${DNS_RECORD_LABEL}.${name.startsWith('*.') ? name.slice(2) : name}`;
}

export async function checkDnsTxt(
  deps: { resolver: DnsResolver },
  opts: { domain: string; expected: string },
): Promise<CheckResult> {
  const recordName = dnsRecordName(opts.domain);
  const expected = opts.expected.trim();
  let values: string[];
  try {
    values = await deps.resolver.txt(recordName);
  } catch (e) {
    if (isDnsLookupError(e))
      return failed(`DNS lookup for TXT at ${recordName} failed (${e.reason}); try again later.`);
    throw e;
  }
  if (values.length === 0) return failed(`No TXT record found at ${recordName}.`);
  // Exact match after trimming: DNS consoles often add stray spaces, never other changes.
  if (expected !== '' && values.some((v) => v.trim() === expected)) return passed;
  return failed(`No TXT record at ${recordName} matches the expected value.`);
}
