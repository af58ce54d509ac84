// The customers' side of the end-to-end benchmark (bench/end-to-end.ts), in a worker thread so
// that neither the load generator (SDK request signing, HTTP client) nor the customers' DNS
// shares an event loop with the certdesk it measures. Orders go through the official SDK; the
// loopback challenge server (src/app/challenge-server.ts) runs here too, as the customers'
// authoritative DNS: they publish their TXT records on it, and certdesk's validation queries it
// over UDP as it would any name server.
//
// Each order: CreateCertificateForPackageRequest (certdesk makes the key), then
// DescribeCertificateState to read the record, publish it, and poll DescribeCertificateState
// (which also asks for an immediate validation attempt) until the order is `certificate`.

import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { parentPort } from 'node:worker_threads';
import { startChallengeServer } from '../test/challenge-server.js';
import { describe, freshDomain } from '../test/support/orders.js';
import { Cas, casClient, type CasClient } from '../test/support/sdk.js';

export interface ClientInput {
  endpoint: string;
  key: { AccessKeyId: string; AccessKeySecret: string };
  productCode: string;
  orders: number;
  concurrency: number;
  pollMs: number;
  orderTimeoutMs: number;
}

export interface ClientResult {
  /** Submission to issuance, ms, one per order, ascending. */
  latencies: number[];
  /** First submission to the last issuance seen, ms. */
  spanMs: number;
  requests: number;
  errors: string[];
  /** When each order's record was on the challenge server (epoch ms), by order id. */
  publishedAt: Record<number, number>;
  /** CPU time of this thread (the SDK clients and the challenge server), ms; undefined off Linux. */
  cpuMs: number | undefined;
}

/** This thread's own CPU time (utime + stime of /proc/thread-self/stat), ms. */
export function threadCpuMs(): number | undefined {
  try {
    const stat = readFileSync('/proc/thread-self/stat', 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 14 and 15 (utime, stime), counted from the state field (3): indexes 11 and 12.
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100; // USER_HZ is 100 on Linux
  } catch {
    return undefined;
  }
}

export type FromClient =
  { type: 'ready'; challenges: { dnsAddress: string; httpPort: number } } | { type: 'done'; result: ClientResult };
export type ToClient = { type: 'start'; input: ClientInput };

const port = parentPort;
if (port === null) throw new Error('bench/order-client-worker.ts runs as a worker thread');

const cs = await startChallengeServer();
let input!: ClientInput;
const startSignal = new Promise<void>((resolve) =>
  port.once('message', (m: ToClient) => {
    input = m.input;
    resolve();
  }),
);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let requests = 0;
const publishedAt: Record<number, number> = {};

async function untilIssued(client: CasClient, orderId: number, deadline: number): Promise<void> {
  const published = new Set<string>();
  for (;;) {
    const s = await describe(client, orderId);
    requests += 1;
    if (s.type === 'certificate') return;
    if (s.type === 'domain_verify' && s.recordDomain && s.recordValue && s.domain) {
      const name = `${s.recordDomain}.${s.domain}`;
      if (!published.has(name)) {
        published.add(name);
        cs.setTxt(name, [s.recordValue]);
        publishedAt[orderId] = Date.now();
        continue; // ask again at once: DescribeCertificateState requests a validation attempt now
      }
    } else if (s.type !== 'domain_verify' && s.type !== 'process') {
      throw new Error(`order ${orderId} ended as ${s.type} (${s.message ?? ''})`);
    }
    if (performance.now() > deadline)
      throw new Error(`order ${orderId} is still ${s.type} after ${input.orderTimeoutMs} ms`);
    await sleep(input.pollMs);
  }
}

async function main(): Promise<ClientResult> {
  const cpu0 = threadCpuMs();
  const client = casClient(input.endpoint, input.key);
  const latencies: number[] = [];
  const errors: string[] = [];
  let first = Infinity;
  let last = 0;
  let started = 0;

  async function lane(): Promise<void> {
    while (started < input.orders) {
      started += 1;
      const t0 = performance.now();
      first = Math.min(first, t0);
      try {
        const { body } = await client.createCertificateForPackageRequest(
          new Cas.CreateCertificateForPackageRequestRequest({
            productCode: input.productCode,
            domain: freshDomain('bench'),
            validateType: 'DNS',
          }),
        );
        requests += 1;
        await untilIssued(client, body!.orderId!, t0 + input.orderTimeoutMs);
        const t1 = performance.now();
        last = Math.max(last, t1);
        latencies.push(t1 - t0);
      } catch (e) {
        errors.push((e as Error).message);
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(input.concurrency, input.orders) }, lane));
  latencies.sort((a, b) => a - b);
  const cpu1 = threadCpuMs();
  return {
    latencies,
    spanMs: last - first,
    requests,
    errors,
    publishedAt,
    cpuMs: cpu0 === undefined || cpu1 === undefined ? undefined : cpu1 - cpu0,
  };
}

// Loaded (the SDK's modules compiled) and the DNS server listening: the main thread starts
// certdesk pointed at it, and counts CPU time from its 'start'.
port.postMessage({
  type: 'ready',
  challenges: { dnsAddress: cs.dnsAddress, httpPort: cs.httpPort },
} satisfies FromClient);
await startSignal;
const result = await main();
await cs.close();
port.postMessage({ type: 'done', result } satisfies FromClient);
