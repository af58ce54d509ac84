// How often DescribeCertificateState may ask for a validation attempt now (the "nudge"). In
// the CAS API the customer has no "ready" call (ACME has one: the POST to the challenge,
// RFC 8555 §7.5.1); a DescribeCertificateState after publishing the record is that signal,
// so the first nudges after it must run at once. Each attempt sends DNS queries and HTTP GETs
// to the order's names, which the customer chooses, so without a bound a flood of
// DescribeCertificateState (7,000 calls in 10 s) made certdesk send thousands of queries at
// whoever those names point to (docs/decisions/0022-validation-nudge-schedule.md).
//
// Per order, a schedule: the first nudge runs at once, the next one `firstGapMs` later, each
// gap doubling up to `orderIntervalMs` (50 ms, 100 ms, 200 ms ... 3 s): a customer who
// publishes and asks again is served within tens of ms, and a flood makes a handful of
// attempts, then one per interval. One asked for inside a gap is granted once, at its end
// (a record published just after a nudge is still looked at soon); every other call is
// answered from the last attempt's result. Per account: an order's first `freePerOrder`
// nudges are its own (each order took a unit of a plan), the ones after draw on
// `perAccountPerMinute` shared by the account's orders, so the budget scales with the
// orders awaiting validation instead of capping the account's throughput. The state lives
// in this process: with several API processes the bound is per process, and the worker's
// own backoff (worker/job-protocol.ts) is unaffected.
import type { ValidationNudges } from '../orders/deps.js';

export interface NudgeLimits {
  /** The gap after an order's first nudge; it doubles per nudge up to orderIntervalMs. */
  firstGapMs: number;
  /** Longest gap between two nudges of one order. */
  orderIntervalMs: number;
  /** Nudges of an order not counted against its account's budget. */
  freePerOrder: number;
  /** Nudges per account and minute, beyond each order's free ones. */
  perAccountPerMinute: number;
}

/** The schedule's first gap (the customer's second DescribeCertificateState, after publishing). */
export const NUDGE_FIRST_GAP_MS = 50;
/** An order's free nudges: one on reading the record, one after publishing it, two to spare. */
export const NUDGE_FREE_PER_ORDER = 4;

const MINUTE_MS = 60_000;
/** Entries kept before stale ones are swept. */
const SWEEP_AT = 10_000;
/** An order's entry is kept this long after its last nudge, so waiting does not reset its schedule. */
const ORDER_MEMORY_MS = 10 * MINUTE_MS;

/** The gap after an order's `count`-th nudge (count >= 1). */
export function nudgeGap(limits: Pick<NudgeLimits, 'firstGapMs' | 'orderIntervalMs'>, count: number): number {
  return Math.min(limits.orderIntervalMs, limits.firstGapMs * 2 ** Math.min(count - 1, 30));
}

export function createValidationNudges(limits: NudgeLimits): ValidationNudges {
  /** Per order: when its last granted nudge runs (may be in the future: a deferred one), and how many it had. */
  const orders = new Map<number, { lastRun: number; count: number }>();
  /** Per account: the minute window's start and its count. */
  const accounts = new Map<number, { windowStart: number; count: number }>();

  function sweep(now: number): void {
    if (orders.size > SWEEP_AT) for (const [id, o] of orders) if (o.lastRun + ORDER_MEMORY_MS <= now) orders.delete(id);
    if (accounts.size > SWEEP_AT)
      for (const [id, w] of accounts) if (w.windowStart + MINUTE_MS <= now) accounts.delete(id);
  }

  return {
    grant(accountId, orderId, now) {
      const o = orders.get(orderId);
      if (o !== undefined && o.lastRun > now) return undefined; // a deferred nudge is pending
      const runAt = o === undefined ? now : Math.max(now, o.lastRun + nudgeGap(limits, o.count));
      const count = o?.count ?? 0;
      if (count >= limits.freePerOrder) {
        let w = accounts.get(accountId);
        if (!w || w.windowStart + MINUTE_MS <= now) {
          w = { windowStart: now, count: 0 };
          accounts.set(accountId, w);
        }
        if (w.count >= limits.perAccountPerMinute) return undefined;
        w.count += 1;
      }
      orders.set(orderId, { lastRun: runAt, count: count + 1 });
      sweep(now);
      return runAt;
    },
  };
}
