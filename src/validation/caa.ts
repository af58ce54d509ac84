// CAA checking (BR §3.2.2.8, RFC 8659; compliance.md §3): may certdesk issue for this name?

import { failed, normalizeDomain, passed, quoteForReason, type CheckResult } from './check-result.js';
import { isDnsLookupError, type CaaRecord, type DnsResolver } from './ports.js';

/** RFC 8659 §4.1: the Issuer Critical Flag is bit 0 of the flags octet, i.e. 128. */
const ISSUER_CRITICAL = 0x80;

// Tags certdesk processes (BR §3.2.2.8: issue, issuewild, iodef). Anything else is unknown:
// ignored, unless marked critical (RFC 8659 §4.1).
const KNOWN_TAGS = new Set(['issue', 'issuewild', 'iodef']);

export async function checkCaa(
  deps: { resolver: DnsResolver },
  opts: { name: string; issuerDomain: string },
): Promise<CheckResult> {
  const name = normalizeDomain(opts.name);
  const wildcard = name.startsWith('*.');
  const fqdn = wildcard ? name.slice(2) : name;
  const issuer = normalizeDomain(opts.issuerDomain);

  let found: { at: string; records: CaaRecord[] } | undefined;
  try {
    found = await findRelevantRRset(deps.resolver, fqdn);
  } catch (e) {
    // compliance.md §3: a failed lookup (SERVFAIL included) never counts as permission.
    if (isDnsLookupError(e)) {
      return failed(`CAA lookup for ${fqdn} failed (${e.reason}); issuance is not permitted until it succeeds.`);
    }
    throw e;
  }
  // RFC 8659 §3: no CAA record anywhere up the tree -> any CA may issue.
  if (found === undefined) return passed;
  const { at, records } = found;

  const tagOf = (r: CaaRecord): string => r.tag.toLowerCase(); // RFC 8659 §4.1: tags match case-insensitively
  const criticalUnknown = records.find((r) => (r.flags & ISSUER_CRITICAL) !== 0 && !KNOWN_TAGS.has(tagOf(r)));
  if (criticalUnknown !== undefined) {
    return failed(
      `CAA record at ${at} has a critical property "${quoteForReason(criticalUnknown.tag, 40)}" that certdesk does not support, so issuance is forbidden.`,
      true,
    );
  }

  // RFC 8659 §4.3: for a wildcard, issuewild properties (if any) replace issue ones; for any
  // other name issuewild is ignored.
  const wildRecords = records.filter((r) => tagOf(r) === 'issuewild');
  const useWild = wildcard && wildRecords.length > 0;
  const relevant = useWild ? wildRecords : records.filter((r) => tagOf(r) === 'issue');
  // RFC 8659 §4: a set without issue/issuewild properties (only iodef, say) restricts nothing.
  if (relevant.length === 0) return passed;

  if (issuer !== '' && relevant.some((r) => issuerDomainOf(r.value) === issuer)) return passed;
  const listed = relevant.map((r) => `${tagOf(r)} "${quoteForReason(r.value, 80)}"`).join(', ');
  return failed(`CAA record at ${at} does not authorize ${issuer} (${listed}).`, true);
}

/**
 * RFC 8659 §3: starting at the name and climbing one label at a time (up to, not including,
 * the root), the first non-empty CAA RRset is the Relevant RRset. The resolver follows
 * CNAMEs at each step. Returns undefined when every level is empty.
 */
async function findRelevantRRset(
  resolver: DnsResolver,
  fqdn: string,
): Promise<{ at: string; records: CaaRecord[] } | undefined> {
  const labels = fqdn.split('.').filter((l) => l !== '');
  for (let i = 0; i < labels.length; i++) {
    const at = labels.slice(i).join('.');
    const records = await resolver.caa(at);
    if (records.length > 0) return { at, records };
  }
  return undefined;
}

/**
 * RFC 8659 §4.2: issue-value = [issuer-domain-name] *(";" parameter). An empty
 * issuer-domain-name (a value of "" or ";") authorizes nobody, which the empty string here
 * achieves: it never equals a real issuer. Parameters (e.g. RFC 8657 accounturi) are ignored.
 */
function issuerDomainOf(value: string): string {
  const semicolon = value.indexOf(';');
  return normalizeDomain(semicolon === -1 ? value : value.slice(0, semicolon));
}
