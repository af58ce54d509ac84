// The load generator of the scale bench (bench/scale.ts), in a worker thread: `concurrency`
// lanes, each sending one signed request after another (bench/scale-client.ts), round-robin
// over the certdesk processes and over the accounts (so that no account's rate limit, 1000/s
// per action by default, caps the measurement). Requests completed during the warm-up are
// not counted; latency is from sending to the full response body.

import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { RawCasConnection, type ScaleKey } from './scale-client.js';

export interface LoadAccount extends ScaleKey {
  /** Issued orders of this account, for DescribeCertificateState. */
  orderIds: number[];
}

export interface LoadInput {
  endpoints: string[];
  accounts: LoadAccount[];
  action: 'DescribeCertificateState' | 'CreateCertificateForPackageRequest';
  productCode: string;
  /** Distinguishes this thread's domain names from other threads' and runs'. */
  label: string;
  concurrency: number;
  warmupMs: number;
  measureMs: number;
}

export interface LoadResult {
  /** Successful requests completed inside the measured window. */
  ok: number;
  failed: number;
  failures: string[];
  /** Latency of each counted request, ms, unsorted. */
  latencies: number[];
  seconds: number;
}

const port = parentPort;
if (port === null) throw new Error('bench/scale-load-worker.ts runs as a worker thread');
const input = workerData as LoadInput;

async function main(): Promise<LoadResult> {
  const latencies: number[] = [];
  const failures: string[] = [];
  let ok = 0;
  let failed = 0;
  let turn = 0;
  let domainCounter = 0;
  const start = performance.now();
  const measureFrom = start + input.warmupMs;
  const end = measureFrom + input.measureMs;

  // Each lane is one connection to one process, the lanes spread evenly over the processes.
  async function lane(laneNo: number): Promise<void> {
    const endpoint = input.endpoints[laneNo % input.endpoints.length]!;
    let conn = new RawCasConnection(endpoint);
    while (performance.now() < end) {
      const i = turn++;
      const account = input.accounts[i % input.accounts.length]!;
      const params: Record<string, string> =
        input.action === 'DescribeCertificateState'
          ? { OrderId: String(account.orderIds[i % account.orderIds.length]) }
          : {
              ProductCode: input.productCode,
              Domain: `${input.label}-${(domainCounter++).toString(36)}.com`,
              ValidateType: 'DNS',
            };
      const t0 = performance.now();
      let good = false;
      let why = '';
      try {
        const r = await conn.call(account, input.action, params);
        good = r.status === 200;
        if (!good) why = `HTTP ${r.status} ${r.text?.slice(0, 200) ?? ''}`;
      } catch (err) {
        why = (err as Error).message;
        conn.close(); // a broken connection is replaced, as a keep-alive agent would
        conn = new RawCasConnection(endpoint);
      }
      const t1 = performance.now();
      if (t0 < measureFrom || t1 > end) continue;
      if (good) {
        ok += 1;
        latencies.push(t1 - t0);
      } else {
        failed += 1;
        if (failures.length < 5) failures.push(why);
      }
    }
    conn.close();
  }
  await Promise.all(Array.from({ length: input.concurrency }, (_, n) => lane(n)));
  return { ok, failed, failures, latencies, seconds: input.measureMs / 1000 };
}

port.postMessage(await main());
