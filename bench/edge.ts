// `npm run bench -- --edge`: the HTTP layer's own cost per request (docs/decisions/0002 and
// 0020), the variants of bench/edge-server.ts each in its own process, loaded in turn
// (A, B, A, B, ...) by 32 keep-alive connections from this process: an operator-style JSON
// route on hand-written node:http vs fastify with a TypeBox schema, and a CAS-shaped request
// answered on node:http before fastify vs as a fastify route. The figure that matters is the
// server's CPU time per request (from /proc), which moves less than requests/s with the
// machine's load; both are printed.
import http from 'node:http';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';

/** `--rounds N` (default 3): more rounds narrow the medians on a busy machine. */
const roundsAt = process.argv.indexOf('--rounds');
const ROUNDS = roundsAt > 0 ? Number(process.argv[roundsAt + 1]) : 3;
const SECONDS = 5;
const IN_FLIGHT = 32;

function ticks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const rest = stat
    .slice(stat.lastIndexOf(')') + 2)
    .split(' ')
    .map(Number);
  return (rest[11] ?? 0) + (rest[12] ?? 0);
}

/** An ACS3-signed request's shape as the SDK sends it (headers only: the gateway is a stub here). */
const CAS_HEADERS = {
  host: '127.0.0.1',
  'x-acs-action': 'DescribeCertificateState',
  'x-acs-version': '2020-04-07',
  'x-acs-date': '2026-01-01T00:00:00Z',
  'x-acs-signature-nonce': '0123456789abcdef0123456789abcdef',
  'x-acs-content-sha256': 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  'user-agent': 'AlibabaCloud (linux; x64) Node.js/v20 Core/1.0.1 TeaDSL/2',
  'content-type': 'application/x-www-form-urlencoded',
  authorization:
    'ACS3-HMAC-SHA256 Credential=LTAI0000000000000000,SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=0000000000000000000000000000000000000000000000000000000000000000',
  'content-length': '0',
};

async function measure(variant: string): Promise<{ rps: number; cpuUs: number }> {
  const server = spawn(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(new URL('./edge-server.ts', import.meta.url)), variant],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const port = await new Promise<number>((resolve) =>
    server.stdout.once('data', (d: Buffer) => resolve(Number(String(d).trim()))),
  );
  const agent = new http.Agent({ keepAlive: true, maxSockets: IN_FLIGHT });
  const cas = variant.startsWith('cas-');
  const body = cas ? '' : JSON.stringify({ Name: 'Tom', Email: 'tom@example.com', Mobile: '13900001111' });
  const target = cas
    ? { path: '/?OrderId=1234', headers: CAS_HEADERS, expect: 200 }
    : {
        path: '/v1/accounts/7/contacts',
        headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) },
        expect: 201,
      };
  const post = () =>
    new Promise<void>((resolve, reject) => {
      const req = http.request(
        { port, host: '127.0.0.1', method: 'POST', path: target.path, agent, headers: target.headers },
        (res) => {
          res.resume();
          res.on('end', () =>
            res.statusCode === target.expect ? resolve() : reject(new Error(`${variant}: status ${res.statusCode}`)),
          );
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  let stop = performance.now() + 1000;
  let count = 0;
  const loop = async () => {
    while (performance.now() < stop) {
      await post();
      count++;
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, loop)); // warm-up
  count = 0;
  const t0 = ticks(server.pid!);
  const started = performance.now();
  stop = started + SECONDS * 1000;
  await Promise.all(Array.from({ length: IN_FLIGHT }, loop));
  const elapsed = (performance.now() - started) / 1000;
  const cpuSeconds = (ticks(server.pid!) - t0) / 100; // USER_HZ
  agent.destroy();
  server.kill();
  return { rps: count / elapsed, cpuUs: (cpuSeconds * 1e6) / count };
}

export async function runEdgeBench(): Promise<void> {
  const results: Record<string, Array<{ rps: number; cpuUs: number }>> = {
    node: [],
    fastify: [],
    'cas-node': [],
    'cas-fastify': [],
  };
  for (let i = 0; i < ROUNDS; i++)
    for (const v of Object.keys(results)) {
      process.stderr.write(`bench --edge: ${v}, round ${i + 1}\n`);
      results[v]!.push(await measure(v));
    }
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  process.stdout.write(
    `certdesk bench --edge (node ${process.version}, ${ROUNDS} alternating rounds of ${SECONDS} s, ${IN_FLIGHT} in flight)\n`,
  );
  for (const [v, rs] of Object.entries(results)) {
    process.stdout.write(
      `  ${v.padEnd(12)} req/s ${rs.map((r) => Math.round(r.rps)).join(' / ')}  server CPU per request ${rs.map((r) => r.cpuUs.toFixed(1)).join(' / ')} us (median ${median(rs.map((r) => r.cpuUs)).toFixed(1)})\n`,
    );
  }
}
