// Prometheus metrics (prom-client), served behind the operator token at GET /metrics on the
// operator listener, and without one on --metrics-listen when set: never on the customer's
// API port (how many orders and certificates exist is not every customer's business).
// CAS request counters and latency are this process's; the store families are read from the
// database at scrape time, so every process on one store reports the same values.
//
// A request only adds to plain numbers (CasSeries below); prom-client reads them at scrape
// time. prom-client's own inc()/observe() validate and hash the labels on every call: 5 to 8 µs
// per request on the 2-core test machine under load (a loop of a million calls), 2-4% of a
// DescribeCertificateState; adding to the numbers here costs 0.1-0.2 µs.
import { Counter, Gauge, Registry, type Metric } from 'prom-client';
import { ORDER_STATES } from '../domain/order.js';
import type { Clock, Logger } from '../domain/ports.js';
import type { Store } from '../store/store.js';
import type { StoreStats } from '../store/repos/stats.js';
import type { Exposition } from '../api/admin/plugin.js';

/** CAS request latency buckets, 1 ms to 5 s (seconds, as Prometheus base units). */
export const CAS_DURATION_BUCKETS: readonly number[] = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
];

const VALIDATION_STATUSES = ['pending', 'valid', 'invalid'] as const;
const JOB_STATES = ['due', 'leased', 'scheduled'] as const;
const PER_DATABASE =
  'Read from the database at scrape time: every certdesk process on one database reports the same value.';

export interface CertdeskMetrics {
  /** Records one finished CAS request (CasDeps.observe). */
  observe(action: string, code: string, status: number, seconds: number): void;
  /** Records one answered ACME request: its resource and problem type ('' on success). */
  observeAcme(resource: string, problem: string): void;
  /** The text exposition of this process (format 0.0.4). */
  exposition(): Promise<Exposition>;
}

/** Known keys first (zero when absent, so series do not vanish), then any others seen. */
function withDefaults(known: readonly string[], seen: ReadonlyMap<string, number>): Array<[string, number]> {
  return [...known, ...[...seen.keys()].filter((k) => !known.includes(k)).sort()].map((k) => [k, seen.get(k) ?? 0]);
}

/** One action's requests: counts per result code and the latency histogram's buckets. */
interface ActionSeries {
  codes: Map<string, number>;
  /** Non-cumulative counts per bucket of CAS_DURATION_BUCKETS; the last slot is +Inf. */
  buckets: Float64Array;
  sum: number;
  count: number;
}

/** The CAS request families as prom-client reads them: counter values and a histogram metric. */
class CasSeries {
  readonly byAction = new Map<string, ActionSeries>();

  add(action: string, code: string, seconds: number): void {
    let s = this.byAction.get(action);
    if (!s) {
      s = { codes: new Map(), buckets: new Float64Array(CAS_DURATION_BUCKETS.length + 1), sum: 0, count: 0 };
      this.byAction.set(action, s);
    }
    s.codes.set(code, (s.codes.get(code) ?? 0) + 1);
    let i = 0;
    while (i < CAS_DURATION_BUCKETS.length && seconds > CAS_DURATION_BUCKETS[i]!) i++;
    s.buckets[i]! += 1;
    s.sum += seconds;
    s.count += 1;
  }

  /** A metric in prom-client's registry shape (name, help, type, get, reset), for the histogram. */
  histogram(name: string, help: string): Metric {
    const metric = {
      name,
      help,
      type: 'histogram',
      aggregator: 'sum',
      get: async () => {
        const values: Array<{ metricName: string; labels: Record<string, string | number>; value: number }> = [];
        for (const [action, s] of this.byAction) {
          let cumulative = 0;
          CAS_DURATION_BUCKETS.forEach((le, i) => {
            cumulative += s.buckets[i]!;
            values.push({ metricName: `${name}_bucket`, labels: { action, le }, value: cumulative });
          });
          values.push({ metricName: `${name}_bucket`, labels: { action, le: '+Inf' }, value: s.count });
          values.push({ metricName: `${name}_sum`, labels: { action }, value: s.sum });
          values.push({ metricName: `${name}_count`, labels: { action }, value: s.count });
        }
        return { name, help, type: 'histogram', aggregator: 'sum', values };
      },
      reset: () => this.byAction.clear(),
    };
    return metric as unknown as Metric;
  }
}

