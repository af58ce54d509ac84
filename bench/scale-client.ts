// A raw CAS API client for the scale bench (bench/scale.ts): requests signed with signAcs3
// (CAS doc §2.1, §3.1) and sent with node:http over keep-alive agents. The official SDK costs
// far more CPU per call than the server does per request, and on a 2-core machine the load
// generator competes with the server for the same cores, so its cost has to stay small.

import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { signAcs3 } from '../src/api/cas/signature.js';

/** The API version every request names (CAS doc §2.1); as src/api/cas/gateway.ts's CAS_API_VERSION. */
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

/** One signed POST to `endpoint` (host:port); resolves with the status and the parsed JSON body. */
export function callCas(endpoint: string, agent: http.Agent, key: ScaleKey, action: string, params: Record<string, string>): Promise<CasReply> {
  const { path, headers } = signAcs3({
    accessKeyId: key.accessKeyId,
    secret: key.secret,
    host: endpoint,
    action,
    version: CAS_API_VERSION,
    params,
    date: acsDate(),
    nonce: `${noncePrefix}${(nonceCounter++).toString(36)}`,
  });
  const colon = endpoint.lastIndexOf(':');
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: endpoint.slice(0, colon), port: Number(endpoint.slice(colon + 1)), method: 'POST', path, headers: { ...headers, 'content-length': '0' }, agent },
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
