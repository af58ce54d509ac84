// A worker thread of the threaded issuance benchmark (bench/issuance.ts): issues certificates
// in batches (parse/verify the CSR, check the key, prepare, lint, sign, build the row) and
// posts each batch to the storing thread. Credits from the storing thread bound the batches
// in flight, so the workers cannot run ahead of what SQLite's single writer commits.

import { parentPort, workerData } from 'node:worker_threads';
import { issueOne, openIssuing, type IssuanceSetup, type NewCertificateRow } from './issue-one.js';

export interface WorkerInput {
  setup: IssuanceSetup;
  batchSize: number;
}

export type ToWorker = { type: 'credit'; n: number } | { type: 'stop' };
export type FromWorker = { type: 'ready' } | { type: 'batch'; rows: NewCertificateRow[] };

const port = parentPort;
if (port === null) throw new Error('bench/issuance-worker.ts runs as a worker thread');
const input = workerData as WorkerInput;
const issuing = openIssuing(input.setup);
let credits = 0;
let stopped = false;
let scheduled = false;

async function step(): Promise<void> {
  scheduled = false;
  if (stopped || credits === 0) return;
  credits -= 1;
  const now = Date.now();
  const rows = [];
  for (let i = 0; i < input.batchSize; i++) rows.push(await issueOne(issuing, now));
  port!.postMessage({ type: 'batch', rows } satisfies FromWorker);
  schedule();
}

// setImmediate between batches lets credit and stop messages in.
function schedule(): void {
  if (scheduled || stopped) return;
  scheduled = true;
  setImmediate(() => void step());
}

port.on('message', (m: ToWorker) => {
  if (m.type === 'stop') {
    stopped = true;
    port.close();
    return;
  }
  credits += m.n;
  schedule();
});
port.postMessage({ type: 'ready' } satisfies FromWorker);
