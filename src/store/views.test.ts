// The views are types: what this file checks happens at compile time (`npm run typecheck`
// fails if a read view starts exposing a write), and the one runtime test confirms that a
// real Store is what app/ hands out under those types.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Store } from './store.js';
import type { AcmeReadView, AdmissionView, PublicReadView, StoreView } from './views.js';
import type { EventRepos } from '../orders/events.js';
import type { OrderEngine } from '../orders/engine.js';

// Compile-time checks, never called.
export function readViewsCannotWrite(pub: PublicReadView, acme: AcmeReadView, events: EventRepos): void {
  // @ts-expect-error a relying-party view reads CRLs, it does not store them
  void pub.repos.crls.save;
  // @ts-expect-error nor reaches any other table
  void pub.repos.orders;
  // @ts-expect-error an ACME view reads orders, it does not move them
  void acme.repos.orders.moveOrder;
  // @ts-expect-error nor opens a transaction
  void acme.writeTransaction;
  // @ts-expect-error event sinks read orders, they never move them
  void events.orders.moveOrder;
  void events.notices.insertIfNew; // ...and do write their own outbox
}

export function narrowedViewsHoldOnlyTheirTables(
  cancel: StoreView<'orders' | 'jobs', 'certificates'>,
  gate: AdmissionView,
  engine: OrderEngine,
): void {
  void cancel.repos.orders.moveOrder;
  // @ts-expect-error certificates are read-only here
  void cancel.repos.certificates.markRevoked;
  // @ts-expect-error and plans are not in the view at all
  void cancel.repos.plans;
  // @ts-expect-error the gateway admits requests; it cannot touch orders
  void gate.repos.orders;
  // @ts-expect-error a front end holds the engine's use cases, not its store
  void engine.store;
}

test('a Store is handed out as any of the views', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'certdesk-views-'));
  const store = await Store.open({ kind: 'sqlite', target: join(dir, 'views.db') });
  try {
    const pub: PublicReadView = store;
    const acme: AcmeReadView = store;
    const gate: AdmissionView = store;
    await pub.ping();
    assert.equal(await acme.repos.orders.getById(1), undefined);
    assert.equal(typeof gate.repos.admissions.admit, 'function');
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
