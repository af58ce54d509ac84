import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_RETRY_MS, retryDelay } from './job-protocol.js';

test('retry backoff: the base delay doubles per failed attempt', () => {
  assert.deepEqual(
    [0, 1, 2, 3, 4].map((n) => retryDelay(1000, n)),
    [1000, 2000, 4000, 8000, 16000],
  );
});

test('retry backoff: capped at an hour, however many attempts failed', () => {
  assert.equal(MAX_RETRY_MS, 3_600_000);
  assert.equal(retryDelay(1000, 11), 2_048_000);
  assert.equal(retryDelay(1000, 12), MAX_RETRY_MS);
  assert.equal(retryDelay(200, 1_000_000), MAX_RETRY_MS);
  assert.equal(retryDelay(10 * MAX_RETRY_MS, 0), MAX_RETRY_MS);
  // No overflow to Infinity or NaN for absurd counts.
  assert.ok(Number.isFinite(retryDelay(1, Number.MAX_SAFE_INTEGER)));
});
