// docs/errors.md lists every CertError kind with its CAS form; this keeps the two equal
// (docs/ARCHITECTURE.md, principle 1).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ERROR_KINDS } from '../src/domain/errors.js';
import { CAS_ERROR_CODES } from '../src/api/cas/error-codes.js';
import { ACME_PROBLEMS } from '../src/api/acme/problems.js';

test('docs/errors.md lists exactly the error kinds, with their CAS code and status', () => {
  const text = readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8').split('\n## ACME\n')[0]!;
  const rows = new Map<string, { code: string; status: number }>();
  for (const line of text.split('\n')) {
    const m = /^\| ([a-z_]+) \| ([A-Za-z.0-9]+) \| (\d{3}) \|/.exec(line);
    if (m) rows.set(m[1]!, { code: m[2]!, status: Number(m[3]) });
  }
  assert.deepEqual([...rows.keys()].sort(), [...ERROR_KINDS].sort());
  for (const kind of ERROR_KINDS) assert.deepEqual(rows.get(kind), CAS_ERROR_CODES[kind], kind);
});

test('docs/errors.md lists every kind with its ACME problem type and status', () => {
  const text = readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8').split('\n## ACME\n')[1] ?? '';
  const rows = new Map<string, { type: string; status: number }>();
  for (const line of text.split('\n')) {
    const m = /^\| ([a-z_]+) \| ([A-Za-z]+) \| (\d{3}) \|/.exec(line);
    if (m) rows.set(m[1]!, { type: m[2]!, status: Number(m[3]) });
  }
  assert.deepEqual([...rows.keys()].sort(), [...ERROR_KINDS].sort());
  for (const kind of ERROR_KINDS) assert.deepEqual(rows.get(kind), { ...ACME_PROBLEMS[kind] }, kind);
});
