// Per-account QPS limits per action (the limits: src/policy/rate-limits.ts, CAS API reference,
// §1). A fixed window counter per (window, account, action) lives in the store, so every
// process sharing the database counts against the same limit. Over the limit the request is
// refused with Throttling.User and x-acs-retry-after: the time to the next window, which the
// SDK turns into ThrottlingError.retryAfter (Alibaba Cloud API reference, common response and error format).
//
// This runs on every authenticated request, so it keeps the store work to one upsert, and
// none once the window is known to be spent: a window's count only grows, so after the store
// (or this process's own count) says the limit is reached, every further request of that
// (account, action) in the window is refused from memory.
import { CertError } from '../../domain/errors.js';
import type { Clock, Logger } from '../../domain/ports.js';
import { CAS_RATE_LIMITS, RATE_WINDOW_MS, rateLimitFor, type RateLimitTable } from '../../policy/rate-limits.js';
import type { AdmissionView } from '../../store/views.js';
import type { RateHit } from '../../store/repos/rate-counters.js';

/** Windows this old are purged; a few windows of slack for clock skew between processes. */
const KEEP_WINDOWS = 5;
/** One purge per process per second at most: a cheap DELETE, never on the critical path. */
const PURGE_EVERY_MS = 1000;

/**
 * One request's passage through the limiter: what it adds to the store's counter, and the
 * verdict once the store has counted it. The gateway sends the hit with the request's nonce
 * in one store statement (store/repos/admissions.ts).
 */
export interface RateTicket {
  /** The counter this request adds one to; absent when memory already refuses the request. */
  hit?: RateHit;
  /** After the store counted `hit` (`count`: the window's count with this request): the refusal, if over the limit. */
  settle(count: number | undefined): CertError | undefined;
  /** The store write failed: the request was not counted. */
  cancel(): void;
}

export interface RateLimiter {
  /** Starts counting one request; no store work (see RateTicket). */
  begin(accountId: number, action: string): RateTicket;
  /** Counts one request on its own; throws CertError('throttled') when the account is over the action's limit. */
  check(accountId: number, action: string): Promise<void>;
}

export interface RateLimiterOptions {
  store: AdmissionView;
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
  return new CertError('throttled', 'Request was denied due to user flow control.', {
    retryAfterSeconds: waitMs / 1000,
  });
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

  function begin(accountId: number, action: string): RateTicket {
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
    if (slot.spent || slot.sent >= limit) {
      return { settle: () => throttled(windowStart, now), cancel() {} };
    }
    const counted = slot;
    counted.sent += 1;
    return {
      hit: { accountId, action, windowStart },
      settle(count) {
        if (count === undefined) throw new Error('rate limiter: a counted request settled without its count');
        if (count >= limit) counted.spent = true;
        return count > limit ? throttled(windowStart, clock.now()) : undefined;
      },
      cancel() {
        counted.sent -= 1;
      },
    };
  }

  return {
    begin,
    async check(accountId, action) {
      const ticket = begin(accountId, action);
      let count: number | undefined;
      if (ticket.hit) {
        try {
          count = await store.repos.rateCounters.hit(accountId, action, ticket.hit.windowStart);
        } catch (e) {
          ticket.cancel();
          throw e;
        }
      }
      const refused = ticket.settle(count);
      if (refused) throw refused;
    },
  };
}