export function createCertdeskMetrics(opts: {
  store: Store;
  clock: Clock;
  logger: Logger;
  actions: Iterable<string>;
}): CertdeskMetrics {
  const served = new Set(opts.actions);
  const registry = new Registry();
  const cas = new CasSeries();
  new Counter({
    name: 'certdesk_cas_requests_total',
    help: 'CAS API requests by action and result code (OK on success), this process.',
    labelNames: ['action', 'code'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const [action, s] of cas.byAction) for (const [code, n] of s.codes) this.inc({ action, code }, n);
    },
  });
  registry.registerMetric(
    cas.histogram(
      'certdesk_cas_request_duration_seconds',
      'CAS API request duration in seconds by action, this process.',
    ),
  );

  // One read of the store per scrape, shared by the families below (their collect() run together).
  let scrape: Promise<StoreStats | undefined> = Promise.resolve(undefined);
  const readStats = async (): Promise<StoreStats | undefined> => {
    try {
      return await opts.store.repos.stats.read(opts.clock.now());
    } catch (e) {
      // The in-process counters stay useful when the store is down: report that instead of
      // failing the scrape; the store families keep their last values meanwhile.
      opts.logger.log('warn', 'metrics: store statistics unavailable', { error: String(e) });
      return undefined;
    }
  };
  new Gauge({
    name: 'certdesk_store_up',
    help: 'Whether the last scrape could read the store statistics (1) or not (0); when 0, the store families below keep their last values.',
    registers: [registry],
    async collect() {
      this.set((await scrape) ? 1 : 0);
    },
  });
  new Gauge({
    name: 'certdesk_jobs',
    help: `Queued jobs by kind and state: due (run_at <= now, not leased), leased (a worker holds it), scheduled (run_at > now). ${PER_DATABASE}`,
    labelNames: ['kind', 'state'] as const,
    registers: [registry],
    async collect() {
      const stats = await scrape;
      if (!stats) return;
      this.reset();
      for (const j of stats.jobs) for (const state of JOB_STATES) this.set({ kind: j.kind, state }, j[state]);
    },
  });
  new Gauge({
    name: 'certdesk_orders',
    help: `Certificate orders not deleted, by state. ${PER_DATABASE}`,
    labelNames: ['state'] as const,
    registers: [registry],
    async collect() {
      const stats = await scrape;
      if (!stats) return;
      this.reset();
      for (const [state, n] of withDefaults(ORDER_STATES, stats.orders)) this.set({ state }, n);
    },
  });
  new Counter({
    name: 'certdesk_certificates_issued_total',
    help: `Certificates certdesk has signed (uploads excluded), revoked ones included. ${PER_DATABASE}`,
    registers: [registry],
    async collect() {
      const stats = await scrape;
      if (!stats) return;
      this.reset();
      this.inc(stats.certificatesIssued);
    },
  });
  new Counter({
    name: 'certdesk_certificates_revoked_total',
    help: `Certificates certdesk has signed and since revoked. ${PER_DATABASE}`,
    registers: [registry],
    async collect() {
      const stats = await scrape;
      if (!stats) return;
      this.reset();
      this.inc(stats.certificatesRevoked);
    },
  });
  new Gauge({
    name: 'certdesk_validations',
    help: `Domain validations (one per order and domain) by status. ${PER_DATABASE}`,
    labelNames: ['status'] as const,
    registers: [registry],
    async collect() {
      const stats = await scrape;
      if (!stats) return;
      this.reset();
      for (const [status, n] of withDefaults(VALIDATION_STATUSES, stats.validations)) this.set({ status }, n);
    },
  });
  // The two process figures the README documents, read at scrape time. Not prom-client's
  // collectDefaultMetrics: it keeps a GC observer and an event-loop-delay timer running
  // between scrapes, work on the request path's process for figures nobody asked for.
  new Gauge({
    name: 'process_resident_memory_bytes',
    help: 'Resident memory size in bytes.',
    registers: [registry],
    collect() {
      this.set(process.memoryUsage.rss());
    },
  });
  new Gauge({
    name: 'nodejs_eventloop_lag_seconds',
    help: 'Event loop lag in seconds, measured at scrape time.',
    registers: [registry],
    async collect() {
      const start = process.hrtime.bigint();
      await new Promise((resolve) => setImmediate(resolve));
      this.set(Number(process.hrtime.bigint() - start) / 1e9);
    },
  });

  // Labels come from the ACME front end's route table and its closed problem list: bounded.
  const acmeRequests = new Counter({
    name: 'certdesk_acme_requests_total',
    help: 'ACME requests by resource and problem type ("" on success), this process.',
    labelNames: ['resource', 'problem'] as const,
    registers: [registry],
  });
  return {
    observeAcme(resource, problem) {
      acmeRequests.inc({ resource, problem });
    },
    observe(action, code, _status, seconds) {
      // A client chooses the action name: only served names become label values, so the
      // number of series stays bounded. The code comes from certdesk's closed error table.
      cas.add(served.has(action) ? action : 'unknown', code, seconds);
    },
    async exposition() {
      scrape = readStats();
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}
