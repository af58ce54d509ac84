import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createBatcher } from './batcher.js';

test('batcher: calls made while a batch is in flight go together; each gets its own result', async () => {
  const batches: number[][] = [];
  let release!: () => void;
  let gate = new Promise<void>((r) => (release = r));
  const double = createBatcher(
    async (xs: number[]) => {
      batches.push(xs);
      await gate;
      return xs.map((x) => x * 2);
    },
    { maxInFlight: 1 },
  );
  const first = double(1);
  await new Promise((r) => setImmediate(r)); // the first batch leaves alone
  const rest = [double(2), double(3), double(4)];
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(batches, [[1]], 'one batch in flight at a time');
  release();
  gate = Promise.resolve();
  assert.deepEqual(await Promise.all([first, ...rest]), [2, 4, 6, 8]);
  assert.deepEqual(batches, [[1], [2, 3, 4]]);
});

test('batcher: a failed batch fails each of its calls, and later batches still run', async () => {
  let fail = true;
  const f = createBatcher(async (xs: string[]) => {
    if (fail) throw new Error('store down');
    return xs.map((x) => x.toUpperCase());
  });
  const results = await Promise.allSettled([f('a'), f('b')]);
  assert.deepEqual(
    results.map((r) => r.status),
    ['rejected', 'rejected'],
  );
  fail = false;
  assert.equal(await f('c'), 'C');
});

test('batcher: one member the store refuses fails alone; the others of its batch succeed', async () => {
  const batches: string[][] = [];
  // As PostgreSQL refuses a whole multi-row statement for one text value holding a NUL.
  const f = createBatcher(async (xs: string[]) => {
    batches.push(xs);
    if (xs.some((x) => x.includes('\0'))) throw new Error('invalid byte sequence for encoding "UTF8": 0x00');
    return xs.map((x) => x.toUpperCase());
  });
  const results = await Promise.allSettled([f('a'), f('b\0'), f('c'), f('d')]);
  assert.deepEqual(
    results.map((r) => (r.status === 'fulfilled' ? r.value : 'rejected')),
    ['A', 'rejected', 'C', 'D'],
  );
  assert.deepEqual(batches[0], ['a', 'b\0', 'c', 'd'], 'the four went as one batch first');
  assert.equal(batches.length, 5, 'then each member alone');
});

test('batcher: batches never exceed maxBatch; a wrong number of results is an error', async () => {
  const sizes: number[] = [];
  const f = createBatcher(
    async (xs: number[]) => {
      sizes.push(xs.length);
      return xs;
    },
    { maxBatch: 3, maxInFlight: 1 },
  );
  assert.deepEqual(await Promise.all(Array.from({ length: 8 }, (_, i) => f(i))), [0, 1, 2, 3, 4, 5, 6, 7]);
  assert.ok(
    sizes.every((n) => n <= 3),
    `sizes ${sizes.join(',')}`,
  );
  assert.equal(
    sizes.reduce((a, b) => a + b, 0),
    8,
  );

  const short = createBatcher(async (xs: number[]) => xs.slice(1));
  // The batch of two is refused, then each alone (one result short again).
  await assert.rejects(Promise.all([short(1), short(2)]), /0 results for 1 items/);
});
