// The worker loop: claims due jobs from the store with a lease, runs them, and completes
// or reschedules them. Several workers (threads of one process, or processes sharing one
// PostgreSQL) can run at once; a lease that expires because its process died is taken over.
import { randomBytes } from 'node:crypto';
import type { Clock, Logger } from '../domain/ports.js';
import type { StoreView } from '../store/views.js';
import type { AttemptOutcome, JobHandler, JobKind, LeasedJob } from './job-protocol.js';

export interface WorkerOptions {
  /** The worker touches the job queue only; handlers bring their own dependencies. */
  store: StoreView<'jobs'>;
  clock: Clock;
  logger: Logger;
  /** One handler per job kind: the compiler refuses a kind left out. */
  handlers: Record<JobKind, JobHandler>;
  /** Delay before the next attempt of a job that asked to retry, from its attempt count. */
  retryDelay: (attempts: number) => number;
  /** Called once a job settled (done, or rescheduled), after any follow-up it handed on ran. */
  onSettled?: (job: LeasedJob) => void;
  pollMs?: number;
  leaseMs?: number;
  concurrency?: number;
}

export interface Worker {
  /** Look for due jobs now (a job was just enqueued in this process), or at `at` (epoch ms) when it is later. */
  wake(at?: number): void;
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

  async function runOne(job: LeasedJob): Promise<void> {
    try {
      await attempt(job);
    } finally {
      opts.onSettled?.(job);
    }
  }

  async function attempt(job: LeasedJob): Promise<void> {
    const handler = opts.handlers[job.kind];
    let outcome: AttemptOutcome;
    try {
      // certdesk itself acts here: the handlers hold the store that acts for it (domain/audit.ts).
      outcome = await handler(job.refId, { jobId: job.id, owner, leaseMs });
    } catch (e) {
      opts.logger.log('error', 'job failed', {
        job: job.kind,
        ref: job.refId,
        error: String((e as Error)?.stack ?? e),
      });
      outcome = { kind: 'retry', reason: 'internal error' };
    }
    if (outcome.kind === 'done') {
      if (!outcome.completed) await opts.store.repos.jobs.complete(job.id, owner);
    } else {
      const runAt = await opts.store.repos.jobs.retry(
        job.id,
        owner,
        opts.clock.now() + opts.retryDelay(job.attempts),
        outcome.reason,
      );
      // Asked for again while it ran (a customer's DescribeCertificateState), or its backoff:
      // the worker looks again then, not at its next poll.
      if (runAt !== undefined) wakeAt(runAt);
    }
    // The follow-up the handler leased to this turn runs in the same slot, without a claim.
    if (outcome.kind === 'done' && outcome.next) await runOne(outcome.next);
  }

  // Jobs run as soon as a slot is free: a slow job (a DNS lookup timing out) never holds the
  // next claims back until the whole batch is done. `more` says a claim may find due jobs
  // (the last one filled every free slot, or a wake arrived); when it is false, a finished
  // job does not query the store, the timer or a wake starts the next claim.
  const inFlight = new Set<Promise<void>>();
  let more = true;
  let claiming = false;

  function start(job: LeasedJob): void {
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
        for (const job of jobs)
          start({ id: job.id, kind: job.kind as JobKind, refId: job.ref_id, attempts: job.attempts });
        // A full claim may have left more behind; a wake during the claim may have added some.
        more = jobs.length === free || wakeRequested;
      }
    } catch (e) {
      opts.logger.log('warn', 'worker poll failed', { error: String(e) });
    } finally {
      claiming = false;
    }
  }

  /** When the timer fires next (epoch ms by the clock); a later request never postpones it. */
  let timerAt = Infinity;
  function schedule(delay: number): void {
    if (stopped) return;
    const at = opts.clock.now() + delay;
    if (at >= timerAt) return;
    clearTimeout(timer);
    timerAt = at;
    timer = setTimeout(tick, Math.max(0, delay));
    timer.unref();
  }

  function tick(): void {
    timerAt = Infinity;
    more = true;
    wakeRequested = true;
    running = fill().finally(() => {
      running = undefined;
      schedule(pollMs);
    });
  }

  function wake(): void {
    more = true;
    wakeRequested = true;
    void fill();
  }

  /** A job becomes due at `at`: a timer then (a deferred nudge, a backoff), not the next poll. */
  function wakeAt(at: number): void {
    const delay = at - opts.clock.now();
    if (delay <= 0) wake();
    else schedule(delay);
  }

  schedule(0);
  return {
    wake(at?: number) {
      if (at === undefined) wake();
      else wakeAt(at);
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
      await Promise.all(inFlight);
    },
  };
}
