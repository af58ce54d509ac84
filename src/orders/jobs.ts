// The kinds of durable job the order engine schedules (src/store/repos/jobs.ts).
export const JOB_VALIDATE = 'validate';
export const JOB_ISSUE = 'issue';

/** After a failed attempt: 2^n times the base delay, at most an hour (issue 3: "repeat with backoff"). */
export const MAX_RETRY_MS = 3_600_000;

export function retryDelay(baseMs: number, attempts: number): number {
  return Math.min(MAX_RETRY_MS, baseMs * 2 ** Math.min(attempts, 20));
}
