// The console's live check: what certdesk's own resolver and fetcher see for an order's
// names right now (TXT values, CAA records, the HTTP file's status and first bytes), and when
// the next automatic attempt is. It reads only: the worker's run-validation.ts decides.
import { CertError } from '../domain/errors.js';
import {
  checkCaa,
  checkDnsTxt,
  checkHttpFile,
  dnsRecordName,
  FILE_VALIDATION_PATH,
  isPublicAddress,
} from '../validation/index.js';
import { isDnsLookupError, isHttpFetchError } from '../validation/ports.js';
import type { UseCaseDeps } from './deps.js';
import { JOB_VALIDATE } from './job-kinds.js';

export interface LiveNameCheck {
  domain: string;
  /** DNS: where the TXT record is looked up, and the values found (or the lookup's failure). */
  txtName?: string;
  txtValues?: string[];
  /** FILE: the URL fetched, the answer's status and first 200 characters (or why none came). */
  url?: string;
  httpStatus?: number;
  bodyPrefix?: string;
  /** The CAA records found at the name or its closest ancestor (RFC 8659 §3). */
  caa: string[];
  lookupError?: string;
  /** What the worker's check would conclude now. */
  passes: boolean;
  reason?: string;
}

export interface LiveCheck {
  names: LiveNameCheck[];
  nextAttemptAt: number | undefined;
}

const LIVE_TIMEOUT_MS = 5_000;

async function caaAt(deps: UseCaseDeps<'validation', never>, domain: string): Promise<string[]> {
  let name = domain.replace(/^\*\./, '');
  // RFC 8659 §3: the relevant RRset is the closest one up the tree.
  for (;;) {
    const records = await deps.validation.resolver.caa(name);
    if (records.length > 0) return records.map((r) => `${name}: ${r.flags} ${r.tag} "${r.value}"`);
    const dot = name.indexOf('.');
    if (dot < 0) return [];
    name = name.slice(dot + 1);
  }
}

export async function liveCheck(
  deps: UseCaseDeps<'validation', never, 'orders' | 'authorizations' | 'jobs'>,
  accountId: number,
  orderId: number,
): Promise<LiveCheck> {
  const { repos } = deps.store;
  const order = await repos.orders.get(accountId, orderId);
  if (!order) throw new CertError('not_found', `The order ${orderId} does not exist.`);
  const auths = await repos.authorizations.forOrder(orderId);
  const v = deps.validation;
  const names = await Promise.all(
    auths.map(async (a): Promise<LiveNameCheck> => {
      const out: LiveNameCheck = { domain: a.domain, caa: [], passes: false };
      try {
        out.caa = await caaAt(deps, a.domain);
      } catch (e) {
        if (!isDnsLookupError(e)) throw e;
        out.lookupError = e.message;
      }
      if (order.validateType === 'DNS') {
        out.txtName = dnsRecordName(a.domain);
        try {
          out.txtValues = await v.resolver.txt(out.txtName);
        } catch (e) {
          if (!isDnsLookupError(e)) throw e;
          out.lookupError = e.message;
        }
        const r = await checkDnsTxt(v, { domain: a.domain, expected: a.token });
        out.passes = r.ok;
        if (!r.ok) out.reason = r.reason;
      } else {
        out.url = `http://${a.domain}${v.httpPort === 80 ? '' : `:${v.httpPort}`}${FILE_VALIDATION_PATH}`;
        try {
          const addresses = await v.resolver.addresses(a.domain);
          // Never a private address unless configured (tests): the body prefix is shown to the customer.
          const address = addresses.find((x) => v.allowPrivateTargets || isPublicAddress(x));
          if (address !== undefined) {
            const res = await v.fetcher.get({
              address,
              port: v.httpPort,
              hostHeader: v.httpPort === 80 ? a.domain : `${a.domain}:${v.httpPort}`,
              path: FILE_VALIDATION_PATH,
              timeoutMs: LIVE_TIMEOUT_MS,
              maxBytes: 4096,
            });
            out.httpStatus = res.status;
            out.bodyPrefix = res.body.toString('utf8').slice(0, 200);
          }
        } catch (e) {
          if (!isDnsLookupError(e) && !isHttpFetchError(e)) throw e;
          out.lookupError = e.message;
        }
        const r = await checkHttpFile(v, {
          domain: a.domain,
          expected: a.token,
          port: v.httpPort,
          allowPrivate: v.allowPrivateTargets,
          timeoutMs: LIVE_TIMEOUT_MS,
        });
        out.passes = r.ok;
        if (!r.ok) out.reason = r.reason;
      }
      if (out.passes) {
        const caa = await checkCaa(v, { name: a.domain, issuerDomain: v.caaIdentity });
        if (!caa.ok) {
          out.passes = false;
          out.reason = caa.reason;
        }
      }
      return out;
    }),
  );
  const job = await repos.jobs.find(JOB_VALIDATE, orderId);
  return { names, nextAttemptAt: job ? Number(job.run_at) : undefined };
}
