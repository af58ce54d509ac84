import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { pooledRandom } from './random-pool.js';

describe('pooledRandom', () => {
  test('hands out each octet once, as fresh buffers of the length asked, across refills', () => {
    const random = pooledRandom();
    const seen = new Set<string>();
    let total = 0;
    for (let i = 0; i < 2000; i++) {
      const n = (i % 40) + 1;
      const b = random.bytes(n);
      assert.equal(b.length, n);
      total += n;
      if (n >= 16) {
        const hex = b.toString('hex');
        assert.ok(!seen.has(hex), 'a value came out twice');
        seen.add(hex);
      }
    }
    assert.ok(total > 4096 * 10, 'the pool was refilled several times');
  });

  test('what a caller keeps does not change under later requests', () => {
    const random = pooledRandom();
    const first = random.bytes(32);
    const copy = Buffer.from(first);
    for (let i = 0; i < 1000; i++) random.bytes(16);
    assert.deepEqual(first, copy);
    first.fill(0);
    assert.notDeepEqual(random.bytes(32), Buffer.alloc(32));
  });

  test('requests larger than the pooled size and zero-length requests', () => {
    const random = pooledRandom();
    assert.equal(random.bytes(10_000).length, 10_000);
    assert.equal(random.bytes(0).length, 0);
    assert.throws(() => random.bytes(-1));
  });
});
