// How often DescribeCertificateState may ask for a validation attempt now (the "nudge"). In
// the CAS API the customer has no "ready" call (ACME has one: the POST to the challenge,
// RFC 8555 §7.5.1); a DescribeCertificateState after publishing the record is that signal,
// so the nudge after it must run at once. Each attempt sends DNS queries and HTTP GETs to
// the order's names, which the customer chooses, so without a bound a flood of
// DescribeCertificateState (7,000 calls in 10 s) made certdesk send thousands of queries at
// whoever those names point to (docs/decisions/0025-validation-nudges-per-attempt.md).
//
// What is counted is attempts, not calls. A nudge granted and not yet attempted is pending:
// every call meanwhile is answered from the last result and costs nothing (the attempt still
// to come looks at the record as it is then). Once the attempt has started (the worker in
// this process says so, `attempted`), the order's next nudge is granted by a schedule: the
// first two points at once (the call that shows the record, the one after publishing it), then
// gaps of `firstGapMs` doubling up to `orderIntervalMs` (50 ms, 100 ms ... 3 s). The first point
// grants no attempt (docs/decisions/0030-no-nudge-on-first-read.md): the call that first shows
// the record is one the customer made before seeing it, so nothing it could ask to check is
// published yet; it only takes its place in the schedule. One asked for
// inside a gap is granted once, at its end; the calls after it are answered from the last
// result. A pending nudge lasts at most an interval (an attempt by another process's worker
// is not seen here). Per account: an order's first `freePerOrder` nudges are its own (each order took a
// unit of a plan), the ones after draw on a token bucket of `perAccountPerMinute` tokens
// refilled at that rate, shared by the account's orders: a burst of new orders is never
// capped by it, a flood on old ones is. Without a worker in this process (--role api),
// attempts are not seen here and a pending nudge ends with its gap. The state lives in this
// process: with several API processes the bound is per process, and the worker's own backoff
// (worker/job-protocol.ts) is unaffected.
import type { ValidationNudges } from '../orders/deps.js';

export interface NudgeLimits {
  /** The gap after an order's first nudge beyond the immediate ones; it doubles per nudge up to orderIntervalMs. */
  firstGapMs: number;
  /** Longest gap between two nudges of one order. */
  orderIntervalMs: number;
  /** Nudges of an order not counted against its account's budget. */
  freePerOrder: number;
  /** The account's bucket: its size, and the tokens it gains per minute. */
  perAccountPerMinute: number;
  /** Whether this process runs the attempts (and so calls `attempted`): a pending nudge then lasts until its attempt. */
  attemptsSeen: boolean;
}

/** The schedule's first gap after the immediate nudges. */
export const NUDGE_FIRST_GAP_MS = 50;
/** Schedule points of an order with no gap: reading the record (no attempt), and asking again once it is published. */
export const NUDGE_IMMEDIATE_PER_ORDER = 2;
/** An order's free schedule points: reading the record (no attempt), the nudge after publishing it, two to spare. */
export const NUDGE_FREE_PER_ORDER = 4;

const MINUTE_MS = 60_000;
/** Entries kept before stale ones are swept. */
const SWEEP_AT = 10_000;
/** An order's entry is kept this long after its last nudge, so waiting does not reset its schedule. */
const ORDER_MEMORY_MS = 10 * MINUTE_MS;

/** The gap after an order's `count`-th nudge (count >= 1). */
export function nudgeGap(limits: Pick<NudgeLimits, 'firstGapMs' | 'orderIntervalMs'>, count: number): number {
  if (count < NUDGE_IMMEDIATE_PER_ORDER) return 0;
  return Math.min(limits.orderIntervalMs, limits.firstGapMs * 2 ** Math.min(count - NUDGE_IMMEDIATE_PER_ORDER, 30));
}

/**
 * The most attempts one order's nudges can start in `ms` of calls from a fresh start: the
 * schedule's points within `ms`, and one deferred to the end of the gap after the last.
 */
export function nudgeBound(limits: Pick<NudgeLimits, 'firstGapMs' | 'orderIntervalMs'>, ms: number): number {
  let n = 1;
  for (let t = 0; ; n++) {
    t += nudgeGap(limits, n);
    if (t > ms) return n + 1;
  }
}

export function createValidationNudges(limits: NudgeLimits): ValidationNudges {
  /**
   * Per order: when its last granted nudge runs (may be in the future: a deferred one), how
   * many it had, and whether that one still waits for its attempt.
   */
  const orders = new Map<number, { lastRun: number; count: number; pending: boolean }>();
  /** Per account: the tokens in its bucket at `at`. */
  const accounts = new Map<number, { tokens: number; at: number }>();
  const size = limits.perAccountPerMinute;
  const perMs = limits.perAccountPerMinute / MINUTE_MS;

  function sweep(now: number): void {
    if (orders.size > SWEEP_AT) for (const [id, o] of orders) if (o.lastRun + ORDER_MEMORY_MS <= now) orders.delete(id);
    // A bucket full again is the same as none.
    if (accounts.size > SWEEP_AT)
      for (const [id, b] of accounts) if (b.tokens + (now - b.at) * perMs >= size) accounts.delete(id);
  }

  /** Takes a token from the account's bucket; false when it is empty. */
  function takeToken(accountId: number, now: number): boolean {
    const b = accounts.get(accountId) ?? { tokens: size, at: now };
    b.tokens = Math.min(size, b.tokens + Math.max(0, now - b.at) * perMs);
    b.at = now;
    accounts.set(accountId, b);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  return {
    grant(accountId, orderId, now) {
      const o = orders.get(orderId);
      if (o === undefined) {
        // The order's first read here: the schedule's first point, with no attempt (the
        // customer sees the record in this call's answer). Not pending, so the next call is
        // granted at once. A process that has not seen the order yet (another API process
        // showed the record, or a restart) costs the customer one more call, nothing else.
        orders.set(orderId, { lastRun: now, count: 1, pending: false });
        sweep(now);
        return undefined;
      }
      if (o.lastRun > now) return undefined; // a deferred nudge is pending
      const gapEnd = o.lastRun + nudgeGap(limits, o.count);
      // Granted, not attempted yet: the attempt to come covers this call. Until the gap ends
      // without a worker here to say when it ran; with one, up to an interval (another
      // process's worker may have run it, unseen here).
      if (o.pending && now < (limits.attemptsSeen ? Math.max(gapEnd, o.lastRun + limits.orderIntervalMs) : gapEnd))
        return undefined;
      const runAt = Math.max(now, gapEnd);
      const count = o.count;
      if (count >= limits.freePerOrder && !takeToken(accountId, now)) return undefined;
      orders.set(orderId, { lastRun: runAt, count: count + 1, pending: true });
      sweep(now);
      return runAt;
    },
    attempted(orderId, now) {
      const o = orders.get(orderId);
      // A deferred nudge still to come stays pending: this attempt ran before it was due.
      if (o !== undefined && o.lastRun <= now) o.pending = false;
    },
  };
}
