// Per-account QPS limits per action (issue 5; the limits: src/policy/rate-limits.ts, CAS doc
// §1). A fixed window counter per (window, account, action) lives in the store, so every
// process sharing the database counts against the same limit. Over the limit the request is
// refused with Throttling.User and x-acs-retry-after: the time to the next window, which the
// SDK turns into ThrottlingError.retryAfter (CAS doc §4).
//
// This runs on every authenticated request, so it keeps the store work to one upsert, and
// none once the window is known to be spent: a window's count only grows, so after the store
// (or this process's own count) says the limit is reached, every further request of that
// (account, action) in the window is refused from memory.
import { CertError } from '../../domain/errors.js';
import type { Clock, Logger } from '../../domain/ports.js';
import { CAS_RATE_LIMITS, RATE_WINDOW_MS, rateLimitFor, type RateLimitTable } from '../../policy/rate-limits.js';
import type { Store } from '../../store/store.js';
import type { CasDeps } from './action.js';

/** Windows this old are purged; a few windows of slack for clock skew between processes. */
const KEEP_WINDOWS = 5;
/** One purge per process per second at most: a cheap DELETE, never on the critical path. */
const PURGE_EVERY_MS = 1000;

export interface RateLimiter {
  /** Counts one request; throws CertError('throttled') when the account is over the action's limit. */
  check(accountId: number, action: string): Promise<void>;
}

export interface RateLimiterOptions {
  store: Store;
  clock: Clock;
  logger: Logger;
  limits?: RateLimitTable;
}

/** What this process knows of one (account, action) in the current window. */
interface Slot {
  windowStart: number;
  /** Requests this process has counted in the store in this window. */
  sent: number;
  /** The window's limit is known to be reached: refuse without asking the store. */
  spent: boolean;
}

function throttled(windowStart: number, now: number): CertError {
  // At least 1 ms: the SDK keeps retryAfter only when the header is a positive integer of ms.
  const waitMs = Math.max(windowStart + RATE_WINDOW_MS - now, 1);
  return new CertError('throttled', 'Request was denied due to user flow control.', { retryAfterSeconds: waitMs / 1000 });
}

export function createRateLimiter(opts: RateLimiterOptions): RateLimiter {
  const { store, clock, logger } = opts;
  const limits = opts.limits ?? CAS_RATE_LIMITS;
  const slots = new Map<string, Slot>();
  let lastPurge = -Infinity;
  let purging = false;

  function purgeOld(windowStart: number, now: number): void {
    // abs(): a clock set back (tests move theirs) must not stop the purge for good.
    if (purging || Math.abs(now - lastPurge) < PURGE_EVERY_MS) return;
    lastPurge = now;
    purging = true;
    for (const [key, slot] of slots) if (slot.windowStart !== windowStart) slots.delete(key);
    store.repos.rateCounters
      .purgeBefore(windowStart - KEEP_WINDOWS * RATE_WINDOW_MS)
      .catch((e) => logger.log('warn', 'rate counter purge failed', { error: String(e) }))
      .finally(() => {
        purging = false;
      });
  }

  return {
    async check(accountId, action) {
      const now = clock.now();
      const windowStart = now - (now % RATE_WINDOW_MS);
      purgeOld(windowStart, now);
      const limit = rateLimitFor(limits, action);
      const key = `${accountId}/${action}`;
      let slot = slots.get(key);
      if (!slot || slot.windowStart !== windowStart) {
        slot = { windowStart, sent: 0, spent: false };
        slots.set(key, slot);
      }
      // Each request this process sent is in the store's count, so `sent >= limit` already
      // proves the window spent, even before the store's answers come back.
      if (slot.spent || slot.sent >= limit) throw throttled(windowStart, now);
      slot.sent += 1;
      let count: number;
      try {
        count = await store.repos.rateCounters.hit(accountId, action, windowStart);
      } catch (e) {
        slot.sent -= 1;
        throw e;
      }
      if (count >= limit) slot.spent = true;
      if (count > limit) throw throttled(windowStart, clock.now());
    },
  };
}

// One limiter per gateway (its CasDeps), built on first use from the deps' own store, clock
// and logger: each process (each API server in a test) keeps its own in-memory slots while
// the counts themselves are shared through the store.
const limiters = new WeakMap<CasDeps, RateLimiter>();

/** The gateway's throttle step: after authentication, before any parameter is decoded. */
export async function checkRateLimit(deps: CasDeps, accountId: number, action: string): Promise<void> {
  let limiter = limiters.get(deps);
  if (!limiter) {
    limiter = createRateLimiter({ store: deps.accounts.store, clock: deps.accounts.clock, logger: deps.logger });
    limiters.set(deps, limiter);
  }
  await limiter.check(accountId, action);
}
