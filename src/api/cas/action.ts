// A CAS action: its declared parameters and one call into the core (principle 5).
import type { AccountDeps } from '../../accounts/deps.js';
import type { OrderDeps } from '../../orders/deps.js';
import type { Logger } from '../../domain/ports.js';
import type { DecodedParams, ParamSpecs } from './params.js';

export interface CasDeps {
  accounts: AccountDeps;
  orders: OrderDeps;
  logger: Logger;
  /** Accepted clock difference for x-acs-date / Timestamp (CAS doc §3.1 step 4: 15 minutes). */
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
}

export type ActionResult = Record<string, unknown>;

export interface CasAction<S extends ParamSpecs = ParamSpecs> {
  params: S;
  run(ctx: CallContext, params: DecodedParams<S>): Promise<ActionResult>;
}

export function defineAction<S extends ParamSpecs>(action: CasAction<S>): CasAction<S> {
  return action;
}
