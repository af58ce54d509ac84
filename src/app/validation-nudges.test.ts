// The nudge bound of DescribeCertificateState (validation-nudges.ts) with explicit times: the
// flood test (test/validation-flood.e2e.test.ts) counts the DNS queries a real flood makes.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { NUDGE_FREE_PER_ORDER, createValidationNudges, nudgeBound, nudgeGap } from './validation-nudges.js';

const limits = { firstGapMs: 50, orderIntervalMs: 3000, freePerOrder: NUDGE_FREE_PER_ORDER, perAccountPerMinute: 60 };

describe('validation nudges', () => {
  test('the first read shows the record and asks for nothing; asking again after publishing runs at once', () => {
    const n = createValidationNudges({ ...limits, attemptsSeen: true });
    assert.equal(n.grant(1, 10, 1000), undefined, 'the customer has not seen the record before this call');
    assert.equal(n.grant(1, 10, 1005), 1005, 'the call after publishing is not deferred');
    n.attempted(10, 1006);
    assert.equal(n.grant(1, 10, 1010), 1055, 'then the 50 ms gap after the granted one');
    // Another order of the same account: its own first read.
    assert.equal(n.grant(1, 11, 1010), undefined);
  });

  test('without a worker in this process the first read asks for nothing either', () => {
    const n = createValidationNudges({ ...limits, attemptsSeen: false });
    assert.equal(n.grant(1, 10, 0), undefined);
    assert.equal(n.grant(1, 10, 0), 0);
  });

  test('calls while the asked-for attempt is still to come trigger nothing and cost nothing', () => {
    const n = createValidationNudges({ ...limits, attemptsSeen: true });
    assert.equal(n.grant(1, 10, 0), undefined, 'the first read');
    assert.equal(n.grant(1, 10, 0), 0);
    for (let t = 50; t < 2000; t += 50) assert.equal(n.grant(1, 10, t), undefined, `call at ${t} ms`);
    n.attempted(10, 2000);
    // Still the order's next point (50 ms after the last granted one, long past): the calls
    // while it waited were not counted.
    assert.equal(n.grant(1, 10, 2001), 2001);
    n.attempted(10, 2001);
    assert.equal(
      n.grant(1, 10, 2002),
      2101,
      'the gap after that is 100 ms: the waiting calls did not move the schedule',
    );
  });

  test('an attempt never seen here (another process ran it): the pending nudge ends after an interval', () => {
    const n = createValidationNudges({ ...limits, attemptsSeen: true });
    assert.equal(n.grant(1, 10, 0), undefined, 'the first read');
    assert.equal(n.grant(1, 10, 0), 0);
    assert.equal(n.grant(1, 10, 2999), undefined);
    assert.equal(n.grant(1, 10, 3000), 3000);
  });

  test('without a worker in this process, a pending nudge ends with its gap', () => {
    const n = createValidationNudges({ ...limits, attemptsSeen: false });
    assert.equal(n.grant(1, 10, 0), undefined, 'the first read');
    assert.equal(n.grant(1, 10, 1), 1, 'the nudge after it has no gap');
    assert.equal(n.grant(1, 10, 2), undefined, 'inside the 50 ms gap, pending');
    assert.equal(n.grant(1, 10, 51), 51, 'the gap over, the next one');
  });

  test('after the immediate ones, a call inside a gap is granted once, at its end', () => {
    const n = createValidationNudges({ ...limits, attemptsSeen: true });
    assert.equal(n.grant(1, 10, 0), undefined, 'the first read');
    assert.equal(n.grant(1, 10, 1), 1);
    n.attempted(10, 1);
    assert.equal(n.grant(1, 10, 10), 51, 'deferred to the end of the 50 ms gap');
    assert.equal(n.grant(1, 10, 20), undefined, 'one deferred nudge at a time');
    n.attempted(10, 51);
    assert.equal(n.grant(1, 10, 60), 151, 'the next gap is 100 ms');
  });

  test("beyond each order's free nudges, the account's bucket: empty, then refilled at its rate", () => {
    const n = createValidationNudges({ ...limits, perAccountPerMinute: 3, attemptsSeen: true });
    const attemptsOf = (order: number, from: number) => {
      let granted = 0;
      for (let t = from; t < from + 60_000; t += 10) {
        const at = n.grant(1, order, t);
        if (at !== undefined) {
          granted += 1;
          n.attempted(order, at);
        }
      }
      return granted;
    };
    // Order 10 over a minute: its 4 free points (the first read's asks for nothing), then the
    // bucket's 3, then 3 refilled (one per 20 s).
    const first = attemptsOf(10, 0);
    assert.ok(first >= 3 + 3 && first <= 3 + 3 + 3, `${first} attempts in the first minute`);
    // Order 11 of the same account: its free ones still run, at once after its first read.
    assert.equal(n.grant(1, 11, 60_000), undefined);
    assert.equal(n.grant(1, 11, 60_000), 60_000);
    // Another account is not affected.
    const other = createValidationNudges({ ...limits, perAccountPerMinute: 3, attemptsSeen: true });
    assert.equal(other.grant(2, 12, 60_000), undefined);
    assert.equal(other.grant(2, 12, 60_000), 60_000);
  });

  test('the bound the flood test uses counts the schedule', () => {
    const l = { firstGapMs: 50, orderIntervalMs: 3000 };
    assert.deepEqual(
      [1, 2, 3, 4, 5].map((c) => nudgeGap(l, c)),
      [0, 50, 100, 200, 400],
    );
    // Points at 0, 0, 50, 150, 350, 750, 1550 within 1,600 ms, and one deferred.
    assert.equal(nudgeBound(l, 1600), 8);
  });
});
