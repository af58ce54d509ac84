// Imports point downward only (docs/ARCHITECTURE.md): a cycle or an upward arrow between
// layers is a design bug, so this test reads every import in src/ and checks the layer order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = fileURLToPath(new URL('../src/', import.meta.url));

// Lower number = lower layer. A module may import its own layer's folder or any lower layer.
const LAYERS: Record<string, number> = {
  domain: 0,
  crypto: 1,
  policy: 2,
  config: 2,
  ca: 3,
  validation: 3,
  store: 3,
  // The HTTP edge: fastify app factory, error-form plumbing; imports only domain/.
  'api/edge': 4,
  worker: 4,
  accounts: 5,
  orders: 6,
  status: 7,
  notices: 7,
  // The audit trail: the order-event sink that records what the engine did, and its listing.
  audit: 7,
  'api/cas': 8,
  'api/admin': 8,
  'api/public': 8,
  // ACME (RFC 8555): JWS checks, problem documents, one file per resource; bound use cases of orders/acme.
  'api/acme': 8,
  // The web console: pages over the same bound use cases and read views as the other fronts.
  'api/console': 8,
  app: 9,
  cli: 10,
};

/** Front ends: they change state only through use cases, so they never hold the Store itself (store/views.ts). */
const FRONTS = ['api/cas', 'api/admin', 'api/public', 'api/acme', 'api/console'];
const FRONT_STORE_IMPORTS = /^(views|schema)\.ts$|^repos\//;

function layerOf(file: string): string {
  const rel = relative(SRC, file).replace(/\\/g, '/');
  if (rel.startsWith('api/')) return rel.split('/').slice(0, 2).join('/');
  return rel.split('/')[0]!;
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? walk(p) : /\.tsx?$/.test(p) && !/\.test\.tsx?$/.test(p) ? [p] : [];
  });
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"](\.[^'"]+)['"]/g;

test('imports between src/ layers point one way', () => {
  const violations: string[] = [];
  for (const file of walk(SRC)) {
    const from = layerOf(file);
    assert.ok(from in LAYERS, `unknown layer ${from} (${file}): add it to LAYERS and docs/ARCHITECTURE.md`);
    for (const m of readFileSync(file, 'utf8').matchAll(IMPORT)) {
      const target = resolve(dirname(file), m[1]!);
      const to = layerOf(target);
      if (to === from) continue;
      // api/admin and api/public reuse the CAS renderer and views: same layer, one direction only.
      if (from === 'api/admin' && to === 'api/cas') continue;
      // Relying-party endpoints answer errors in the CAS form too.
      if (from === 'api/public' && to === 'api/cas') continue;
      // The console names errors by the CAS catalogue's codes.
      if (from === 'api/console' && to === 'api/cas') continue;
      if (!(to in LAYERS) || LAYERS[to]! >= LAYERS[from]!)
        violations.push(`${relative(SRC, file)} -> ${m[1]} (${from} -> ${to})`);
    }
  }
  assert.deepEqual(violations, []);
});

test('front ends import from the store only its views, row types and repository types', () => {
  const violations: string[] = [];
  for (const file of walk(SRC)) {
    if (!FRONTS.includes(layerOf(file))) continue;
    for (const m of readFileSync(file, 'utf8').matchAll(IMPORT)) {
      const target = resolve(dirname(file), m[1]!).replace(/\.js$/, '.ts');
      if (layerOf(target) !== 'store') continue;
      const inStore = relative(join(SRC, 'store'), target).replace(/\\/g, '/');
      const typeOnly = /^\s*(?:import|export)\s+type\s/.test(m[0].trimStart());
      if (!FRONT_STORE_IMPORTS.test(inStore) || (inStore.startsWith('repos/') && !typeOnly))
        violations.push(`${relative(SRC, file)} -> ${m[1]}`);
    }
  }
  assert.deepEqual(violations, []);
});
