// `npm run bench -- --edge`: the HTTP framework's own cost, for docs/decisions/0020. The same
// operator-style route (JSON body in, 201 JSON out) served by a hand-written node:http router
// (bench/edge-server.ts "node") and by fastify with a TypeBox schema ("fastify"), each in its
// own process, loaded in turn (A, B, A, B, ...) by 32 keep-alive connections from this process.
// The figure that matters is the server's CPU time per request (from /proc), which moves
// less than requests/s with the machine's load; both are printed.
import http from 'node:http';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';

const ROUNDS = 3;
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
  const body = JSON.stringify({ Name: 'Tom', Email: 'tom@example.com', Mobile: '13900001111' });
  const post = () =>
    new Promise<void>((resolve, reject) => {
      const req = http.request(
        {
          port,
          host: '127.0.0.1',
          method: 'POST',
          path: '/v1/accounts/7/contacts',
          agent,
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        },
        (res) => {
          res.resume();
          res.on('end', () => (res.statusCode === 201 ? resolve() : reject(new Error(`status ${res.statusCode}`))));
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
  const results: Record<string, Array<{ rps: number; cpuUs: number }>> = { node: [], fastify: [] };
  for (let i = 0; i < ROUNDS; i++)
    for (const v of ['node', 'fastify']) {
      process.stderr.write(`bench --edge: ${v}, round ${i + 1}\n`);
      results[v]!.push(await measure(v));
    }
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  process.stdout.write(
    `certdesk bench --edge (node ${process.version}, ${ROUNDS} alternating rounds of ${SECONDS} s, ${IN_FLIGHT} in flight)\n`,
  );
  for (const [v, rs] of Object.entries(results)) {
    process.stdout.write(
      `  ${v.padEnd(8)} req/s ${rs.map((r) => Math.round(r.rps)).join(' / ')}  server CPU per request ${rs.map((r) => r.cpuUs.toFixed(1)).join(' / ')} us (median ${median(rs.map((r) => r.cpuUs)).toFixed(1)})\n`,
    );
  }
}
