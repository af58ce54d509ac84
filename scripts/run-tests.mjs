#!/usr/bin/env node
// Runs every *.test.ts under src/ and test/ with node's own test runner (through tsx).
// Node 20's `--test` does not expand globs itself, hence this small finder.
// Usage: node scripts/run-tests.mjs [--store-suites] [substring-filter ...]
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
function find(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...find(p));
    else if (name.endsWith('.test.ts')) out.push(relative(root, p));
  }
  return out;
}
// --store-suites: only the suites that touch a store (the PostgreSQL run of CI): the tests in
// src/store/ (contract, copy) and the end-to-end tests. Pure unit tests need not run twice.
const storeOnly = process.argv.includes('--store-suites');
const filters = process.argv.slice(2).filter((a) => a !== '--store-suites');
const files = ['src', 'test']
  .flatMap((d) => find(join(root, d)))
  .filter((f) => !storeOnly || /\.e2e\.test\.ts$|^src\/store\/.*\.test\.ts$/.test(f))
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort();
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}
// A test that hangs fails after 5 minutes instead of holding CI; --test-force-exit ends the
// run once every test has finished even if a handle was left open. CERTDESK_TEST_TIMEOUT_MS
// gives slower runs more (`npm run coverage`: c8's instrumented code on a loaded machine took
// more than 5 minutes for whole end-to-end files).
const timeoutMs = Number(process.env.CERTDESK_TEST_TIMEOUT_MS) || 300_000;
const r = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=2', `--test-timeout=${timeoutMs}`, '--test-force-exit', ...files],
  {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env },
  },
);
process.exit(r.status ?? 1);
