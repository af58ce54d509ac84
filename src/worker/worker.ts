// The worker loop: claims due jobs from the store with a lease, runs them, and completes
// or reschedules them. Several workers (threads of one process, or processes sharing one
// PostgreSQL) can run at once; a lease that expires because its process died is taken over.
import { randomBytes } from 'node:crypto';
import type { Clock, Logger } from '../domain/ports.js';
import type { StoreView } from '../store/views.js';
import type { AttemptOutcome, JobHandler, JobKind } from './job-protocol.js';

export interface WorkerOptions {
  /** The worker touches the job queue only; handlers bring their own dependencies. */
  store: StoreView<'jobs'>;
  clock: Clock;
  logger: Logger;
  /** One handler per job kind: the compiler refuses a kind left out. */
  handlers: Record<JobKind, JobHandler>;
  /** Delay before the next attempt of a job that asked to retry, from its attempt count. */
  retryDelay: (attempts: number) => number;
  pollMs?: number;
  leaseMs?: number;
  concurrency?: number;
}

export interface Worker {
  /** Look for due jobs now (a job was just enqueued in this process). */
  wake(): void;
  stop(): Promise<void>;
}

export function startWorker(opts: WorkerOptions): Worker {
  const owner = `${process.pid}-${randomBytes(6).toString('hex')}`;
  const pollMs = opts.pollMs ?? 1000;
  const leaseMs = opts.leaseMs ?? 60_000;
  const concurrency = opts.concurrency ?? 8;
  const kinds = Object.keys(opts.handlers);
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let wakeRequested = false;
  let running: Promise<void> | undefined;

  async function runOne(job: { id: number; kind: string; ref_id: number; attempts: number }): Promise<void> {
    const handler = opts.handlers[job.kind as JobKind];
    let outcome: AttemptOutcome;
    try {
      // certdesk itself acts here: the handlers hold the store that acts for it (domain/audit.ts).
      outcome = await handler(job.ref_id);
    } catch (e) {
      opts.logger.log('error', 'job failed', {
        job: job.kind,
        ref: job.ref_id,
        error: String((e as Error)?.stack ?? e),
      });
      outcome = { kind: 'retry', reason: 'internal error' };
    }
    if (outcome.kind === 'done') await opts.store.repos.jobs.complete(job.id, owner);
    else
      await opts.store.repos.jobs.retry(
        job.id,
        owner,
        opts.clock.now() + opts.retryDelay(job.attempts),
        outcome.reason,
      );
  }

  // Jobs run as soon as a slot is free: a slow job (a DNS lookup timing out) never holds the
  // next claims back until the whole batch is done. `more` says a claim may find due jobs
  // (the last one filled every free slot, or a wake arrived); when it is false, a finished
  // job does not query the store, the timer or a wake starts the next claim.
  const inFlight = new Set<Promise<void>>();
  let more = true;
  let claiming = false;

  function start(job: { id: number; kind: string; ref_id: number; attempts: number }): void {
    const p: Promise<void> = runOne(job)
      .catch((e) => opts.logger.log('warn', 'job settlement failed', { job: job.kind, error: String(e) }))
      .finally(() => {
        inFlight.delete(p);
        if (more && !stopped) void fill();
      });
    inFlight.add(p);
  }

  /** Claims due jobs into the free slots until none are due or no slot is free. */
  async function fill(): Promise<void> {
    if (claiming) return;
    claiming = true;
    try {
      while (!stopped && more && inFlight.size < concurrency) {
        more = false;
        wakeRequested = false;
        const free = concurrency - inFlight.size;
        const jobs = await opts.store.repos.jobs.claim(owner, opts.clock.now(), leaseMs, free, kinds);
        for (const job of jobs) start(job);
        // A full claim may have left more behind; a wake during the claim may have added some.
        more = jobs.length === free || wakeRequested;
      }
    } catch (e) {
      opts.logger.log('warn', 'worker poll failed', { error: String(e) });
    } finally {
      claiming = false;
    }
  }

  function schedule(delay: number): void {
    if (stopped) return;
    clearTimeout(timer);
    timer = setTimeout(tick, delay);
    timer.unref();
  }

  function tick(): void {
    more = true;
    wakeRequested = true;
    running = fill().finally(() => {
      running = undefined;
      schedule(pollMs);
    });
  }

  schedule(0);
  return {
    wake() {
      more = true;
      wakeRequested = true;
      void fill();
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
      await Promise.all(inFlight);
    },
  };
}
