// The store contract: every repository behaves the same on SQLite and on PostgreSQL.
// SQLite always runs; PostgreSQL runs when CERTDESK_TEST_DATABASE_URL is set (CI sets it),
// each run in a schema of its own.
import { sql } from 'kysely';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Store, type StoreLocation } from './store.js';
import type { NewCertificate, NewOrder } from './mappers.js';
import type { Repos } from './store.js';
import {
  DELETABLE_STATES,
  INITIAL_ORDER_STATES,
  ORDER_STATES,
  canTransition,
  predecessorsOf,
  type OrderState,
} from '../domain/order.js';
import { dropTestSchema } from '../../test/support/pg.js';
import { backfillPlanUsedCount } from './migrations/0016-plan-used-count.js';

const locations: Array<[string, () => StoreLocation]> = [];
const dir = mkdtempSync(join(tmpdir(), 'certdesk-store-'));
locations.push(['sqlite', () => ({ kind: 'sqlite', target: join(dir, `${randomBytes(4).toString('hex')}.db`) })]);
const pgUrl = process.env.CERTDESK_TEST_DATABASE_URL;
const schemas: string[] = [];
if (pgUrl) {
  locations.push([
    'postgres',
    () => {
      const schema = `t_${randomBytes(6).toString('hex')}`;
      schemas.push(schema);
      return { kind: 'postgres', target: pgUrl, postgres: { schema } };
    },
  ]);
}

/** An order as submit-application.ts writes one; `over` sets what a test is about. */
function newOrder(over: Partial<NewOrder> & Pick<NewOrder, 'accountId' | 'planId'>, n = 1): NewOrder {
  return {
    productCode: 'p1',
    state: 'domain_verify',
    names: [`r${n}.example.com`],
    validateType: 'DNS',
    keyAlgorithm: 'ecdsa-p256',
    spki: 'AA==',
    csrDer: null,
    keySealed: null,
    contact: { name: 'n', phone: '1', email: 'e@x.com' },
    companyId: null,
    company: null,
    tags: [],
    failReason: null,
    approvedAt: null,
    validationDeadline: 9,
    caaCheckedAt: null,
    renewedFrom: null,
    createdAt: 1,
    updatedAt: 1,
    ...over,
  };
}

/**
 * The moves that take a new order to `state`, found in the state table itself (breadth
 * first from the initial states): each state is reached the way the engine reaches it.
 */
function pathTo(state: OrderState): { start: NewOrder['state']; moves: OrderState[] } {
  const queue: Array<{ start: NewOrder['state']; at: OrderState; moves: OrderState[] }> = INITIAL_ORDER_STATES.map(
    (s) => ({ start: s, at: s, moves: [] }),
  );
  const seen = new Set<OrderState>(INITIAL_ORDER_STATES);
  for (let i = 0; i < queue.length; i++) {
    const p = queue[i]!;
    if (p.at === state) return { start: p.start, moves: p.moves };
    for (const next of ORDER_STATES) {
      if (!seen.has(next) && canTransition(p.at, next)) {
        seen.add(next);
        queue.push({ start: p.start, at: next, moves: [...p.moves, next] });
      }
    }
  }
  throw new Error(`no state table path reaches ${state}`);
}

/** A new order of the account, moved to `state` along the table. */
async function orderIn(repos: Repos, accountId: number, planId: number, state: OrderState, n = 1) {
  const { start, moves } = pathTo(state);
  const order = await repos.orders.insert(newOrder({ accountId, planId, state: start }, n));
  for (const to of moves) assert.equal(await repos.orders.moveOrder(order.id, { to }), true, `-> ${to}`);
  return order.id;
}

function newCertificate(over: Partial<NewCertificate> & Pick<NewCertificate, 'accountId'>): NewCertificate {
  return {
    orderId: null,
    source: 'issued',
    name: 'c',
    serial: 'AB',
    issuerId: null,
    state: 'issued',
    tbsDer: null,
    certDer: 'AA==',
    chainPem: null,
    keySealed: null,
    commonName: 'r1.example.com',
    sans: ['r1.example.com'],
    issuerCn: 'i',
    notBefore: 1,
    notAfter: 2,
    sha1: 's1',
    sha256: 's256',
    orgName: '',
    country: '',
    province: '',
    city: '',
    revokedAt: null,
    revocationReason: null,
    deletedAt: null,
    createdAt: 1,
    crlShard: null,
    ...over,
  };
}

after(async () => {
  rmSync(dir, { recursive: true, force: true });
  for (const schema of schemas) await dropTestSchema(pgUrl, schema);
});

