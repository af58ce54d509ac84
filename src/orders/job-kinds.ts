// The kinds of durable job the order engine schedules (src/store/repos/jobs.ts); their
// handlers are registered with the worker by src/app. Every kind is one of JobKind.
import type { JobKind } from '../worker/job-protocol.js';

export const JOB_VALIDATE = 'validate' satisfies JobKind;
export const JOB_ISSUE = 'issue' satisfies JobKind;
