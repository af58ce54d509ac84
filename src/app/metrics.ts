// Prometheus metrics at GET /metrics on the API port (issue 5, "Observability"). A small
// hand-written registry: counters and histograms kept in memory per process, plus families
// collected at scrape time (store aggregates, process figures), rendered in the text
// exposition format 0.0.4 (https://prometheus.io/docs/instrumenting/exposition_formats/).
import type { PublicHandler } from '../api/public/handler.js';
import { ORDER_STATES } from '../domain/order.js';
import type { Clock, Logger } from '../domain/ports.js';
import type { Store } from '../store/store.js';

export type Labels = Readonly<Record<string, string>>;

export interface Sample {
  labels?: Labels;
  value: number;
}

/** A family produced at scrape time by a collector. */
export interface CollectedFamily {
  name: string;
  help: string;
  type: 'counter' | 'gauge';
  samples: readonly Sample[];
}

export type Collector = () => CollectedFamily[] | Promise<CollectedFamily[]>;

export interface Counter {
  inc(labels: Labels, by?: number): void;
}

export interface Histogram {
  observe(labels: Labels, value: number): void;
}

// Exposition format: label values escape backslash, double quote and line feed; HELP text
// escapes backslash and line feed.
export function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function escapeHelp(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

function formatLabels(pairs: ReadonlyArray<readonly [string, string]>): string {
  return pairs.length === 0 ? '' : `{${pairs.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(',')}}`;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function header(name: string, help: string, type: string): string {
  return `# HELP ${name} ${escapeHelp(help)}\n# TYPE ${name} ${type}\n`;
}

interface Series<T> {
  values: string[];
  data: T;
}

/** Label values in the family's declared order; a missing label reads as the empty string. */
class Family<T> {
  readonly series = new Map<string, Series<T>>();
  constructor(
    readonly labelNames: readonly string[],
    private readonly init: () => T,
  ) {}
  get(labels: Labels): T {
    const values = this.labelNames.map((n) => labels[n] ?? '');
    const key = values.join('\u0000');
    let s = this.series.get(key);
    if (!s) {
      s = { values, data: this.init() };
      this.series.set(key, s);
    }
    return s.data;
  }
  pairs(values: readonly string[]): Array<[string, string]> {
    return this.labelNames.map((n, i) => [n, values[i] ?? '']);
  }
}

export class MetricsRegistry {
  private readonly renderers: Array<() => string | Promise<string>> = [];
  private readonly names = new Set<string>();

  private claim(name: string, labelNames: readonly string[]): void {
    if (!NAME.test(name) || this.names.has(name)) throw new Error(`invalid or duplicate metric name ${name}`);
    for (const l of labelNames) if (!LABEL.test(l) || l === 'le') throw new Error(`invalid label name ${l}`);
    this.names.add(name);
  }

  counter(name: string, help: string, labelNames: readonly string[] = []): Counter {
    this.claim(name, labelNames);
    const family = new Family(labelNames, () => ({ value: 0 }));
    this.renderers.push(() => {
      let out = header(name, help, 'counter');
      for (const s of family.series.values())
        out += `${name}${formatLabels(family.pairs(s.values))} ${formatValue(s.data.value)}\n`;
      return out;
    });
    return {
      inc(labels, by = 1) {
        if (!(by >= 0)) throw new Error('a counter only goes up');
        family.get(labels).value += by;
      },
    };
  }

  /** `buckets` are upper bounds in increasing order; +Inf is added. */
  histogram(name: string, help: string, labelNames: readonly string[], buckets: readonly number[]): Histogram {
    this.claim(name, labelNames);
    if (buckets.some((b, i) => !Number.isFinite(b) || (i > 0 && b <= buckets[i - 1]!)))
      throw new Error('buckets must increase');
    const family = new Family(labelNames, () => ({
      counts: new Array<number>(buckets.length).fill(0),
      sum: 0,
      count: 0,
    }));
    this.renderers.push(() => {
      let out = header(name, help, 'histogram');
      for (const s of family.series.values()) {
        const pairs = family.pairs(s.values);
        let cumulative = 0;
        buckets.forEach((b, i) => {
          cumulative += s.data.counts[i]!;
          out += `${name}_bucket${formatLabels([...pairs, ['le', formatValue(b)]])} ${cumulative}\n`;
        });
        out += `${name}_bucket${formatLabels([...pairs, ['le', '+Inf']])} ${s.data.count}\n`;
        out += `${name}_sum${formatLabels(pairs)} ${formatValue(s.data.sum)}\n`;
        out += `${name}_count${formatLabels(pairs)} ${s.data.count}\n`;
      }
      return out;
    });
    return {
      observe(labels, value) {
        const h = family.get(labels);
        const i = buckets.findIndex((b) => value <= b);
        if (i >= 0) h.counts[i]! += 1;
        h.sum += value;
        h.count += 1;
      },
    };
  }

  /** Families computed at each scrape; a collector's names must be unique like any other. */
  collect(names: readonly string[], collector: Collector): void {
    for (const n of names) this.claim(n, []);
    this.renderers.push(async () => {
      let out = '';
      for (const f of await collector()) {
        out += header(f.name, f.help, f.type);
        for (const s of f.samples)
          out += `${f.name}${formatLabels(Object.entries(s.labels ?? {}))} ${formatValue(s.value)}\n`;
      }
      return out;
    });
  }

  async render(): Promise<string> {
    let out = '';
    for (const r of this.renderers) out += await r();
    return out;
  }
}

export const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** CAS request latency buckets, 1 ms to 5 s (seconds, as Prometheus base units). */
export const CAS_DURATION_BUCKETS: readonly number[] = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
];

const VALIDATION_STATUSES = ['pending', 'valid', 'invalid'] as const;
const JOB_STATES = ['due', 'leased', 'scheduled'] as const;
const PER_DATABASE =
  'Read from the database at scrape time: every certdesk process on one database reports the same value.';

/** Known keys first (zero when absent, so series do not vanish), then any others seen. */
function withDefaults(known: readonly string[], seen: ReadonlyMap<string, number>, label: string): Sample[] {
  const keys = [...known, ...[...seen.keys()].filter((k) => !known.includes(k)).sort()];
  return keys.map((k) => ({ labels: { [label]: k }, value: seen.get(k) ?? 0 }));
}

function storeCollector(store: Store, clock: Clock, logger: Logger): Collector {
  return async () => {
    let stats;
    try {
      stats = await store.repos.stats.read(clock.now());
    } catch (e) {
      // The in-process counters stay useful when the store is down: report that instead of failing the scrape.
      logger.log('warn', 'metrics: store statistics unavailable', { error: String(e) });
    }
    const up: CollectedFamily = {
      name: 'certdesk_store_up',
      help: 'Whether the last scrape could read the store statistics (1) or not (0).',
      type: 'gauge',
      samples: [{ value: stats ? 1 : 0 }],
    };
    if (!stats) return [up];
    return [
      up,
      {
        name: 'certdesk_jobs',
        help: `Queued jobs by kind and state: due (run_at <= now, not leased), leased (a worker holds it), scheduled (run_at > now). ${PER_DATABASE}`,
        type: 'gauge',
        samples: stats.jobs.flatMap((j) =>
          JOB_STATES.map((state) => ({ labels: { kind: j.kind, state }, value: j[state] })),
        ),
      },
      {
        name: 'certdesk_orders',
        help: `Certificate orders not deleted, by state. ${PER_DATABASE}`,
        type: 'gauge',
        samples: withDefaults(ORDER_STATES, stats.orders, 'state'),
      },
      {
        name: 'certdesk_certificates_issued_total',
        help: `Certificates certdesk has signed (uploads excluded), revoked ones included. ${PER_DATABASE}`,
        type: 'counter',
        samples: [{ value: stats.certificatesIssued }],
      },
      {
        name: 'certdesk_certificates_revoked_total',
        help: `Certificates certdesk has signed and since revoked. ${PER_DATABASE}`,
        type: 'counter',
        samples: [{ value: stats.certificatesRevoked }],
      },
      {
        name: 'certdesk_validations',
        help: `Domain validations (one per order and domain) by status. ${PER_DATABASE}`,
        type: 'gauge',
        samples: withDefaults(VALIDATION_STATUSES, stats.validations, 'status'),
      },
    ];
  };
}

/** How long a macrotask waits for the event loop right now (what prom-client reports too). */
function measureEventLoopLag(): Promise<number> {
  const start = process.hrtime.bigint();
  return new Promise((resolve) => setImmediate(() => resolve(Number(process.hrtime.bigint() - start) / 1e9)));
}

function processCollector(): Collector {
  return async () => [
    {
      name: 'process_resident_memory_bytes',
      help: 'Resident memory size in bytes.',
      type: 'gauge',
      samples: [{ value: process.memoryUsage.rss() }],
    },
    {
      name: 'nodejs_eventloop_lag_seconds',
      help: 'Event loop lag in seconds, measured at scrape time.',
      type: 'gauge',
      samples: [{ value: await measureEventLoopLag() }],
    },
  ];
}

export interface CertdeskMetrics {
  /** Records one finished CAS request (CasDeps.observe). */
  observe(action: string, code: string, status: number, seconds: number): void;
  render(): Promise<string>;
  /** GET|HEAD /metrics for the API port. */
  handler: PublicHandler;
}

export function createCertdeskMetrics(opts: {
  store: Store;
  clock: Clock;
  logger: Logger;
  actions: Iterable<string>;
}): CertdeskMetrics {
  const served = new Set(opts.actions);
  const registry = new MetricsRegistry();
  const requests = registry.counter(
    'certdesk_cas_requests_total',
    'CAS API requests by action and result code (OK on success), this process.',
    ['action', 'code'],
  );
  const duration = registry.histogram(
    'certdesk_cas_request_duration_seconds',
    'CAS API request duration in seconds by action, this process.',
    ['action'],
    CAS_DURATION_BUCKETS,
  );
  registry.collect(
    [
      'certdesk_store_up',
      'certdesk_jobs',
      'certdesk_orders',
      'certdesk_certificates_issued_total',
      'certdesk_certificates_revoked_total',
      'certdesk_validations',
    ],
    storeCollector(opts.store, opts.clock, opts.logger),
  );
  registry.collect(['process_resident_memory_bytes', 'nodejs_eventloop_lag_seconds'], processCollector());

  return {
    observe(action, code, _status, seconds) {
      // A client chooses the action name: only served names become label values, so the
      // number of series stays bounded. The code comes from certdesk's closed error table.
      const a = served.has(action) ? action : 'unknown';
      requests.inc({ action: a, code });
      duration.observe({ action: a }, seconds);
    },
    render: () => registry.render(),
    async handler(req, res, path) {
      if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) return false;
      const body = Buffer.from(await registry.render());
      res.writeHead(200, { 'content-type': CONTENT_TYPE, 'content-length': body.length, 'cache-control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : body);
      return true;
    },
  };
}
