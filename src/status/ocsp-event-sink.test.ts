import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OCSP_ISSUED_BATCH_MS, ocspEventSink, type OcspCa, type OcspCache } from './ocsp-responses.js';
import type { EventRepos, OrderEvent } from '../orders/events.js';

/** The issuance side of the sink touches only the job row and the cache's refreshDueAt. */
function harness(initialRunAt: number | undefined) {
  let runAt = initialRunAt;
  const calls = { find: 0, enqueue: 0 };
  const repos = {
    jobs: {
      async find() {
        calls.find++;
        return runAt === undefined ? undefined : { run_at: runAt };
      },
      async enqueue(_kind: string, _ref: number, at: number) {
        calls.enqueue++;
        runAt = runAt === undefined ? at : Math.min(runAt, at);
      },
    },
  } as unknown as EventRepos;
  const cache = { refreshDueAt: 0 } as OcspCache;
  const sink = ocspEventSink({ id: 7 } as OcspCa, cache);
  const issued = (): OrderEvent => ({ kind: 'issued' }) as unknown as OrderEvent;
  return {
    calls,
    issue: (now: number) => sink(repos, issued(), now),
    setRunAt: (t: number | undefined) => (runAt = t),
    runAt: () => runAt,
  };
}

test('ocsp sink: a burst of issuances reads the refresh job until it is seen due, then not until shortly before it runs', async () => {
  const h = harness(undefined);
  await h.issue(1_000); // no job: scheduled
  assert.deepEqual(h.calls, { find: 1, enqueue: 1 });
  assert.equal(h.runAt(), 1_000 + OCSP_ISSUED_BATCH_MS);
  await h.issue(2_000); // read due soon: remembered, not written
  assert.deepEqual(h.calls, { find: 2, enqueue: 1 });
  for (let t = 3_000; t < 50_000; t += 1_000) await h.issue(t);
  assert.deepEqual(h.calls, { find: 2, enqueue: 1 }, 'no read while the refresh is surely still due');
  // Close to its run time the row is read again; once it ran (rescheduled an hour on), a new one is asked for.
  h.setRunAt(1_000 + 3_600_000);
  await h.issue(58_000);
  assert.deepEqual(h.calls, { find: 3, enqueue: 2 });
  assert.equal(h.runAt(), 58_000 + OCSP_ISSUED_BATCH_MS);
});

test('ocsp sink: its own write is not remembered (the transaction may roll back)', async () => {
  const h = harness(undefined);
  await h.issue(1_000);
  h.setRunAt(undefined); // the issuing transaction rolled back
  await h.issue(2_000);
  assert.deepEqual(h.calls, { find: 2, enqueue: 2 }, 'the job is asked for again');
  assert.equal(h.runAt(), 2_000 + OCSP_ISSUED_BATCH_MS);
});