for (const [name, location] of locations) {
  describe(`store contract (${name})`, () => {
    let store: Store;
    before(async () => {
      store = await Store.open(location());
    });
    after(async () => store?.close());

    test('migrations are idempotent: opening the same store twice works', async () => {
      const loc = location();
      const s1 = await Store.open(loc);
      await s1.close();
      const s2 = await Store.open(loc);
      await s2.ping();
      await s2.close();
    });

    test('console sessions expire; a sign-in link is consumed once, by one of two racing requests', async () => {
      const acct = await store.repos.accounts.create('Console', 1);
      const cs = store.repos.consoleSessions;
      await cs.insertSession({
        id: 'a'.repeat(64),
        kind: 'customer',
        account_id: acct.id,
        access_key_id: null,
        scope_order_id: 7,
        csrf: 'tok',
        created_at: 1,
        expires_at: 1_000,
      });
      const got = await cs.getSession('a'.repeat(64), 999);
      assert.deepEqual(got, {
        id: 'a'.repeat(64),
        kind: 'customer',
        account_id: acct.id,
        access_key_id: null,
        scope_order_id: 7,
        csrf: 'tok',
        created_at: 1,
        expires_at: 1_000,
      });
      assert.equal(await cs.getSession('a'.repeat(64), 1_000), undefined, 'expired at expires_at');
      await cs.insertLink({
        id: 'b'.repeat(64),
        account_id: acct.id,
        scope_order_id: null,
        created_at: 1,
        expires_at: 2_000,
        used_at: null,
      });
      assert.equal(await cs.consumeLink('b'.repeat(64), 2_000), undefined, 'expired');
      const [x, y] = await Promise.all([cs.consumeLink('b'.repeat(64), 1_500), cs.consumeLink('b'.repeat(64), 1_500)]);
      assert.equal([x, y].filter(Boolean).length, 1, 'one winner');
      assert.equal((x ?? y)!.used_at, 1_500);
      assert.equal(await cs.consumeLink('b'.repeat(64), 1_600), undefined, 'used');
      assert.equal(await cs.purgeExpired(2_000), 2);
      await cs.insertSession({
        id: 'c'.repeat(64),
        kind: 'operator',
        account_id: null,
        access_key_id: null,
        scope_order_id: null,
        csrf: 't',
        created_at: 1,
        expires_at: 5_000,
      });
      await cs.deleteSession('c'.repeat(64));
      assert.equal(await cs.getSession('c'.repeat(64), 2), undefined);
    });

    test('accounts and access keys round-trip with the same JS types', async () => {
      const acct = await store.repos.accounts.create('Acme', 1_700_000_000_000);
      assert.equal(typeof acct.id, 'number');
      assert.equal(acct.created_at, 1_700_000_000_000);
      await store.repos.accessKeys.insert({
        id: 'LTAItest1',
        account_id: acct.id,
        secret_sealed: 'v1.x.y',
        enabled: 1,
        policy: null,
        created_at: 5,
      });
      const k = await store.repos.accessKeys.get('LTAItest1');
      assert.deepEqual(k, {
        id: 'LTAItest1',
        account_id: acct.id,
        secret_sealed: 'v1.x.y',
        enabled: 1,
        policy: null,
        created_at: 5,
      });
      assert.equal(await store.repos.accessKeys.setEnabled('LTAItest1', false), true);
      assert.equal((await store.repos.accessKeys.get('LTAItest1'))?.enabled, 0);
      assert.equal(await store.repos.accessKeys.setEnabled('nope', false), false);
      assert.equal(await store.repos.accessKeys.delete('LTAItest1'), true);
      assert.equal(await store.repos.accessKeys.get('LTAItest1'), undefined);
    });

    test('a nonce is accepted once per key and forgotten after expiry', async () => {
      assert.equal(await store.repos.nonces.remember('K1', 'n1', 1000), true);
      assert.equal(await store.repos.nonces.remember('K1', 'n1', 1000), false);
      assert.equal(await store.repos.nonces.remember('K2', 'n1', 1000), true);
      assert.equal(await store.repos.nonces.purgeExpired(1001), 2);
      assert.equal(await store.repos.nonces.remember('K1', 'n1', 5000), true);
    });

    test('concurrent nonce inserts: exactly one wins', async () => {
      const results = await Promise.all(
        Array.from({ length: 20 }, () => store.repos.nonces.remember('K3', 'same', 9_999)),
      );
      assert.equal(results.filter(Boolean).length, 1);
    });

    test('grouped nonce writes: one statement per batch; a nonce twice in one batch is new once', async () => {
      assert.equal(await store.repos.nonces.remember('G1', 'old', 9_999), true);
      const verdicts = await store.repos.nonces.rememberMany([
        { accessKeyId: 'G1', nonce: 'a', expiresAt: 9_999 },
        { accessKeyId: 'G1', nonce: 'old', expiresAt: 9_999 },
        { accessKeyId: 'G2', nonce: 'a', expiresAt: 9_999 },
        { accessKeyId: 'G1', nonce: 'a', expiresAt: 9_999 },
        { accessKeyId: 'G1', nonce: 'b', expiresAt: 9_999 },
      ]);
      assert.deepEqual(verdicts, [true, false, true, false, true]);
      // Many concurrent callers (grouped by the batcher): each distinct nonce is new exactly once.
      const many = await Promise.all(
        Array.from({ length: 300 }, (_, i) => store.repos.nonces.remember('G3', `n${i % 150}`, 9_999)),
      );
      assert.equal(many.filter(Boolean).length, 150);
      for (let i = 0; i < 150; i++) assert.equal([many[i], many[i + 150]].filter(Boolean).length, 1, `nonce n${i}`);
    });

    test('grouped rate-counter hits: consecutive positions, each counted once', async () => {
      const w = 1_000_000;
      assert.deepEqual(
        await store.repos.rateCounters.hitMany([
          { accountId: 7, action: 'A', windowStart: w },
          { accountId: 7, action: 'B', windowStart: w },
          { accountId: 7, action: 'A', windowStart: w },
          { accountId: 8, action: 'A', windowStart: w },
          { accountId: 7, action: 'A', windowStart: w + 1000 },
        ]),
        [1, 1, 2, 1, 1],
      );
      const positions = await Promise.all(Array.from({ length: 100 }, () => store.repos.rateCounters.hit(7, 'A', w)));
      assert.deepEqual(
        [...positions].sort((a, b) => a - b),
        Array.from({ length: 100 }, (_, i) => i + 3),
      );
    });

    test('admissions: a nonce and a rate hit answered by one grouped write, durable or not', async () => {
      const w = 2_000_000;
      const use = (nonce: string) => ({ accessKeyId: 'AD1', nonce, expiresAt: 9_999 });
      assert.equal(await store.repos.nonces.remember('AD1', 'used', 9_999), true);
      assert.deepEqual(
        await store.repos.admissions.admitMany([
          { nonce: use('x'), hit: { accountId: 9, action: 'A', windowStart: w }, durable: true },
          { nonce: use('used'), hit: { accountId: 9, action: 'A', windowStart: w }, durable: true },
          { nonce: use('y'), durable: true }, // refused from memory by the rate limiter: not counted
          { nonce: use('x'), hit: { accountId: 9, action: 'B', windowStart: w }, durable: true },
        ]),
        [{ fresh: true, count: 1 }, { fresh: false, count: 2 }, { fresh: true }, { fresh: false, count: 1 }],
      );
      // Concurrent callers through both batchers (synchronous and relaxed commits): each
      // nonce is new exactly once and the counter hands out consecutive positions.
      const results = await Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          store.repos.admissions.admit({
            nonce: { accessKeyId: 'AD2', nonce: `n${i % 100}`, expiresAt: 9_999 },
            hit: { accountId: 9, action: 'C', windowStart: w },
            durable: i % 3 === 0,
          }),
        ),
      );
      for (let i = 0; i < 100; i++)
        assert.equal([results[i]!.fresh, results[i + 100]!.fresh].filter(Boolean).length, 1, `nonce n${i}`);
      assert.deepEqual(
        results.map((r) => r.count!).sort((a, b) => a - b),
        Array.from({ length: 200 }, (_, i) => i + 1),
      );
      // What either kind of commit wrote is what every other statement sees at once.
      assert.equal(await store.repos.nonces.remember('AD2', 'n7', 9_999), false);
      assert.equal(await store.repos.rateCounters.hit(9, 'C', w), 201);
    });

    test('admissions: a value the store refuses fails only its own request, never the rest of its batch', async () => {
      // PostgreSQL's text type refuses NUL; one such nonce used to fail the whole batched
      // statement, and every concurrent request with it. SQLite stores it: there it is fresh.
      const w = 3_000_000;
      const results = await Promise.allSettled(
        Array.from({ length: 60 }, (_, i) =>
          store.repos.admissions.admit({
            nonce: { accessKeyId: `BT${i % 4}`, nonce: i === 17 ? 'bad\u0000nonce' : `n${i}`, expiresAt: 9_999 },
            hit: { accountId: 11 + (i % 4), action: 'A', windowStart: w },
            durable: i % 2 === 0,
          }),
        ),
      );
      results.forEach((r, i) => {
        if (i === 17) return;
        assert.equal(r.status, 'fulfilled', `request ${i}: ${r.status === 'rejected' ? String(r.reason) : ''}`);
        assert.equal(r.status === 'fulfilled' && r.value.fresh, true, `request ${i} is fresh`);
      });
      if (name === 'postgres') assert.equal(results[17]!.status, 'rejected', 'PostgreSQL refuses the NUL');
      // Each innocent request was counted exactly once, in consecutive positions per account.
      for (let a = 0; a < 4; a++) {
        const counted = results.filter((r, i) => i % 4 === a && r.status === 'fulfilled').length;
        assert.equal(await store.repos.rateCounters.hit(11 + a, 'A', w), counted + 1, `account ${11 + a}`);
      }
    });

    test('audit: entries are appended with their actor, listed newest first by filter, never changed', async () => {
      const operator = { kind: 'operator', id: 'cli:root', remoteAddress: null } as const;
      const key = { kind: 'access_key', id: 'LTAIaudit', remoteAddress: '127.0.0.1' } as const;
      await store.repos.audit.append(
        { kind: 'account.created', accountId: 900, detail: { name: 'A' } },
        1000,
        operator,
      );
      await store.repos.audit.append({ kind: 'order.submitted', accountId: 900, orderId: 7 }, 2000, key);
      await store.repos.audit.append(
        { kind: 'validation.attempt', accountId: 901, orderId: 8, detail: { method: 'BR 3.2.2.4.7', result: 'valid' } },
        3000,
      );
      const all = await store.repos.audit.list({ accountId: 900 });
      assert.deepEqual(
        all.map((e) => [e.kind, e.at, e.actor, e.orderId, e.certificateId, e.detail]),
        [
          ['order.submitted', 2000, key, 7, null, {}],
          ['account.created', 1000, operator, null, null, { name: 'A' }],
        ],
      );
      const system = (await store.repos.audit.list({ orderId: 8 }))[0]!;
      assert.deepEqual(
        system.actor,
        { kind: 'system', id: null, remoteAddress: null },
        'outside a front: certdesk itself',
      );
      assert.equal(typeof system.id, 'number');
      assert.deepEqual(system.detail, { method: 'BR 3.2.2.4.7', result: 'valid' });
      assert.equal((await store.repos.audit.list({ since: 1500, until: 2500 })).length, 1);
      assert.equal((await store.repos.audit.list({ kind: 'validation.attempt', accountId: 900 })).length, 0);
      assert.equal((await store.repos.audit.list({ accountId: 900, limit: 1 })).length, 1);
      await assert.rejects(sql`update audit_events set kind = 'x'`.execute(store.db), /append-only/);
      await assert.rejects(sql`delete from audit_events where account_id = 900`.execute(store.db), /append-only/);
      assert.equal((await store.repos.audit.list({ accountId: 900 })).length, 2);
    });

    test('orders: getWithCertificate reads an issued order with its certificate, for its own account only', async () => {
      const acct = await store.repos.accounts.create('Reader', 1);
      const other = await store.repos.accounts.create('Other', 1);
      const plan = await store.repos.plans.grant({
        accountId: acct.id,
        productCode: 'p1',
        totalCount: 5,
        expiresAt: null,
        now: 1,
      });
      const order = async (n: number) =>
        (await store.repos.orders.getById(await orderIn(store.repos, acct.id, plan.id, 'certificate', n)))!;
      const withCert = await order(1);
      const without = await order(2);
      const cert = await store.repos.certificates.insert(newCertificate({ accountId: acct.id, orderId: withCert.id }));
      // An order not issued yet is answered without the certificate row it may have.
      const processing = (await store.repos.orders.getById(
        await orderIn(store.repos, acct.id, plan.id, 'process', 3),
      ))!;
      await store.repos.certificates.insert(
        newCertificate({ accountId: acct.id, orderId: processing.id, serial: 'CD' }),
      );
      const [a, b, c, d, e] = await Promise.all([
        store.repos.orders.getWithCertificate(acct.id, withCert.id),
        store.repos.orders.getWithCertificate(acct.id, without.id),
        store.repos.orders.getWithCertificate(other.id, withCert.id),
        store.repos.orders.getWithCertificate(acct.id, 987_654_321),
        store.repos.orders.getWithCertificate(acct.id, processing.id),
      ]);
      assert.deepEqual(a, { order: withCert, certificate: cert });
      assert.deepEqual(b, { order: without, certificate: undefined });
      assert.deepEqual(e, { order: processing, certificate: undefined });
      assert.equal(c, undefined, 'another account does not see the order');
      assert.equal(d, undefined);
    });

    test('authorizations: insertMany answers the rows as inserted, as forOrder reads them', async () => {
      const acct = await store.repos.accounts.create('Names', 1);
      const plan = await store.repos.plans.grant({
        accountId: acct.id,
        productCode: 'p1',
        totalCount: 1,
        expiresAt: null,
        now: 1,
      });
      const orderId = await orderIn(store.repos, acct.id, plan.id, 'domain_verify');
      const names = ['b.example', 'a.example', 'c.example'];
      const inserted = await store.repos.authorizations.insertMany(
        names.map((domain, i) => ({
          orderId,
          domain,
          token: `t${i}`,
          status: 'pending',
          lastError: null,
          validatedAt: null,
        })),
      );
      assert.deepEqual(
        inserted.map((a) => a.domain),
        names,
      );
      assert.deepEqual(inserted, await store.repos.authorizations.forOrder(orderId));
      assert.deepEqual(await store.repos.authorizations.insertMany([]), []);
    });

    test('moveOrder: every move the state table allows happens, every other one is refused', async () => {
      const acct = await store.repos.accounts.create('Mover', 1);
      const plan = await store.repos.plans.grant({
        accountId: acct.id,
        productCode: 'p1',
        totalCount: 1000,
        expiresAt: null,
        now: 1,
      });
      const checked: string[] = [];
      for (const from of ORDER_STATES) {
        for (const to of ORDER_STATES) {
          const id = await orderIn(store.repos, acct.id, plan.id, from);
          const pair = `${from} -> ${to}`;
          if (canTransition(from, to)) {
            assert.equal(await store.repos.orders.moveOrder(id, { to }, { updatedAt: 7 }), true, pair);
            const moved = await store.repos.orders.getById(id);
            assert.equal(moved?.state, to, pair);
            assert.equal(moved?.updatedAt, 7, pair);
          } else if (predecessorsOf(to).length > 0) {
            // The statement's guard refuses it: nothing changes.
            assert.equal(await store.repos.orders.moveOrder(id, { to }, { updatedAt: 7 }), false, pair);
            const kept = await store.repos.orders.getById(id);
            assert.equal(kept?.state, from, pair);
            assert.equal(kept?.updatedAt, 1, pair);
          } else {
            await assert.rejects(store.repos.orders.moveOrder(id, { to }), /no move/, pair);
          }
          // Naming `from` as the expected state: a move the table lacks is a programming
          // error (the type refuses it at compile time; the repository at run time).
          if (!canTransition(from, to)) {
            const move = { to, from: [from] } as unknown as Parameters<Repos['orders']['moveOrder']>[1];
            await assert.rejects(store.repos.orders.moveOrder(id, move), /no move/, pair);
          }
          checked.push(pair);
        }
      }
      assert.equal(checked.length, ORDER_STATES.length ** 2);
    });

    test('moveOrder: `from` narrows the guard to the state the caller read; deleted orders never move', async () => {
      const acct = await store.repos.accounts.create('Narrow', 1);
      const plan = await store.repos.plans.grant({
        accountId: acct.id,
        productCode: 'p1',
        totalCount: 9,
        expiresAt: null,
        now: 1,
      });
      const inProcess = await orderIn(store.repos, acct.id, plan.id, 'process');
      // process -> verify_fail is in the table, but not from domain_verify, which the caller read.
      assert.equal(
        await store.repos.orders.moveOrder(inProcess, { to: 'verify_fail', from: ['domain_verify'] }),
        false,
      );
      assert.equal((await store.repos.orders.getById(inProcess))?.state, 'process');
      assert.equal(await store.repos.orders.moveOrder(inProcess, { to: 'verify_fail', from: ['process'] }), true);
      // Deletion is not a state: only a failed or pending order takes deleted_at, and then it is gone.
      assert.deepEqual([...DELETABLE_STATES], ['payed', 'verify_fail']);
      const live = await orderIn(store.repos, acct.id, plan.id, 'domain_verify');
      assert.equal(await store.repos.orders.markDeleted(live, 5), false);
      assert.equal(await store.repos.orders.markDeleted(inProcess, 5), true);
      assert.equal(await store.repos.orders.getById(inProcess), undefined);
      assert.equal(await store.repos.orders.moveOrder(inProcess, { to: 'payed' }), false);
      // An order is created only in an initial state.
      await assert.rejects(
        store.repos.orders.insert(
          newOrder({ accountId: acct.id, planId: plan.id, state: 'certificate' as unknown as NewOrder['state'] }),
        ),
        /cannot be created in state certificate/,
      );
    });

    test('certificates: an intent is marked issued once, an issued certificate revoked once', async () => {
      const acct = await store.repos.accounts.create('Certs', 1);
      const intent = await store.repos.certificates.insert(
        newCertificate({ accountId: acct.id, serial: 'C0FFEE', state: 'intent', certDer: null }),
      );
      assert.equal(await store.repos.certificates.markRevoked(intent.id, 5, 1), false, 'an intent is not revoked');
      const facts = { sha1: 'S1', sha256: 'S2', notBefore: 3, notAfter: 4 };
      assert.equal(await store.repos.certificates.markIssued(intent.id, 'AQ==', facts), true);
      assert.equal(await store.repos.certificates.markIssued(intent.id, 'Ag==', facts), false, 'signed once');
      assert.equal(await store.repos.certificates.markRevoked(intent.id, 5, 1), true);
      assert.equal(await store.repos.certificates.markRevoked(intent.id, 6, null), false, 'revoked once');
      const cert = await store.repos.certificates.get(acct.id, intent.id);
      assert.deepEqual(
        [cert?.state, cert?.certDer, cert?.sha256, cert?.revokedAt, cert?.revocationReason],
        ['issued', 'AQ==', 'S2', 5, 1],
      );
    });

    test('mass revocation: selected by serial and criteria, revoked once in one statement, orders moved together', async () => {
      const acct = await store.repos.accounts.create('Mass', 1);
      const plan = await store.repos.plans.grant({
        accountId: acct.id,
        productCode: 'p1',
        totalCount: 10,
        expiresAt: null,
        now: 1,
      });
      const orderId = await orderIn(store.repos, acct.id, plan.id, 'certificate', 7);
      const certs = [];
      for (const [i, serial] of ['0A01', '0A02', '0A03', '0A04'].entries())
        certs.push(
          await store.repos.certificates.insert(
            newCertificate({
              accountId: acct.id,
              serial,
              issuerId: 77,
              notBefore: 10 + i,
              orderId: i === 0 ? orderId : null,
            }),
          ),
        );
      const sel = { issuerIds: [77] };
      assert.equal(await store.repos.certificates.countUnrevoked(sel), 4);
      assert.equal(await store.repos.certificates.countUnrevoked({ ...sel, issuedBefore: 12 }), 2);
      assert.equal(await store.repos.certificates.countUnrevoked({ ...sel, accountId: acct.id + 1 }), 0);
      const bySerial = await store.repos.certificates.revocationCandidates(
        { ...sel, serials: ['0A02', '0A01', 'FFFF'] },
        { afterId: 0, limit: 10, unrevokedOnly: false },
      );
      assert.deepEqual(
        bySerial.map((c) => [c.serial, c.order_id, c.issuer_id, c.revoked_at]),
        [
          ['0A01', orderId, 77, null],
          ['0A02', null, 77, null],
        ],
      );
      const ids = bySerial.map((c) => c.id);
      const marked = await store.repos.certificates.markRevokedMany(ids, 50, 1);
      assert.deepEqual(marked.map((c) => c.id).sort(), [...ids].sort());
      assert.deepEqual(
        marked.find((c) => c.serial === '0A01'),
        {
          id: ids[0],
          serial: '0A01',
          accountId: acct.id,
          orderId,
          issuerId: 77,
          sans: certs[0]!.sans,
          notBefore: 10,
          notAfter: certs[0]!.notAfter,
        },
        'what the batch sinks need, from the same statement',
      );
      assert.deepEqual(await store.repos.certificates.markRevokedMany(ids, 60, 4), [], 'revoked once');
      assert.equal((await store.repos.certificates.get(acct.id, ids[0]!))?.revokedAt, 50);
      assert.equal(await store.repos.orders.moveOrders([orderId], { to: 'revoked', from: ['certificate'] }), 1);
      assert.equal(await store.repos.orders.moveOrders([orderId], { to: 'revoked', from: ['certificate'] }), 0);
      assert.equal((await store.repos.orders.getManyById([orderId]))[0]?.state, 'revoked');
      const page = await store.repos.certificates.revocationCandidates(sel, {
        afterId: 0,
        limit: 10,
        unrevokedOnly: true,
      });
      assert.deepEqual(
        page.map((c) => c.serial),
        ['0A03', '0A04'],
      );
      assert.deepEqual(
        (await store.repos.certificates.getMany([certs[2]!.id])).map((c) => c.serial),
        ['0A03'],
      );
      // By serials in one guarded statement: the selector's other criteria hold, each once.
      assert.deepEqual(
        await store.repos.certificates.revokeSerials({ ...sel, serials: ['0A03', '0A04'], issuedBefore: 12 }, 70, 1),
        [],
        'issued after the cut',
      );
      const bySerials = await store.repos.certificates.revokeSerials(
        { ...sel, serials: ['0A01', '0A03', 'FFFF'] },
        70,
        1,
      );
      assert.deepEqual(
        bySerials.map((c) => c.serial),
        ['0A03'],
        'only the not yet revoked of those named',
      );
      assert.equal((await store.repos.certificates.get(acct.id, certs[2]!.id))?.revokedAt, 70);
      assert.deepEqual(
        await store.repos.certificates.revokeSerials({ ...sel, serials: ['0A03'] }, 80, 4),
        [],
        'revoked once',
      );
    });

    test('batched writes: notices inserted once by dedupe key, jobs enqueued many at once and pulled earlier only', async () => {
      const acct = await store.repos.accounts.create('Batch', 1);
      const row = (key: string) => ({
        account_id: acct.id,
        order_id: null,
        certificate_id: null,
        event: 'revoked',
        channel: 'webhook',
        target: 'https://h.example.com/',
        dedupe_key: `${acct.id}-${key}`,
        payload: '{}',
        status: 'pending',
        due_at: 1,
        attempts: 0,
        last_error: null,
        lease_owner: null,
        lease_until: null,
        sent_at: null,
        created_at: 1,
      });
      const first = await store.repos.notices.insertManyIfNew([row('a'), row('b')] as never);
      assert.equal(first.length, 2);
      const again = await store.repos.notices.insertManyIfNew([row('a'), row('c')] as never);
      assert.equal(again.length, 1, 'a duplicate dedupe key is not inserted again');
      await store.repos.jobs.enqueueMany('notice', [9001, 9002], 500, 1);
      await store.repos.jobs.enqueueMany('notice', [9001], 400, 1);
      await store.repos.jobs.enqueueMany('notice', [9002], 900, 1);
      assert.equal(Number((await store.repos.jobs.find('notice', 9001))?.run_at), 400);
      assert.equal(Number((await store.repos.jobs.find('notice', 9002))?.run_at), 500);
    });

    test('jobs: a leased job is handed over to another kind, keeping its lease; refused without the lease or when that job exists', async () => {
      const jobs = store.repos.jobs;
      await jobs.enqueue('validate', 9101, 0, 0);
      await jobs.enqueue('validate', 9102, 0, 0);
      await jobs.enqueue('issue', 9102, 10_000_000, 0);
      const claimed = await jobs.claim('w1', 1, 1000, 10, ['validate']);
      const first = claimed.find((j) => j.ref_id === 9101)!;
      const second = claimed.find((j) => j.ref_id === 9102)!;
      assert.equal(await jobs.handOver(first.id, 'w2', 'issue', 5, 1000), false, 'another owner');
      assert.equal(await jobs.handOver(first.id, 'w1', 'issue', 5, 1000), true);
      const moved = await jobs.find('issue', 9101);
      assert.equal(moved?.id, first.id);
      assert.equal(moved?.lease_owner, 'w1');
      assert.equal(Number(moved?.lease_until), 1005);
      assert.equal(await jobs.find('validate', 9101), undefined);
      assert.equal(await jobs.handOver(second.id, 'w1', 'issue', 5, 1000), false, 'an issue job exists');
      assert.equal((await jobs.find('validate', 9102))?.id, second.id);
      for (const ref of [9101, 9102]) for (const k of ['validate', 'issue']) await jobs.cancel(k, ref);
    });

    test('jobs: an enqueue while an attempt runs is kept by its retry; without one the retry waits its backoff', async () => {
      await store.repos.jobs.enqueue('validate', 8001, 100, 100);
      await store.repos.jobs.enqueue('validate', 8002, 100, 100);
      const claimed = await store.repos.jobs.claim('w1', 200, 1000, 10, ['validate']);
      assert.deepEqual(claimed.map((j) => Number(j.ref_id)).sort(), [8001, 8002]);
      assert.deepEqual(await store.repos.jobs.claim('w2', 300, 1000, 10, ['validate']), [], 'leased');
      await store.repos.jobs.enqueue('validate', 8001, 300, 300); // a customer asks for an attempt now
      for (const j of claimed) await store.repos.jobs.retry(j.id, 'w1', 5000, 'not yet');
      assert.equal(Number((await store.repos.jobs.find('validate', 8001))?.run_at), 300, 'the request stands');
      assert.equal(Number((await store.repos.jobs.find('validate', 8002))?.run_at), 5000, 'the backoff');
      await store.repos.jobs.cancel('validate', 8001);
      await store.repos.jobs.cancel('validate', 8002);
    });

    test('jobs: pullEarlier moves a job earlier in place, never later, and writes a missing one', async () => {
      const jobs = store.repos.jobs;
      await jobs.enqueue('validate', 8101, 5000, 100);
      const before = await jobs.find('validate', 8101);
      await jobs.pullEarlier('validate', 8101, 300, 200);
      const after = await jobs.find('validate', 8101);
      assert.equal(after?.id, before?.id, 'the same row');
      assert.equal(Number(after?.run_at), 300);
      await jobs.pullEarlier('validate', 8101, 900, 250);
      assert.equal(Number((await jobs.find('validate', 8101))?.run_at), 300, 'never later');
      await jobs.pullEarlier('validate', 8102, 400, 250);
      assert.equal(Number((await jobs.find('validate', 8102))?.run_at), 400, 'written when missing');
      await jobs.cancel('validate', 8101);
      await jobs.cancel('validate', 8102);
    });

    test('plans: totals count only plans in force; usage counts live orders', async () => {
      const acct = await store.repos.accounts.create('Plans', 1);
      await store.repos.plans.grant({ accountId: acct.id, productCode: 'p1', totalCount: 10, expiresAt: null, now: 1 });
      await store.repos.plans.grant({ accountId: acct.id, productCode: 'p1', totalCount: 4, expiresAt: 2_000, now: 1 });
      await store.repos.plans.grant({ accountId: acct.id, productCode: 'p2', totalCount: 3, expiresAt: null, now: 1 });
      assert.equal(await store.repos.plans.totalInForce(acct.id, 'p1', 1_000), 14);
      assert.equal(await store.repos.plans.totalInForce(acct.id, 'p1', 2_000), 10);
      assert.equal(await store.repos.plans.totalInForce(acct.id, 'p3', 1_000), 0);
      assert.deepEqual(await store.repos.plans.usage(acct.id, 'p1', 1_000), { used: 0, issued: 0 });
      assert.equal((await store.repos.plans.listByAccount(acct.id)).length, 3);
    });

    test('plans: the unit counter follows inserts and deletions; a full or expired plan is never picked', async () => {
      const acct = await store.repos.accounts.create('Counter', 1);
      const lasting = await store.repos.plans.grant({
        accountId: acct.id,
        productCode: 'p1',
        totalCount: 2,
        expiresAt: null,
        now: 1,
      });
      const soon = await store.repos.plans.grant({
        accountId: acct.id,
        productCode: 'p1',
        totalCount: 1,
        expiresAt: 5_000,
        now: 1,
      });
      const used = async () =>
        Object.fromEntries((await store.repos.plans.listByAccount(acct.id)).map((p) => [p.id, Number(p.used_count)]));
      // The plan expiring first is spent first; an expired one is never picked.
      assert.equal((await store.repos.plans.pickPlanWithRoom(acct.id, 'p1', 1_000))?.id, soon.id);
      assert.equal((await store.repos.plans.pickPlanWithRoom(acct.id, 'p1', 5_000))?.id, lasting.id);
      const a = await orderIn(store.repos, acct.id, soon.id, 'domain_verify', 1);
      assert.equal((await store.repos.plans.pickPlanWithRoom(acct.id, 'p1', 1_000))?.id, lasting.id, 'soon is full');
      // Ten racing inserts on a plan of two (each in its own transaction; PostgreSQL: other connections).
      const raced = await Promise.allSettled(
        Array.from({ length: 10 }, (_, i) =>
          store.writeTransaction((repos) =>
            repos.orders.insert(newOrder({ accountId: acct.id, planId: lasting.id }, 10 + i)),
          ),
        ),
      );
      assert.equal(raced.filter((r) => r.status === 'fulfilled').length, 2, "exactly the plan's units");
      assert.deepEqual(await used(), { [lasting.id]: 2, [soon.id]: 1 });
      assert.equal(await store.repos.plans.pickPlanWithRoom(acct.id, 'p1', 1_000), undefined);
      // A refused insert wrote no order.
      assert.deepEqual(await store.repos.plans.usage(acct.id, 'p1', 1_000), { used: 3, issued: 0 });
      // Deleting gives the unit back, once; an order that cannot be deleted keeps it.
      await store.repos.orders.moveOrder(a, { to: 'verify_fail' });
      assert.equal(await store.writeTransaction((repos) => repos.orders.markDeleted(a, 2)), true);
      assert.equal(await store.writeTransaction((repos) => repos.orders.markDeleted(a, 3)), false);
      assert.deepEqual(await used(), { [lasting.id]: 2, [soon.id]: 0 });
      assert.equal((await store.repos.plans.pickPlanWithRoom(acct.id, 'p1', 1_000))?.id, soon.id);
      const live = (raced.find((r) => r.status === 'fulfilled') as PromiseFulfilledResult<{ id: number }>).value.id;
      assert.equal(await store.writeTransaction((repos) => repos.orders.markDeleted(live, 4)), false, 'domain_verify');
      assert.deepEqual(await used(), { [lasting.id]: 2, [soon.id]: 0 });
    });

    test("migration 0016 backfills each plan's counter from its live orders", async () => {
      const acct = await store.repos.accounts.create('Backfill', 1);
      const plan = await store.repos.plans.grant({
        accountId: acct.id,
        productCode: 'p1',
        totalCount: 5,
        expiresAt: null,
        now: 1,
      });
      const ids: number[] = [];
      for (let i = 0; i < 3; i++) ids.push(await orderIn(store.repos, acct.id, plan.id, 'verify_fail', 30 + i));
      await store.writeTransaction((repos) => repos.orders.markDeleted(ids[0]!, 2));
      await sql`update plans set used_count = 0 where id = ${plan.id}`.execute(store.db);
      await backfillPlanUsedCount(store.db as never);
      const [row] = await store.repos.plans.listByAccount(acct.id);
      assert.equal(Number(row!.used_count), 2);
    });

    test('contacts: newest first, keyword over name/email/mobile, paging, tenant scoped', async () => {
      const a = await store.repos.accounts.create('A', 1);
      const b = await store.repos.accounts.create('B', 1);
      const add = (account_id: number, name: string, email: string, mobile: string) =>
        store.repos.contacts.add({
          account_id,
          name,
          email,
          mobile,
          webhooks: '[]',
          email_status: 0,
          mobile_status: 0,
          created_at: 1,
        });
      await add(a.id, 'Tom', 'tom@x.com', '111');
      await add(a.id, 'Ann', 'ann@y.org', '222');
      await add(a.id, 'Zed', 'zed@x.com', '333');
      await add(b.id, 'Bob', 'bob@x.com', '444');
      const all = await store.repos.contacts.page(a.id, { offset: 0, limit: 10 });
      assert.equal(all.total, 3);
      assert.deepEqual(
        all.rows.map((r) => r.name),
        ['Zed', 'Ann', 'Tom'],
      );
      const x = await store.repos.contacts.page(a.id, { keyword: 'X.COM', offset: 1, limit: 1 });
      assert.equal(x.total, 2);
      assert.deepEqual(
        x.rows.map((r) => r.name),
        ['Tom'],
      );
      assert.equal(
        (await store.repos.contacts.page(a.id, { keyword: '22', offset: 0, limit: 5 })).rows[0]?.name,
        'Ann',
      );
      // LIKE wildcards in the keyword are literal text, not patterns.
      assert.equal((await store.repos.contacts.page(a.id, { keyword: '%', offset: 0, limit: 5 })).total, 0);
      assert.equal((await store.repos.contacts.page(a.id, { keyword: 't_m', offset: 0, limit: 5 })).total, 0);
      await add(a.id, 'under_score', 'u@x.com', '555');
      assert.equal((await store.repos.contacts.page(a.id, { keyword: 'r_s', offset: 0, limit: 5 })).total, 1);
      assert.equal((await store.repos.contacts.latest(a.id))?.name, 'under_score');
      const zed = (await store.repos.contacts.page(a.id, { keyword: 'zed', offset: 0, limit: 1 })).rows[0]!;
      assert.equal(await store.repos.contacts.remove(b.id, zed.id), false, 'another tenant cannot remove it');
      assert.equal(await store.repos.contacts.remove(a.id, zed.id), true);
      assert.equal((await store.repos.contacts.page(a.id, { offset: 0, limit: 10 })).total, 3);
    });

    test('companies: latest and by name', async () => {
      const a = await store.repos.accounts.create('C', 1);
      const add = (name: string) =>
        store.repos.companies.add({
          account_id: a.id,
          name,
          country: 'CN',
          province: 'Zhejiang',
          city: 'Hangzhou',
          address: '',
          phone: '',
          created_at: 1,
        });
      await add('First Co');
      await add('Second Co');
      assert.equal((await store.repos.companies.latest(a.id))?.name, 'Second Co');
      assert.equal((await store.repos.companies.findByName(a.id, 'First Co'))?.province, 'Zhejiang');
      assert.equal((await store.repos.companies.list(a.id)).length, 2);
    });

    test('meta: first writer wins', async () => {
      assert.equal(await store.repos.meta.setIfAbsent('k', 'one'), 'one');
      assert.equal(await store.repos.meta.setIfAbsent('k', 'two'), 'one');
      assert.equal(await store.repos.meta.get('missing'), undefined);
    });

    test('writeTransaction rolls back on error and serializes read-then-write', async () => {
      const before = (await store.repos.accounts.list()).length;
      await assert.rejects(
        store.writeTransaction(async (repos) => {
          await repos.accounts.create('rolled back', 1);
          throw new Error('boom');
        }),
      );
      assert.equal((await store.repos.accounts.list()).length, before);
      // Ten concurrent read-count-then-insert transactions never both read the same count.
      await Promise.all(
        Array.from({ length: 10 }, () =>
          store.writeTransaction(async (repos, tx) => {
            if (store.kind === 'postgres')
              await tx.selectFrom('meta').selectAll().where('key', '=', 'k').forUpdate().execute();
            const n = (await repos.accounts.list()).length;
            await repos.accounts.create(`serial-${n}`, 1);
          }),
        ),
      );
      const names = (await store.repos.accounts.list()).map((a) => a.name).filter((n) => n.startsWith('serial-'));
      assert.equal(new Set(names).size, 10);
    });
  });
}
