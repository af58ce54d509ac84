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

/** What one attempt of a job came to: done (the job row is deleted), or retry later with the reason kept. */
export type AttemptOutcome = { kind: 'done' } | { kind: 'retry'; reason: string };

/** Runs one job; `refId` names what it is about (an order, a notice, an issuer). Throwing counts as a retry. */
export type JobHandler = (refId: number) => Promise<AttemptOutcome>;

/** The longest wait between two attempts of a job. */
export const MAX_RETRY_MS = 3_600_000;

/**
 * Delay before the next attempt after `attempts` failed ones: the base delay doubled per
 * attempt (exponential backoff), at most MAX_RETRY_MS.
 */
export function retryDelay(baseMs: number, attempts: number): number {
  return Math.min(MAX_RETRY_MS, baseMs * 2 ** Math.min(attempts, 20));
}
