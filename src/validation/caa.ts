// CAA checking (BR §3.2.2.8, RFC 8659): may certdesk issue for this name?

import type { AcmeChallengeType } from './acme-methods.js';
import { failedAs, normalizeDomain, passed, quoteForReason, type CheckResult } from './check-result.js';
import { isIpIdentifier } from './ip-identifier.js';
import { isDnsLookupError, type CaaRecord, type DnsResolver } from './ports.js';

/** RFC 8659 §4.1: the Issuer Critical Flag is bit 0 of the flags octet, i.e. 128. */
const ISSUER_CRITICAL = 0x80;

// Tags certdesk processes (BR §3.2.2.8: issue, issuewild, iodef). Anything else is unknown:
// ignored, unless marked critical (RFC 8659 §4.1).
const KNOWN_TAGS = new Set(['issue', 'issuewild', 'iodef']);

export interface CaaCheckOptions {
  name: string;
  /** certdesk's CAA identity (the issuer-domain-name customers write in `issue`). */
  issuerDomain: string;
  /**
   * RFC 8657 §3: the ACME account URL of the request. When given, an `issue`/`issuewild`
   * property naming certdesk with an `accounturi` parameter authorizes only that account.
   * Left out (the CAS path, which has no ACME account), `accounturi` is not consulted.
   * RFC 8657 §5.3 asks every issuance system behind one CAA identity to read the parameters
   * alike; until the CAS path does, a record restricting certdesk's ACME accounts does not
   * restrict CAS orders.
   */
  accountUri?: string;
  /**
   * RFC 8657 §4: the ACME challenge type that validated the name. When given, a property
   * naming certdesk with `validationmethods` authorizes only the methods it lists. Left out,
   * `validationmethods` is not consulted.
   */
  method?: AcmeChallengeType;
}

