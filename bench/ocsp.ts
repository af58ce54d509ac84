// OCSP responses served per second over HTTP on loopback ("`npm run bench` adds ...
// OCSP responses/s served"). certdesk runs in-process on SQLite with one issued certificate;
// the clients are keep-alive HTTP connections in a worker thread, so that they do not share
// the server's event loop. Three figures: the stored response by GET (the RFC 5019 case a
// relying party or a stapling server makes), the same by POST, and GETs for never-issued
// serials, each answered unknown and signed on the fly (the cost of an attacker's requests).

import { randomBytes } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { createAccount } from '../src/accounts/accounts.js';
import { OID_SHA1, buildOcspRequest, computeIssuerHashes, encodeCertId } from '../src/ca/ocsp.js';
import { generateSerial } from '../src/ca/serial.js';
import { startCertdesk } from '../test/support/harness.js';
import { formatCount } from './table.js';

const CONCURRENCY = 32;

interface ClientInput {
  host: string;
  port: number;
  mode: 'get' | 'post' | 'unknown';
  /** The DER request (its serial is replaced per request in 'unknown' mode). */
  request: Buffer;
  serialOffset: number;
  serialLength: number;
  concurrency: number;
  warmupMs: number;
  measureMs: number;
}

interface ClientResult {
  ok: number;
  bad: number;
  seconds: number;
}

// Plain JavaScript, run as an eval'd worker (no TypeScript loader needed in the thread).
const CLIENT = `
const { parentPort, workerData: w } = require('node:worker_threads');
const http = require('node:http');
const { randomFillSync } = require('node:crypto');
const agent = new http.Agent({ keepAlive: true, maxSockets: w.concurrency });
const request = Buffer.from(w.request);
const getPath = '/ocsp/' + encodeURIComponent(request.toString('base64'));
let counting = false, ok = 0, bad = 0, countedFrom = 0;
function successful(b) {
  // OCSPResponse ::= SEQUENCE { responseStatus ENUMERATED successful(0), ... }
  if (b.length < 8 || b[0] !== 0x30) return false;
  const at = b[1] & 0x80 ? 2 + (b[1] & 0x7f) : 2;
  return b[at] === 0x0a && b[at + 1] === 0x01 && b[at + 2] === 0x00;
}
function next() {
  if (w.mode === 'post') return { method: 'POST', path: '/ocsp', body: request };
  if (w.mode === 'get') return { method: 'GET', path: getPath };
  const r = Buffer.from(request);
  randomFillSync(r, w.serialOffset, w.serialLength);
  r[w.serialOffset] = (r[w.serialOffset] & 0x7f) || 1;
  return { method: 'GET', path: '/ocsp/' + encodeURIComponent(r.toString('base64')) };
}
function once() {
  return new Promise((resolve) => {
    const r = next();
    const headers = r.body ? { 'content-type': 'application/ocsp-request', 'content-length': r.body.length } : {};
    const req = http.request({ host: w.host, port: w.port, method: r.method, path: r.path, agent, headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        if (counting) (res.statusCode === 200 && successful(Buffer.concat(chunks)) ? ok++ : bad++);
        resolve();
      });
    });
    req.on('error', () => { if (counting) bad++; resolve(); });
    req.end(r.body);
  });
}
const end = Date.now() + w.warmupMs + w.measureMs;
setTimeout(() => { counting = true; countedFrom = Date.now(); }, w.warmupMs);
async function loop() { while (Date.now() < end) await once(); }
Promise.all(Array.from({ length: w.concurrency }, loop)).then(() => {
  parentPort.postMessage({ ok, bad, seconds: (Date.now() - countedFrom) / 1000 });
  agent.destroy();
});
`;

function runClient(input: ClientInput): Promise<ClientResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(CLIENT, { eval: true, workerData: input });
    worker.once('message', (m: ClientResult) => {
      resolve(m);
      void worker.terminate();
    });
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the OCSP client thread exited (${code}) before reporting`)));
  });
}

function figure(r: ClientResult): string {
  const rate = r.ok / r.seconds;
  return r.bad > 0 ? `${formatCount(rate)} (${r.bad} failed)` : formatCount(rate);
}

export async function runOcspBench(opts: { quick: boolean }): Promise<Array<{ label: string; value: string }>> {
  const timing = opts.quick ? { warmupMs: 300, measureMs: 1000 } : { warmupMs: 1000, measureMs: 4000 };
  const cd = await startCertdesk();
  try {
    const issuerId = cd.server.orders.ca.id;
    const issuer = cd.server.hierarchy.issuing;
    const key = await createAccount(cd.ctx.accounts, 'OCSP Bench');
    // One issued certificate, as a row: its status is all OCSP reads.
    const serial = generateSerial({ bytes: (n) => randomBytes(n) });
    const now = Date.now();
    await cd.ctx.store.repos.certificates.insert({
      accountId: key.AccountId,
      orderId: null,
      source: 'issued',
      name: 'ocsp-bench',
      serial: serial.toString('hex').toUpperCase(),
      issuerId,
      state: 'issued',
      tbsDer: null,
      certDer: null,
      chainPem: null,
      keySealed: null,
      commonName: 'ocsp-bench.example.com',
      sans: ['ocsp-bench.example.com'],
      issuerCn: 'bench',
      notBefore: now - 3_600_000,
      notAfter: now + 90 * 86_400_000,
      sha1: '',
      sha256: '',
      orgName: '',
      country: '',
      province: '',
      city: '',
      revokedAt: null,
      revocationReason: null,
      deletedAt: null,
      createdAt: now,
      crlShard: null,
    });
    const request = buildOcspRequest([encodeCertId(OID_SHA1, computeIssuerHashes(issuer, 'sha1'), serial)]);
    const serialOffset = request.indexOf(serial);
    const { hostname, port } = new URL(cd.server.apiUrl);
    // The first request signs and stores the response; every later one is served from the store or the cache.
    const first = await fetch(`${cd.server.apiUrl}/ocsp`, {
      method: 'POST',
      headers: { 'content-type': 'application/ocsp-request' },
      body: new Uint8Array(request),
    });
    if (first.status !== 200) throw new Error(`OCSP bench: the responder answered ${first.status}`);
    const base = {
      host: hostname,
      port: Number(port),
      request,
      serialOffset,
      serialLength: serial.length,
      concurrency: CONCURRENCY,
      ...timing,
    };
    const get = await runClient({ ...base, mode: 'get' });
    const post = await runClient({ ...base, mode: 'post' });
    const unknown = await runClient({ ...base, mode: 'unknown' });
    return [
      { label: `OCSP GET, stored response (responses/s, ${CONCURRENCY} connections)`, value: figure(get) },
      { label: 'OCSP POST, stored response (responses/s)', value: figure(post) },
      { label: 'OCSP GET, never-issued serials, signed per request (responses/s)', value: figure(unknown) },
    ];
  } finally {
    await cd.close();
  }
}
