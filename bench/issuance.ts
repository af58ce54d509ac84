// Issuance throughput: certificates issued from CSRs and stored in SQLite per second, on one
// thread, and with worker threads doing the CPU work for a single storing thread (SQLite has
// one writer). Each run is timed for a fixed duration after a warm-up of the same pipeline;
// only rows committed inside the timed window count.

import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Worker } from 'node:worker_threads';
import { createHierarchy } from '../src/ca/hierarchy.js';
import { DEFAULT_PRODUCT_CODE } from '../src/policy/products.js';
import {
  emptyStageTimes,
  issueOne,
  makeCsrPool,
  openIssuing,
  type IssuanceSetup,
  type NewCertificateRow,
  type StageTimes,
} from './issue-one.js';
import type { FromWorker, ToWorker, WorkerInput } from './issuance-worker.js';
import { startTsWorker } from './ts-worker.js';
import { openBenchStore, storeRows, type BenchStore, type InsertMode } from './store-rows.js';

export interface IssuanceBench {
  bench: BenchStore;
  setup: IssuanceSetup;
  close(): Promise<void>;
}

export interface RunOptions {
  warmupMs: number;
  measureMs: number;
  /** Rows issued per batch; the single thread commits each batch as one transaction. */
  batchSize: number;
  insert: InsertMode;
}

export interface IssuanceResult {
  certsPerSecond: number;
  certificates: number;
  seconds: number;
  transactions: number;
  /** CPU time of the whole process (all threads) per wall-clock second. */
  coresBusy: number;
  /**
   * CPU time of the whole process (all threads) per certificate stored, in µs: what a
   * certificate costs whatever else the machine runs; 1e6 x cores / this is what the layout
   * would store per second with the cores to itself (minus what contention adds).
   */
  cpuMicrosPerCert: number;
  /** Share of the wall-clock time the storing thread spent in storeRows(). */
  storeBusy: number;
  /** Single thread only: mean µs per certificate of each stage, and of storing. */
  stageMicros?: StageTimes & { store: number };
}

const PUBLIC_URL = 'http://pki.certdesk.test';

export async function prepareIssuanceBench(csrPoolSize: number): Promise<IssuanceBench> {
  const bench = await openBenchStore();
  const random = { bytes: (n: number) => randomBytes(n) };
  const { issuing } = await createHierarchy({
    algorithm: 'ecdsa-p256',
    now: Date.now(),
    random,
    publicUrl: PUBLIC_URL,
  });
  const setup: IssuanceSetup = {
    issuerCertDer: issuing.certDer,
    issuerKeyPkcs8Der: issuing.privateKeyPkcs8Der,
    caIssuersUrl: `${PUBLIC_URL}/ca/issuing.cer`,
    crlUrl: `${PUBLIC_URL}/crl/issuing.crl`,
    issuerId: 1,
    accountId: bench.accountId,
    productCode: DEFAULT_PRODUCT_CODE,
    csrPems: makeCsrPool(csrPoolSize, `bench-${randomBytes(3).toString('hex')}`),
  };
  return { bench, setup, close: () => bench.close() };
}

/** Counts committed rows from the first commit after the warm-up to the first one after the deadline. */
class Window {
  private readonly warmupEnd: number;
  private readonly measureMs: number;
  private measureEnd = Infinity;
  started = false;
  done = false;
  start = 0;
  end = 0;
  certificates = 0;
  transactions = 0;
  storeMs = 0;
  cpuAtStart = process.cpuUsage();

  constructor(opts: RunOptions) {
    this.warmupEnd = performance.now() + opts.warmupMs;
    this.measureMs = opts.measureMs;
  }

  /** Call after each commit; returns true when the window just started. */
  committed(rows: number, storeMs: number): boolean {
    const t = performance.now();
    if (!this.started) {
      if (t < this.warmupEnd) return false;
      this.started = true;
      this.start = t;
      this.measureEnd = t + this.measureMs;
      this.cpuAtStart = process.cpuUsage();
      return true;
    }
    this.certificates += rows;
    this.transactions += 1;
    this.storeMs += storeMs;
    if (t >= this.measureEnd) {
      this.done = true;
      this.end = t;
    }
    return false;
  }

  result(): IssuanceResult {
    const wallMs = this.end - this.start;
    const cpu = process.cpuUsage(this.cpuAtStart);
    return {
      certsPerSecond: (this.certificates * 1000) / wallMs,
      certificates: this.certificates,
      seconds: wallMs / 1000,
      transactions: this.transactions,
      coresBusy: (cpu.user + cpu.system) / 1000 / wallMs,
      cpuMicrosPerCert: (cpu.user + cpu.system) / Math.max(1, this.certificates),
      storeBusy: this.storeMs / wallMs,
    };
  }
}

