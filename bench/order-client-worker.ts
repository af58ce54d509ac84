// The customers' side of the end-to-end benchmark (bench/end-to-end.ts), in a worker thread so
// that neither the load generator (SDK request signing, HTTP client) nor the customers' DNS
// shares an event loop with the certdesk it measures. Orders go through the official SDK, or
// (`client: 'raw'`) through bench/scale-client.ts's signed raw client: the same requests signed
// with ACS3-HMAC-SHA256 and sent over keep-alive node:http, at a fraction of the SDK's CPU per
// call, which on a 2-core machine is CPU taken from certdesk. The
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
import { Cas, casClient } from '../test/support/sdk.js';
import { callCas, keepAliveAgent } from './scale-client.js';

export interface ClientInput {
  endpoint: string;
  key: { AccessKeyId: string; AccessKeySecret: string };
  productCode: string;
  orders: number;
  concurrency: number;
  pollMs: number;
  orderTimeoutMs: number;
  /** 'sdk': @alicloud/cas20200407; 'raw': the signed raw client of bench/scale-client.ts. */
  client: 'sdk' | 'raw';
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

/** What a customer needs of DescribeCertificateState (Alibaba Cloud API reference). */
interface OrderState {
  type?: string;
  domain?: string;
  recordDomain?: string;
  recordValue?: string;
  message?: string;
}

/** The two calls each order makes, through the SDK or the raw client. */
interface Customer {
  submit(domain: string): Promise<number>;
  describe(orderId: number): Promise<OrderState>;
}

function sdkCustomer(): Customer {
  const client = casClient(input.endpoint, input.key);
  return {
    async submit(domain) {
      const { body } = await client.createCertificateForPackageRequest(
        new Cas.CreateCertificateForPackageRequestRequest({
          productCode: input.productCode,
          domain,
          validateType: 'DNS',
        }),
      );
      return body!.orderId!;
    },
    describe: (orderId) => describe(client, orderId),
  };
}

function rawCustomer(): Customer {
  const agent = keepAliveAgent(input.concurrency);
  const key = { accessKeyId: input.key.AccessKeyId, secret: input.key.AccessKeySecret };
  const call = async (action: string, params: Record<string, string>) => {
    const r = await callCas(input.endpoint, agent, key, action, params);
    if (r.status !== 200) throw new Error(`${action}: HTTP ${r.status} ${JSON.stringify(r.body).slice(0, 160)}`);
    return r.body;
  };
  return {
    async submit(domain) {
      const b = await call('CreateCertificateForPackageRequest', {
        ProductCode: input.productCode,
        Domain: domain,
        ValidateType: 'DNS',
      });
      return Number(b.OrderId);
    },
    async describe(orderId) {
      const b = await call('DescribeCertificateState', { OrderId: String(orderId) });
      const text = (k: string) => (typeof b[k] === 'string' ? b[k] : undefined);
      return {
        type: text('Type'),
        domain: text('Domain'),
        recordDomain: text('RecordDomain'),
        recordValue: text('RecordValue'),
        message: text('FailReason'),
      };
    },
  };
}

async function untilIssued(client: Customer, orderId: number, deadline: number): Promise<void> {
  const published = new Set<string>();
  for (;;) {
    const s = await client.describe(orderId);
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
  const client = input.client === 'raw' ? rawCustomer() : sdkCustomer();
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
        const orderId = await client.submit(freshDomain('bench'));
        requests += 1;
        await untilIssued(client, orderId, t0 + input.orderTimeoutMs);
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
