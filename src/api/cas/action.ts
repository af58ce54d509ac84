// A CAS action: its declared parameters and one call into the core (principle 5).
import type { AccountService } from '../../accounts/service.js';
import type { OrderEngine } from '../../orders/engine.js';
import type { Clock, Logger } from '../../domain/ports.js';
import type { AdmissionView } from '../../store/views.js';
import type { DecodedParams, ParamSpecs } from './params.js';
import type { RateLimiter } from './throttle.js';

/** What the CAS front end holds: bound use cases, and the store only to admit requests (no other write). */
export interface CasDeps {
  accounts: AccountService;
  orders: OrderEngine;
  /** Each authenticated request's nonce and rate-counter hit (store/repos/admissions.ts). */
  admissions: AdmissionView;
  /**
   * This process's per-account QPS limiter (throttle.ts), built by src/app with the same
   * store: its in-memory slots are this gateway's own, the counts shared through the store.
   */
  rateLimiter: RateLimiter;
  clock: Clock;
  logger: Logger;
  /** Accepted clock difference for x-acs-date / Timestamp (Alibaba Cloud API reference, V3 request signature (ACS3-HMAC-SHA256) step 4: 15 minutes). */
  timestampWindowMs: number;
  /** Called once per finished request (src/app/metrics.ts); `action` is the name asked for, or 'unknown'. */
  observe?: (action: string, code: string, status: number, seconds: number) => void;
}

export interface CallContext {
  requestId: string;
  accountId: number;
  accessKeyId: string;
  deps: CasDeps;
  /** Every decoded business parameter, for the few actions with list-shaped ones (Tags.N.*). */
  raw: ReadonlyMap<string, string>;
  /**
   * Settles once the store has admitted the request (its nonce is new, the account is under
   * the rate limit); rejects if it refused it. Already settled for writing actions; a `reads`
   * action that writes after all (DescribeCertificateState's validation nudge) awaits it first.
   */
  admitted: Promise<void>;
}

export type ActionResult = Record<string, unknown>;

export interface CasAction<S extends ParamSpecs = ParamSpecs> {
  params: S;
  /**
   * `true` for actions that only read: the gateway runs them beside the nonce and rate-limit
   * writes instead of after them (one store round trip less on the busiest paths) and, if
   * the request is refused there, answers with that error and drops what they read. Their
   * nonces are committed without waiting for the disk (store/repos/admissions.ts): a write
   * they make must be harmless to repeat, as the validation nudge is.
   */
  reads?: boolean;
  run(ctx: CallContext, params: DecodedParams<S>): Promise<ActionResult>;
}

export function defineAction<S extends ParamSpecs>(action: CasAction<S>): CasAction<S> {
  return action;
}