export async function runIssuanceSingle(b: IssuanceBench, opts: RunOptions): Promise<IssuanceResult> {
  const issuing = openIssuing(b.setup);
  const window = new Window(opts);
  let times = emptyStageTimes();
  while (!window.done) {
    const now = Date.now();
    const rows: NewCertificateRow[] = [];
    for (let i = 0; i < opts.batchSize; i++) rows.push(await issueOne(issuing, now, times));
    const t0 = performance.now();
    await storeRows(b.bench.store, rows, opts.insert);
    if (window.committed(rows.length, performance.now() - t0)) times = emptyStageTimes();
  }
  const r = window.result();
  const per = (ms: number) => (ms * 1000) / r.certificates;
  r.stageMicros = {
    csr: per(times.csr),
    keyCheck: per(times.keyCheck),
    prepareLint: per(times.prepareLint),
    sign: per(times.sign),
    row: per(times.row),
    store: per(window.storeMs),
  };
  return r;
}

/** Batches each worker may have issued but not yet seen committed. */
const CREDITS_PER_WORKER = 3;

export async function runIssuanceThreaded(
  b: IssuanceBench,
  opts: RunOptions & {
    threads: number;
    /** The storing thread issues batches too whenever nothing waits to be stored. */
    mainIssues?: boolean;
  },
): Promise<IssuanceResult> {
  const input: WorkerInput = { setup: b.setup, batchSize: opts.batchSize };
  const workers = Array.from({ length: opts.threads }, () =>
    startTsWorker(new URL('./issuance-worker.ts', import.meta.url), input),
  );
  const own = opts.mainIssues ? openIssuing(b.setup) : undefined;
  const queue: Array<{ worker: Worker | undefined; rows: NewCertificateRow[] }> = [];
  let window: Window | undefined;
  let storing = false;
  let finish!: (r: IssuanceResult) => void;
  let fail!: (e: unknown) => void;
  const finished = new Promise<IssuanceResult>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });

  // The storing thread: everything queued goes into one transaction, then each batch's
  // worker gets its credit back. With `mainIssues`, a batch of its own when nothing is queued
  // (between two, setImmediate lets the workers' messages in).
  async function storeQueued(): Promise<void> {
    if (storing || window === undefined) return;
    storing = true;
    try {
      while ((queue.length > 0 || own) && !window.done) {
        if (queue.length === 0 && own) {
          const now = Date.now();
          const rows: NewCertificateRow[] = [];
          for (let i = 0; i < opts.batchSize; i++) rows.push(await issueOne(own, now));
          queue.push({ worker: undefined, rows });
        }
        const taken = queue.splice(0, queue.length);
        const rows = taken.flatMap((t) => t.rows);
        const t0 = performance.now();
        await storeRows(b.bench.store, rows, opts.insert);
        window.committed(rows.length, performance.now() - t0);
        for (const t of taken) t.worker?.postMessage({ type: 'credit', n: 1 } satisfies ToWorker);
        if (own) await new Promise((r) => setImmediate(r));
      }
      if (window.done) finish(window.result());
    } catch (e) {
      fail(e);
    } finally {
      storing = false;
    }
  }

  let ready = 0;
  for (const w of workers) {
    w.on('error', fail);
    w.on('message', (m: FromWorker) => {
      if (m.type === 'ready') {
        ready += 1;
        if (ready === workers.length) {
          window = new Window(opts);
          for (const x of workers) x.postMessage({ type: 'credit', n: CREDITS_PER_WORKER } satisfies ToWorker);
        }
        return;
      }
      queue.push({ worker: w, rows: m.rows });
      void storeQueued();
    });
  }
  try {
    return await finished;
  } finally {
    for (const w of workers) w.postMessage({ type: 'stop' } satisfies ToWorker);
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

/**
 * The storing step alone, per certificate: `batches` batches of ready rows written in each
 * mode (fresh serials each time, as the (issuer_id, serial) index is unique).
 */
export async function measureStoreOnly(
  b: IssuanceBench,
  batches: number,
  batchSize: number,
): Promise<Record<InsertMode, number>> {
  const issuing = openIssuing(b.setup);
  const now = Date.now();
  const template: NewCertificateRow[] = [];
  for (let i = 0; i < batchSize; i++) template.push(await issueOne(issuing, now));
  const out = { row: 0, multi: 0 };
  for (const mode of ['row', 'multi', 'row', 'multi'] as const) {
    const fresh = Array.from({ length: batches }, () =>
      template.map((r) => ({ ...r, serial: randomBytes(16).toString('hex').toUpperCase() })),
    );
    const t0 = performance.now();
    for (const rows of fresh) await storeRows(b.bench.store, rows, mode);
    out[mode] = ((performance.now() - t0) * 1000) / (batches * batchSize); // the second round wins: warm
  }
  return out;
}
