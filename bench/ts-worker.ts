// Starts a worker thread on a TypeScript entry point. Node 20 does not apply the parent's
// `--import tsx` to worker threads, so the worker registers tsx itself before importing it.

import { Worker } from 'node:worker_threads';

export function startTsWorker(entry: URL, workerData: unknown): Worker {
  const api = import.meta.resolve('tsx/esm/api');
  const code = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); });`;
  return new Worker(code, { eval: true, workerData });
}
