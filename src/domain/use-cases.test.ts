import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Actor } from './audit.js';
import { actingUseCaseBinder } from './use-cases.js';

// A store that only knows whom it acts for: enough to see which deps a use case was bound to.
interface FakeStore {
  actor: string;
  actingAs(actor: Actor): FakeStore;
}
const fakeStore = (actor: string): FakeStore => ({ actor, actingAs: (a) => fakeStore(`${a.kind}:${a.id ?? ''}`) });

interface Deps {
  store: FakeStore;
  label: string;
}
const USE_CASES = { whoActs: (deps: Deps, suffix: string) => `${deps.store.actor}${suffix}` };

test('actingAs rebinds every use case to a store acting for the actor, and keeps the extras', () => {
  const create = actingUseCaseBinder<Deps, typeof USE_CASES, { label: string }>(USE_CASES, (deps) => ({
    label: deps.label,
  }));
  const service = create({ store: fakeStore('system'), label: 'orders' });
  assert.equal(service.whoActs('!'), 'system!');
  const acting = service.actingAs({ kind: 'operator', id: 'cli:alice', remoteAddress: null });
  assert.equal(acting.whoActs('?'), 'operator:cli:alice?');
  assert.equal(acting.label, 'orders');
  // The original binding is unchanged, and a binding made per request can act again.
  assert.equal(service.whoActs(''), 'system');
  assert.equal(acting.actingAs({ kind: 'system', id: null, remoteAddress: null }).whoActs(''), 'system:');
});
