// The production DnsResolver: node's c-ares resolver, optionally pointed at one server.
// Every answer comes from DNS itself, never from /etc/hosts (dns.lookup would consult it),
// because validation must see what the public DNS says.

import { Resolver } from 'node:dns/promises';
import { DnsLookupError, type CaaRecord, type DnsResolver } from './ports.js';

export interface DnsResolverOptions {
  /** 'host:port' or '[v6]:port' of the one server to ask; default: the system's servers. */
  server?: string;
  /** Initial per-try timeout in ms (c-ares doubles it on each retry). Default 5000. */
  timeoutMs?: number;
  /** Attempts per server before giving up. Default 3. */
  tries?: number;
}

// c-ares error codes meaning "there is nothing there", as opposed to "we could not find out".
const EMPTY_ANSWER_CODES = new Set(['ENOTFOUND', 'ENODATA']);

// Short, customer-safe names for the failures worth telling apart.
const FAILURE_REASONS: Record<string, string> = {
  ESERVFAIL: 'SERVFAIL',
  ETIMEOUT: 'timeout',
  ECONNREFUSED: 'connection refused',
  EREFUSED: 'REFUSED',
  EBADRESP: 'malformed answer',
  EFORMERR: 'FORMERR',
  ENOTIMP: 'NOTIMP',
  EBADNAME: 'invalid name',
};

export function createDnsResolver(opts: DnsResolverOptions = {}): DnsResolver {
  const resolver = new Resolver({ timeout: opts.timeoutMs ?? 5000, tries: opts.tries ?? 3 });
  if (opts.server !== undefined) resolver.setServers([opts.server]);

  async function orEmpty<T>(name: string, lookup: () => Promise<T[]>): Promise<T[]> {
    try {
      return await lookup();
    } catch (e) {
      const code = (e as { code?: unknown }).code;
      if (typeof code === 'string' && EMPTY_ANSWER_CODES.has(code)) return [];
      const reason = typeof code === 'string' ? (FAILURE_REASONS[code] ?? `lookup failed (${code})`) : 'lookup failed';
      throw new DnsLookupError(name, reason, { cause: e });
    }
  }

  return {
    async txt(name) {
      const records = await orEmpty(name, () => resolver.resolveTxt(name));
      // A TXT record is a list of character-strings of at most 255 octets; long values are
      // split across several, and the record's value is their concatenation (RFC 7208 §3.3).
      return records.map((chunks) => chunks.join(''));
    },

    async caa(name) {
      // Known c-ares (1.34) limitation: a CAA record with a zero-length value, legal under
      // RFC 8659 §4.2, fails the whole lookup as EBADRESP. That fails closed (no issuance).
      const records = await orEmpty(name, () => resolver.resolveCaa(name));
      return records.map(toCaaRecord);
    },

    async addresses(name) {
      const [v4, v6] = await Promise.all([
        orEmpty(name, () => resolver.resolve4(name)),
        orEmpty(name, () => resolver.resolve6(name)),
      ]);
      return [...v4, ...v6];
    },
  };
}

// node reports a CAA record as `{ critical: <flags octet>, <tag>: <value> }`, e.g.
// `{ critical: 0, issue: 'letsencrypt.org' }`; turn it back into the wire triple.
function toCaaRecord(record: object): CaaRecord {
  const fields = record as Record<string, unknown>;
  const flags = typeof fields.critical === 'number' ? fields.critical : 0;
  const tag = Object.keys(fields).find((k) => k !== 'critical') ?? '';
  const value = fields[tag];
  return { flags, tag, value: typeof value === 'string' ? value : '' };
}
