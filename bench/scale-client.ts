// A raw CAS API client for the scale bench (bench/scale.ts): requests signed with signAcs3
// (Alibaba Cloud API reference, request syntax and V3 signature (ACS3-HMAC-SHA256), §3.1) and sent with node:http over keep-alive agents. The official SDK costs
// far more CPU per call than the server does per request, and on a 2-core machine the load
// generator competes with the server for the same cores, so its cost has to stay small.

import http from 'node:http';
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { signAcs3 } from '../src/api/cas/signature.js';

/** The API version every request names (Alibaba Cloud API reference, request syntax and V3 signature (ACS3-HMAC-SHA256)); as src/api/cas/gateway.ts's CAS_API_VERSION. */
const CAS_API_VERSION = '2020-04-07';

export interface ScaleKey {
  accessKeyId: string;
  secret: string;
}

export interface CasReply {
  status: number;
  body: Record<string, unknown>;
}

let cachedSecond = -1;
let cachedDate = '';
/** x-acs-date, `YYYY-MM-DDThh:mm:ssZ`, recomputed once per second. */
function acsDate(): string {
  const s = Math.floor(Date.now() / 1000);
  if (s !== cachedSecond) {
    cachedSecond = s;
    cachedDate = new Date(s * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  }
  return cachedDate;
}

// Nonces: a random per-thread prefix and a counter, so that no two requests share one (§3.1).
const noncePrefix = randomBytes(8).toString('hex');
let nonceCounter = 0;

export function keepAliveAgent(sockets: number): http.Agent {
  return new http.Agent({ keepAlive: true, maxSockets: sockets, maxFreeSockets: sockets });
}

function signedRequest(
  endpoint: string,
  key: ScaleKey,
  action: string,
  params: Record<string, string>,
): { path: string; headers: Record<string, string> } {
  return signAcs3({
    accessKeyId: key.accessKeyId,
    secret: key.secret,
    host: endpoint,
    action,
    version: CAS_API_VERSION,
    params,
    date: acsDate(),
    nonce: `${noncePrefix}${(nonceCounter++).toString(36)}`,
  });
}

/**
 * One keep-alive HTTP/1.1 connection that sends one signed request at a time and reads the
 * reply with no more parsing than Content-Length framing needs: the measuring client of the
 * load phases, several times cheaper per request than node:http's client (whose CPU would
 * otherwise be taken from the server on a 2-core machine). The body is parsed only on a
 * non-200 status, to report why.
 */
export class RawCasConnection {
  private readonly socket: net.Socket;
  private buf: Buffer = Buffer.alloc(0);
  private waiting: { resolve: (r: { status: number; text?: string }) => void; reject: (e: Error) => void } | undefined;
  private failure: Error | undefined;

  constructor(private readonly endpoint: string) {
    const colon = endpoint.lastIndexOf(':');
    this.socket = net.connect(Number(endpoint.slice(colon + 1)), endpoint.slice(0, colon));
    this.socket.setNoDelay(true);
    this.socket.on('data', (d: Buffer) => this.onData(d));
    const fail = (e: Error) => {
      this.failure = e;
      const w = this.waiting;
      this.waiting = undefined;
      w?.reject(e);
    };
    this.socket.on('error', fail);
    this.socket.on('close', () => fail(new Error('connection closed by the server')));
  }

  /** Resolves with the HTTP status (and, unless it is 200, the body). */
  call(key: ScaleKey, action: string, params: Record<string, string>): Promise<{ status: number; text?: string }> {
    if (this.failure) return Promise.reject(this.failure);
    const { path, headers } = signedRequest(this.endpoint, key, action, params);
    let head = `POST ${path} HTTP/1.1\r\n`;
    for (const [name, value] of Object.entries(headers)) head += `${name}: ${value}\r\n`;
    head += 'content-length: 0\r\n\r\n';
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
      this.socket.write(head);
    });
  }

  private onData(d: Buffer): void {
    this.buf = this.buf.length === 0 ? d : Buffer.concat([this.buf, d]);
    const end = this.buf.indexOf('\r\n\r\n');
    if (end < 0) return;
    const head = this.buf.toString('latin1', 0, end);
    const m = /\r\ncontent-length: *(\d+)/i.exec(head);
    if (!m) {
      this.socket.destroy(new Error(`reply without content-length: ${head.slice(0, 80)}`));
      return;
    }
    const total = end + 4 + Number(m[1]);
    if (this.buf.length < total) return;
    const status = Number(head.slice(9, 12));
    const text = status === 200 ? undefined : this.buf.toString('utf8', end + 4, total);
    this.buf = this.buf.subarray(total);
    const w = this.waiting;
    this.waiting = undefined;
    w?.resolve({ status, text });
  }

  close(): void {
    this.socket.destroy();
  }
}

/** One signed POST to `endpoint` (host:port); resolves with the status and the parsed JSON body. */
export function callCas(
  endpoint: string,
  agent: http.Agent,
  key: ScaleKey,
  action: string,
  params: Record<string, string>,
): Promise<CasReply> {
  const { path, headers } = signedRequest(endpoint, key, action, params);
  const colon = endpoint.lastIndexOf(':');
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: endpoint.slice(0, colon),
        port: Number(endpoint.slice(colon + 1)),
        method: 'POST',
        path,
        headers: { ...headers, 'content-length': '0' },
        agent,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          try {
            resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> });
          } catch {
            reject(new Error(`${action}: HTTP ${res.statusCode}, not JSON: ${text.slice(0, 120)}`));
          }
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}
