// The job protocol between the worker and the modules whose jobs it runs (the order engine,
// notices, CRL and OCSP publication): a handler runs one job for its reference id and says
// whether it is done or should be tried again later; the worker owns the backoff.

/**
 * Every kind of durable job (the jobs table's `kind`), one union so that a kind without a
 * handler, or a handler for a kind nobody schedules, is a compile error (src/app registers
 * one handler per kind): order validation and issuance (orders/job-kinds.ts), CRL
 * publication and OCSP refresh (status/), notice delivery (notices/).
 */
export type JobKind = 'validate' | 'issue' | 'crl' | 'ocsp-refresh' | 'notice';

/** A job the worker holds the lease of. */
export interface LeasedJob {
  id: number;
  kind: JobKind;
  refId: number;
  attempts: number;
}

/**
 * What one attempt of a job came to: done (the job row is deleted), or retry later with the
 * reason kept. `next`: a follow-up job the handler wrote already leased to this turn's owner
 * (the order's issue job after its validation, in the same transaction as the state change):
 * the worker runs it at once in the same slot, without a claim; a crash before it finishes
 * leaves it to be taken over when its lease ends, as any claimed job.
 */
export type AttemptOutcome =
  | {
      kind: 'done';
      next?: LeasedJob;
      /**
       * The handler deleted its job row itself (jobs.complete with the turn's jobId and owner),
       * inside the transaction that settled its work, so the job ends exactly when that work
       * commits and the worker spends no statement or commit of its own on it.
       */
      completed?: boolean;
    }
  | { kind: 'retry'; reason: string };

/** The worker's turn a handler runs in: who holds the lease, and for how long a new lease is taken. */
export interface JobTurn {
  /** The job this turn runs: a handler may complete it in its own transaction (AttemptOutcome.completed). */
  jobId: number;
  owner: string;
  leaseMs: number;
}

/** Runs one job; `refId` names what it is about (an order, a notice, an issuer). Throwing counts as a retry. */
export type JobHandler = (refId: number, turn: JobTurn) => Promise<AttemptOutcome>;

/** The longest wait between two attempts of a job. */
export const MAX_RETRY_MS = 3_600_000;

/**
 * Delay before the next attempt after `attempts` failed ones: the base delay doubled per
 * attempt (exponential backoff), at most MAX_RETRY_MS.
 */
export function retryDelay(baseMs: number, attempts: number): number {
  return Math.min(MAX_RETRY_MS, baseMs * 2 ** Math.min(attempts, 20));
}
