// Micro-benchmark: parseCsr() (+ checkSubscriberKey) throughput on CSRs made by `openssl req`.
// Prints numbers only; nothing here is asserted (docs/ARCHITECTURE.md: performance is measured
// by benchmarks, never by timed tests).
//
//   node --import tsx bench/csr-micro.ts [iterations]

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseCsr } from '../src/ca/csr.js';
import { checkSubscriberKey } from '../src/policy/key-rules.js';

const KINDS: Array<{ name: string; newkey: string[] }> = [
  { name: 'RSA-2048', newkey: ['-newkey', 'rsa:2048'] },
  { name: 'RSA-4096', newkey: ['-newkey', 'rsa:4096'] },
  { name: 'P-256', newkey: ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'] },
  { name: 'P-384', newkey: ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-384'] },
];

export async function runCsrMicroBench(iterations = 2000): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'certdesk-csr-bench-'));
  try {
    for (const kind of KINDS) {
      const out = join(dir, `${kind.name}.csr`);
      execFileSync(
        'openssl',
        [
          'req',
          '-new',
          ...kind.newkey,
          '-nodes',
          '-keyout',
          join(dir, `${kind.name}.key`),
          '-subj',
          '/CN=www.example.com',
          '-addext',
          'subjectAltName=DNS:www.example.com,DNS:example.com',
          '-out',
          out,
        ],
        { stdio: 'ignore' },
      );
      const pem = readFileSync(out, 'utf8');
      for (let i = 0; i < 50; i++) checkSubscriberKey((await parseCsr(pem)).key); // warm-up
      let t = process.hrtime.bigint();
      for (let i = 0; i < iterations; i++) await parseCsr(pem);
      const parseNs = Number(process.hrtime.bigint() - t) / iterations;
      t = process.hrtime.bigint();
      for (let i = 0; i < iterations; i++) checkSubscriberKey((await parseCsr(pem)).key);
      const bothNs = Number(process.hrtime.bigint() - t) / iterations;
      console.log(
        `${kind.name.padEnd(9)} parseCsr ${(parseNs / 1000).toFixed(1).padStart(7)} µs (${Math.round(1e9 / parseNs)}/s)` +
          `   + checkSubscriberKey ${(bothNs / 1000).toFixed(1).padStart(7)} µs (${Math.round(1e9 / bothNs)}/s)`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runCsrMicroBench(Number(process.argv[2] ?? 2000));
}
