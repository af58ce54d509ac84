// How often DescribeCertificateState may ask for a validation attempt now (the "nudge"). Each
// attempt sends DNS queries and HTTP GETs to the order's names, which the customer chooses,
// so without a bound a flood of DescribeCertificateState (7,000 calls in 10 s) made certdesk
// send thousands of queries at whoever those names point to. Per order: at most one nudge
// per interval; one asked for inside the interval is granted once, at its end (so a record
// published just after a nudge is still looked at soon), and every other call is answered
// from the last attempt's result. Per account: at most `perAccountPerMinute` nudges in a
// minute, across its orders. The state lives in this process: with several API processes
// the bound is per process, and the worker's own backoff (worker/job-protocol.ts) is
// unaffected.
import type { ValidationNudges } from '../orders/deps.js';

export interface NudgeLimits {
  /** Least time between two nudges of one order. */
  orderIntervalMs: number;
  /** Nudges per account and minute. */
  perAccountPerMinute: number;
}

const MINUTE_MS = 60_000;
/** Entries kept before stale ones are swept (an entry is stale once its interval passed). */
const SWEEP_AT = 10_000;

export function createValidationNudges(limits: NudgeLimits): ValidationNudges {
  /** Per order: when its last granted nudge runs (may be in the future: a deferred one). */
  const lastRun = new Map<number, number>();
  /** Per account: the minute window's start and its count. */
  const accounts = new Map<number, { windowStart: number; count: number }>();

  function sweep(now: number): void {
    if (lastRun.size > SWEEP_AT)
      for (const [id, at] of lastRun) if (at + limits.orderIntervalMs <= now) lastRun.delete(id);
    if (accounts.size > SWEEP_AT)
      for (const [id, w] of accounts) if (w.windowStart + MINUTE_MS <= now) accounts.delete(id);
  }

  return {
    grant(accountId, orderId, now) {
      const last = lastRun.get(orderId);
      if (last !== undefined && last > now) return undefined; // a deferred nudge is pending
      const runAt = last === undefined ? now : Math.max(now, last + limits.orderIntervalMs);
      let w = accounts.get(accountId);
      if (!w || w.windowStart + MINUTE_MS <= now) {
        w = { windowStart: now, count: 0 };
        accounts.set(accountId, w);
      }
      if (w.count >= limits.perAccountPerMinute) return undefined;
      w.count += 1;
      lastRun.set(orderId, runAt);
      sweep(now);
      return runAt;
    },
  };
}
