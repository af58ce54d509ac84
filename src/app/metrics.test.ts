// The registry's text exposition format 0.0.4, byte for byte, on small registries.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MetricsRegistry, escapeLabelValue, formatValue } from './metrics.js';

describe('metrics registry: text exposition format 0.0.4', () => {
  test('counters and histograms render HELP, TYPE, cumulative buckets, _sum and _count', async () => {
    const r = new MetricsRegistry();
    const c = r.counter('req_total', 'Requests.', ['action', 'code']);
    const h = r.histogram('dur_seconds', 'Duration.', ['action'], [0.1, 1]);
    c.inc({ action: 'A', code: 'OK' });
    c.inc({ action: 'A', code: 'OK' });
    c.inc({ action: 'B', code: 'Bad' }, 3);
    h.observe({ action: 'A' }, 0.05);
    h.observe({ action: 'A' }, 0.1); // on a bound: counted in that bucket (le = less or equal)
    h.observe({ action: 'A' }, 2);
    assert.equal(
      await r.render(),
      [
        '# HELP req_total Requests.',
        '# TYPE req_total counter',
        'req_total{action="A",code="OK"} 2',
        'req_total{action="B",code="Bad"} 3',
        '# HELP dur_seconds Duration.',
        '# TYPE dur_seconds histogram',
        'dur_seconds_bucket{action="A",le="0.1"} 2',
        'dur_seconds_bucket{action="A",le="1"} 2',
        'dur_seconds_bucket{action="A",le="+Inf"} 3',
        'dur_seconds_sum{action="A"} 2.15',
        'dur_seconds_count{action="A"} 3',
        '',
      ].join('\n'),
    );
  });

  test('collected families render at each scrape, unlabelled samples without braces', async () => {
    const r = new MetricsRegistry();
    let n = 1;
    r.collect(['g', 'up_total'], () => [
      {
        name: 'g',
        help: 'A gauge.',
        type: 'gauge',
        samples: [
          { labels: { state: 'due' }, value: n },
          { labels: { state: 'leased' }, value: 0 },
        ],
      },
      { name: 'up_total', help: 'Line one\nback\\slash', type: 'counter', samples: [{ value: 7 }] },
    ]);
    const expected = (v: number) =>
      [
        '# HELP g A gauge.',
        '# TYPE g gauge',
        `g{state="due"} ${v}`,
        'g{state="leased"} 0',
        '# HELP up_total Line one\\nback\\\\slash',
        '# TYPE up_total counter',
        'up_total 7',
        '',
      ].join('\n');
    assert.equal(await r.render(), expected(1));
    n = 5;
    assert.equal(await r.render(), expected(5));
  });

  test('an empty family still declares itself', async () => {
    const r = new MetricsRegistry();
    r.counter('none_total', 'Nothing yet.', ['a']);
    assert.equal(await r.render(), '# HELP none_total Nothing yet.\n# TYPE none_total counter\n');
  });

  const escapes: Array<[string, string]> = [
    ['plain', 'plain'],
    ['say "hi"', 'say \\"hi\\"'],
    ['a\\b', 'a\\\\b'],
    ['two\nlines', 'two\\nlines'],
  ];
  for (const [raw, escaped] of escapes) {
    test(`label value ${JSON.stringify(raw)} is escaped`, async () => {
      assert.equal(escapeLabelValue(raw), escaped);
      const r = new MetricsRegistry();
      r.counter('x_total', 'X.', ['v']).inc({ v: raw });
      assert.match(await r.render(), new RegExp(`^x_total\\{v="${escaped.replace(/\\/g, '\\\\')}"\\} 1$`, 'm'));
    });
  }

  const values: Array<[number, string]> = [
    [0, '0'],
    [1.5, '1.5'],
    [Infinity, '+Inf'],
    [-Infinity, '-Inf'],
    [NaN, 'NaN'],
  ];
  for (const [v, s] of values) test(`value ${v} renders as ${s}`, () => assert.equal(formatValue(v), s));

  test('refuses duplicate or malformed names, reserved le, falling buckets and negative increments', () => {
    const r = new MetricsRegistry();
    r.counter('a_total', 'A.');
    assert.throws(() => r.counter('a_total', 'again'), /duplicate/);
    assert.throws(() => r.collect(['a_total'], () => []), /duplicate/);
    assert.throws(() => r.counter('bad-name', 'B.'), /invalid/);
    assert.throws(() => r.counter('b_total', 'B.', ['le']), /invalid label/);
    assert.throws(() => r.histogram('h', 'H.', [], [1, 0.5]), /increase/);
    const c = r.counter('c_total', 'C.');
    assert.throws(() => c.inc({}, -1), /only goes up/);
  });
});
