// The worker loop: claims due jobs from the store with a lease, runs them, and completes
// or reschedules them. Several workers (threads of one process, or processes sharing one
// PostgreSQL) can run at once; a lease that expires because its process died is taken over.
import { actingAs, SYSTEM_ACTOR } from '../domain/audit.js';
import { randomBytes } from 'node:crypto';
import type { Clock, Logger } from '../domain/ports.js';
import type { StoreView } from '../store/views.js';
import type { AttemptOutcome, JobHandler } from './job-protocol.js';

export interface WorkerOptions {
  /** The worker touches the job queue only; handlers bring their own dependencies. */
  store: StoreView<'jobs'>;
  clock: Clock;
  logger: Logger;
  handlers: Record<string, JobHandler>;
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
    const handler = opts.handlers[job.kind]!;
    let outcome: AttemptOutcome;
    try {
      // certdesk itself acts here, even when a request's wake() started this turn (its
      // acting context would otherwise carry over through the timer; domain/audit.ts).
      outcome = await actingAs(SYSTEM_ACTOR, () => handler(job.ref_id));
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

  async function drain(): Promise<void> {
    for (;;) {
      wakeRequested = false;
      const jobs = await opts.store.repos.jobs.claim(owner, opts.clock.now(), leaseMs, concurrency, kinds);
      if (jobs.length === 0) return;
      await Promise.all(jobs.map(runOne));
      if (stopped) return;
    }
  }

  function schedule(delay: number): void {
    if (stopped) return;
    clearTimeout(timer);
    timer = setTimeout(tick, delay);
    timer.unref();
  }

  function tick(): void {
    if (running) {
      wakeRequested = true;
      return;
    }
    running = drain()
      .catch((e) => opts.logger.log('warn', 'worker poll failed', { error: String(e) }))
      .finally(() => {
        running = undefined;
        schedule(wakeRequested ? 0 : pollMs);
      });
  }

  schedule(0);
  return {
    wake() {
      if (running) wakeRequested = true;
      else schedule(0);
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
