// The kinds of durable job the order engine schedules (src/store/repos/jobs.ts); their
// handlers are registered with the worker by src/app.
export const JOB_VALIDATE = 'validate';
export const JOB_ISSUE = 'issue';
