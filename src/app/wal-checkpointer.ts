// The SQLite WAL checkpointed on a worker thread with a connection of its own, so that `serve`'s
// main thread (every request, every commit) never copies pages into the database file or
// waits for fsync (store/sqlite/wal-checkpoints.ts; docs/decisions/0032-sqlite-commit-path.md).
//
// Every `intervalMs` the thread looks at PRAGMA data_version (it changes when another
// connection has committed: https://www.sqlite.org/pragma.html#pragma_data_version) and, if it
// changed, runs a PASSIVE checkpoint: it copies what no reader still needs and never waits for
// a lock, so the serving connection is never held up (https://www.sqlite.org/c3ref/wal_checkpoint_v2.html).
// Once a checkpoint has copied the whole WAL, the next commit starts the WAL over from its
// beginning, so the file stops growing. A reader that keeps an old snapshot (a long export by
// `certdesk admin`) stops PASSIVE checkpoints short of the end ("checkpoint starvation",
// https://www.sqlite.org/wal.html#avoiding_excessively_large_wal_files); past `truncateFrames`
// the thread asks for TRUNCATE instead, which copies everything and empties the file when no
// reader is left. It never waits for one (busy_timeout 0): it tries again at the next turn.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Logger } from '../domain/ports.js';
import type { StartWalCheckpointer, WalCheckpointer } from '../store/sqlite/wal-checkpoints.js';

export interface WalCheckpointOptions {
  /** How often the thread looks for new commits (ms). */
  intervalMs: number;
  /** WAL length (frames: pages written) from which a TRUNCATE checkpoint is asked for. */
  truncateFrames: number;
  /** Each checkpoint's outcome (tests; metrics). */
  onCheckpoint?: (c: CheckpointResult) => void;
}

/** PRAGMA wal_checkpoint's row: frames in the WAL, frames copied to the database, busy = 1 if it could not finish. */
export interface CheckpointResult {
  mode: 'PASSIVE' | 'TRUNCATE';
  busy: number;
  log: number;
  checkpointed: number;
}

/**
 * 100 ms: under the order pipeline's load about 55 pages are committed per order, so the WAL
 * holds some thousands of frames between checkpoints, of far fewer distinct pages (the tables'
 * last leaves, the indexes' hot pages), each copied once per checkpoint. 16,384 frames (64 MiB
 * of 4 KiB pages) bound the WAL when a reader holds PASSIVE checkpoints back. docs/decisions/0032.
 */
export const WAL_CHECKPOINT_DEFAULTS: WalCheckpointOptions = { intervalMs: 100, truncateFrames: 16384 };

/** The file size left after the WAL starts over (journal_size_limit): the TRUNCATE threshold's. */
export function walLimitBytes(o: WalCheckpointOptions, pageSize = 4096): number {
  return o.truncateFrames * pageSize;
}

// CommonJS evaluated by the Worker (eval: true): it runs the same from dist/ and under tsx.
// better-sqlite3 is loaded from the path this module resolved (an eval'd script resolves
// modules from the working directory, which need not be certdesk's).
const THREAD_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const { path, intervalMs, truncateFrames } = workerData;
let db;
let timer;
let last;
function stop() {
  clearInterval(timer);
  try { db?.close(); } catch {}
}
function fail(e) {
  stop();
  parentPort.postMessage({ failed: String(e && e.message || e) });
  parentPort.close();
}
try {
  db = new Database(path, { fileMustExist: true });
  db.pragma('busy_timeout = 0');
  db.pragma('wal_autocheckpoint = 0');
  const version = db.prepare('pragma data_version').pluck();
  const passive = db.prepare('pragma wal_checkpoint(PASSIVE)');
  const truncate = db.prepare('pragma wal_checkpoint(TRUNCATE)');
  timer = setInterval(() => {
    try {
      const v = version.get();
      if (v === last) return;
      last = v;
      let mode = 'PASSIVE';
      let r = passive.get();
      if (r.log >= truncateFrames) {
        mode = 'TRUNCATE';
        r = truncate.get();
      }
      // Not all copied (a reader, a TRUNCATE that found one): look again next turn.
      if (r.busy !== 0 || r.checkpointed < r.log) last = undefined;
      parentPort.postMessage({ mode, busy: r.busy, log: r.log, checkpointed: r.checkpointed });
    } catch (e) {
      fail(e);
    }
  }, intervalMs);
} catch (e) {
  fail(e);
}
parentPort.on('message', (m) => {
  if (m === 'stop') {
    stop();
    parentPort.close();
  }
});
`;

const driver = createRequire(import.meta.url).resolve('better-sqlite3');

/** A StartWalCheckpointer (Store.moveWalCheckpoints) with these options; `logger` hears of a failure. */
export function walCheckpointer(
  options: WalCheckpointOptions = WAL_CHECKPOINT_DEFAULTS,
  logger?: Logger,
): StartWalCheckpointer {
  return (path, onFailure) =>
    startWalCheckpointer(
      path,
      (e) => {
        logger?.log('warn', 'WAL checkpointer stopped; commits checkpoint again', { error: e.message });
        onFailure(e);
      },
      options,
    );
}

function startWalCheckpointer(
  path: string,
  onFailure: (error: Error) => void,
  options: WalCheckpointOptions,
): WalCheckpointer {
  const worker = new Worker(THREAD_SOURCE, {
    eval: true,
    workerData: { driver, path, intervalMs: options.intervalMs, truncateFrames: options.truncateFrames },
  });
  // The thread does not keep the process alive; stop() is how it ends.
  worker.unref();
  let stopping = false;
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  worker.on('message', (m: CheckpointResult | { failed: string }) => {
    if ('failed' in m) {
      if (!stopping) onFailure(new Error(`WAL checkpointer: ${m.failed}`));
      return;
    }
    options.onCheckpoint?.(m);
  });
  worker.on('error', (e) => {
    if (!stopping) onFailure(e instanceof Error ? e : new Error(String(e)));
  });
  return {
    async stop() {
      stopping = true;
      // Held alive until its connection is closed (a process ending now would cut that short).
      worker.ref();
      worker.postMessage('stop');
      await exited;
    },
  };
}
