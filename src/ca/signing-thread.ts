// Signing many to-be-signed blobs with one CA key on worker threads, so that a bulk job (a
// mass revocation's OCSP responses) signs one batch while the main thread writes another to
// the store: on two cores that takes the signatures off the main thread's path. The key
// reaches the thread as a KeyObject through postMessage, which Node clones into the other
// thread's memory without exporting it to PEM or DER (Node.js crypto docs, "KeyObject": "can
// be passed to other threads via postMessage()"); it is never serialized, logged or written.
// A Signer whose key cannot leave it (an HSM) has no threadKey and signs on the main thread.
import { Worker } from 'node:worker_threads';
import type { Signer, ThreadKey } from './signer.js';

/** Signs blobs in order; the signatures come back in the same order. */
export interface BulkSigner {
  signMany(tbs: readonly Buffer[]): Promise<Buffer[]>;
  /** Ends the threads (they do not keep the process alive meanwhile). */
  close(): Promise<void>;
}

// CommonJS evaluated by the Worker (eval: true): no file to resolve, so it runs the same from
// dist/ and from the TypeScript sources under tsx. One request: the blobs concatenated in one
// transferred buffer with their lengths; the answer the same way.
const THREAD_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { sign } = require('node:crypto');
let hash;
let options;
parentPort.on('message', (m) => {
  if (m.key !== undefined) {
    hash = m.hash;
    options = { key: m.key, dsaEncoding: 'der' };
    return;
  }
  const data = Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength);
  const sigs = [];
  let at = 0;
  let total = 0;
  for (const len of m.lengths) {
    const s = sign(hash, data.subarray(at, at + len), options);
    at += len;
    total += s.length;
    sigs.push(s);
  }
  const out = new Uint8Array(total);
  const lengths = [];
  at = 0;
  for (const s of sigs) {
    out.set(s, at);
    at += s.length;
    lengths.push(s.length);
  }
  parentPort.postMessage({ id: m.id, lengths, data: out }, [out.buffer]);
});
`;

interface Pending {
  resolve: (sigs: Buffer[]) => void;
  reject: (e: unknown) => void;
}

function startThread(key: ThreadKey, onMessage: (m: { id: number; lengths: number[]; data: Uint8Array }) => void) {
  const worker = new Worker(THREAD_SOURCE, { eval: true });
  worker.postMessage({ key: key.key, hash: key.hash });
  worker.on('message', onMessage);
  worker.unref();
  return worker;
}

function concat(blobs: readonly Buffer[]): { data: Uint8Array<ArrayBuffer>; lengths: number[] } {
  let total = 0;
  for (const b of blobs) total += b.length;
  // Its own ArrayBuffer (never Buffer's shared pool), so transferring it gives away nothing else.
  const data = new Uint8Array(total);
  const lengths: number[] = [];
  let at = 0;
  for (const b of blobs) {
    data.set(b, at);
    at += b.length;
    lengths.push(b.length);
  }
  return { data, lengths };
}

/**
 * A BulkSigner over `threads` worker threads (each request goes to the next thread in turn),
 * or over `signer` itself on this thread when its key cannot be handed to a thread.
 */
export function createBulkSigner(signer: Signer, threads: number): BulkSigner {
  const key = signer.threadKey?.();
  if (key === undefined || threads < 1)
    return { signMany: async (tbs) => tbs.map((t) => signer.sign(t)), close: async () => {} };
  const pending = new Map<number, Pending>();
  let nextId = 0;
  let turn = 0;
  let failure: Error | undefined;
  const workers: Worker[] = [];
  const settle = (m: { id: number; lengths: number[]; data: Uint8Array }) => {
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    if (pending.size === 0) for (const w of workers) w.unref();
    const data = Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength);
    const out: Buffer[] = [];
    let at = 0;
    for (const len of m.lengths) {
      out.push(data.subarray(at, at + len));
      at += len;
    }
    p.resolve(out);
  };
  const fail = (e: unknown) => {
    failure ??= e instanceof Error ? e : new Error(String(e));
    for (const p of pending.values()) p.reject(failure);
    pending.clear();
  };
  for (let i = 0; i < threads; i++) {
    const w = startThread(key, settle);
    w.on('error', fail);
    w.on('exit', (code) => fail(new Error(`signing thread exited (${code})`)));
    workers.push(w);
  }
  return {
    signMany(tbs) {
      if (failure !== undefined) return Promise.reject(failure);
      if (tbs.length === 0) return Promise.resolve([]);
      const id = nextId++;
      const worker = workers[turn++ % workers.length]!;
      const { data, lengths } = concat(tbs);
      return new Promise<Buffer[]>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        // Referenced while it has work: the process waits for the answer, not for idle threads.
        for (const w of workers) w.ref();
        worker.postMessage({ id, lengths, data }, [data.buffer]);
      });
    },
    async close() {
      failure ??= new Error('the bulk signer is closed');
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}