export async function checkCaa(deps: { resolver: DnsResolver }, opts: CaaCheckOptions): Promise<CheckResult> {
  // BR §3.2.2.8 requires CAA for each dNSName; an IP address (RFC 8738) has no CAA to look up,
  // and climbing its dotted form would query unrelated names ("2.0.192", "0.192", "192").
  if (isIpIdentifier(opts.name)) return passed;
  const name = normalizeDomain(opts.name);
  const wildcard = name.startsWith('*.');
  const fqdn = wildcard ? name.slice(2) : name;
  const issuer = normalizeDomain(opts.issuerDomain);

  let found: { at: string; records: CaaRecord[] } | undefined;
  try {
    found = await findRelevantRRset(deps.resolver, fqdn);
  } catch (e) {
    // BR 3.2.2.8, RFC 8659: a failed lookup (SERVFAIL included) never counts as permission.
    if (isDnsLookupError(e)) {
      return failedAs(
        'dns',
        `CAA lookup for ${fqdn} failed (${e.reason}); issuance is not permitted until it succeeds.`,
      );
    }
    throw e;
  }
  // RFC 8659 §3: no CAA record anywhere up the tree -> any CA may issue.
  if (found === undefined) return passed;
  const { at, records } = found;

  const tagOf = (r: CaaRecord): string => r.tag.toLowerCase(); // RFC 8659 §4.1: tags match case-insensitively
  const criticalUnknown = records.find((r) => (r.flags & ISSUER_CRITICAL) !== 0 && !KNOWN_TAGS.has(tagOf(r)));
  if (criticalUnknown !== undefined) {
    return failedAs(
      'caa',
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

  const ours = issuer === '' ? [] : relevant.filter((r) => issuerDomainOf(r.value) === issuer);
  if (ours.length === 0) {
    const listed = relevant.map((r) => `${tagOf(r)} "${quoteForReason(r.value, 80)}"`).join(', ');
    return failedAs('caa', `CAA record at ${at} does not authorize ${issuer} (${listed}).`, true);
  }
  // RFC 8659 §4.2: each property stands alone; one property whose parameters this request
  // meets is enough.
  const unmet = ours.map((r) => unmetParameter(r, opts));
  if (unmet.some((why) => why === undefined)) return passed;
  const listed = ours.map((r, i) => `${tagOf(r)} "${quoteForReason(r.value, 120)}": ${unmet[i]!}`).join('; ');
  return failedAs(
    'caa',
    `CAA record at ${at} authorizes ${issuer} only under conditions this request does not meet (${listed}).`,
    true,
  );
}

/**
 * Why a property naming certdesk does not authorize this request, or undefined if it does.
 * Only the RFC 8657 parameters are read, and only when the caller passes what they restrict;
 * every other parameter is ignored (RFC 8659 §4.2: their meaning is up to the issuer, and
 * certdesk defines none).
 */
function unmetParameter(record: CaaRecord, opts: CaaCheckOptions): string | undefined {
  const params = parametersOf(record.value);
  if (opts.accountUri !== undefined) {
    const uris = params.get('accounturi') ?? [];
    // RFC 8657 §3: "A property with multiple accounturi parameters is unsatisfiable."
    if (uris.length > 1) return 'more than one accounturi, which no account can satisfy';
    // RFC 8657 §3: the URI must identify the requesting account; it is compared as given.
    if (uris.length === 1 && uris[0] !== opts.accountUri) return 'accounturi names another ACME account';
  }
  if (opts.method !== undefined) {
    const lists = params.get('validationmethods') ?? [];
    // Two lists on one property: read as unsatisfiable, as RFC 8657 §3 rules for accounturi.
    if (lists.length > 1) return 'more than one validationmethods, which no request can satisfy';
    if (lists.length === 1) {
      // RFC 8657 §4: value = label *("," label), labels being ACME challenge type names.
      const methods = lists[0]!.split(',').map((m) => m.trim());
      if (!methods.includes(opts.method)) return `validationmethods does not list ${opts.method}`;
    }
  }
  return undefined;
}

/**
 * RFC 8659 §4.2: parameters = tag "=" value, separated by ";", with optional whitespace.
 * Tags are compared in lower case: a record written `AccountURI=` still restricts (the
 * safe reading). A parameter without "=" is malformed and skipped.
 */
function parametersOf(value: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const parts = value.split(';').slice(1);
  for (const part of parts) {
    const eq = part.indexOf('=');
    if (eq === -1) continue;
    const tag = part.slice(0, eq).trim().toLowerCase();
    const v = part.slice(eq + 1).trim();
    if (tag === '') continue;
    out.set(tag, [...(out.get(tag) ?? []), v]);
  }
  return out;
}

/**
 * RFC 8659 §3: starting at the name and climbing one label at a time (up to, not including,
 * the root), the first non-empty CAA RRset is the Relevant RRset. The resolver follows
 * CNAMEs at each step. Returns undefined when every level is empty.
 *
 * Every level is asked at once and the answers read from the name up, as Boulder's VA does
 * (`parallelCAALookup`): the walk costs one round trip instead of one per label, and the
 * resolver sends the queries together. The outcome is the sequential walk's: a level's
 * failure counts only when no level below it has records.
 */
async function findRelevantRRset(
  resolver: DnsResolver,
  fqdn: string,
): Promise<{ at: string; records: CaaRecord[] } | undefined> {
  const labels = fqdn.split('.').filter((l) => l !== '');
  const levels = labels.map((_, i) => labels.slice(i).join('.'));
  const answers = await Promise.allSettled(levels.map((at) => resolver.caa(at)));
  for (let i = 0; i < levels.length; i++) {
    const answer = answers[i]!;
    if (answer.status === 'rejected') throw answer.reason;
    if (answer.value.length > 0) return { at: levels[i]!, records: answer.value };
  }
  return undefined;
}

/**
 * RFC 8659 §4.2: issue-value = [issuer-domain-name] *(";" parameter). An empty
 * issuer-domain-name (a value of "" or ";") authorizes nobody, which the empty string here
 * achieves: it never equals a real issuer. Parameters are read by parametersOf().
 */
function issuerDomainOf(value: string): string {
  const semicolon = value.indexOf(';');
  return normalizeDomain(semicolon === -1 ? value : value.slice(0, semicolon));
}
