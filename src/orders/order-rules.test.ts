// The order engine's own rules, run on a real store (SQLite) with a real DNS server on
// loopback (test/challenge-server.ts), without the HTTP front end: the validation window
// closes 30 days after submission, and an order whose issuance has begun cannot be cancelled.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Store } from '../store/store.js';
import { createSecretBox, generateMasterKey } from '../crypto/secret-box.js';
import { createDnsResolver, createHttpFetcher, dnsRecordName } from '../validation/index.js';
import { createAccount } from '../accounts/accounts.js';
import { grantPlan } from '../accounts/plans.js';
import { addContact } from '../accounts/contacts.js';
import type { AccountDeps } from '../accounts/deps.js';
import { DCV_TOKEN_LIFETIME_DAYS } from '../policy/validity.js';
import { CertError } from '../domain/errors.js';
import type { Logger } from '../domain/ports.js';
import { startChallengeServer, type ChallengeServer } from '../../test/challenge-server.js';
import type { OrderEvent } from './events.js';
import type { ValidationDeps } from './run-validation.js';
import { runValidationAttempt } from './run-validation.js';
import { submitApplication } from './submit-application.js';
import { cancelOrder } from './cancel-order.js';
import { JOB_ISSUE, JOB_VALIDATE } from './job-kinds.js';

const DAY = 86_400_000;
const CAA_IDENTITY = 'certdesk.test';
const silent: Logger = { log() {} };

describe('order engine rules', () => {
  const dir = mkdtempSync(join(tmpdir(), 'certdesk-rules-'));
  let store: Store;
  let cs: ChallengeServer;
  let now = Date.UTC(2026, 3, 1);
  const events: OrderEvent[] = [];
  let deps: ValidationDeps & AccountDeps & Parameters<typeof submitApplication>[0];
  let accountId: number;
  let counter = 0;

  before(async () => {
    store = await Store.open({ kind: 'sqlite', target: join(dir, 'rules.db') });
    cs = await startChallengeServer();
    const clock = { now: () => now };
    deps = {
      store,
      clock,
      random: { bytes: (n: number) => randomBytes(n) },
      sealer: createSecretBox(generateMasterKey()),
      logger: silent,
      events: async (_repos, event) => void events.push(event),
      wake: () => {},
      validation: {
        resolver: createDnsResolver({ server: cs.dnsAddress }),
        fetcher: createHttpFetcher(),
        httpPort: cs.httpPort,
        allowPrivateTargets: true,
        caaIdentity: CAA_IDENTITY,
        retryBaseMs: 200,
      },
    };
    accountId = (await createAccount(deps, 'Rules')).AccountId;
    await grantPlan(deps, { accountId, productCode: 'digicert-free-1-free', count: 50 });
    await addContact(deps, accountId, { name: 'Tom', email: 'tom@example.com', mobile: '13900001111' });
  });
  after(async () => {
    await store?.close();
    await cs?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function submit(): Promise<{ orderId: number; domain: string }> {
    const domain = `rules-${process.pid}-${++counter}.com`;
    const { orderId } = await submitApplication(deps, accountId, {
      productCode: 'digicert-free-1-free',
      domain,
      validateType: 'DNS',
      contact: {},
      tags: [],
    });
    return { orderId, domain };
  }

  async function publish(orderId: number, domain: string): Promise<void> {
    const [authz] = await store.repos.authorizations.forOrder(orderId);
    cs.setTxt(dnsRecordName(domain), [authz!.token]);
  }

  test('the validation deadline is 30 days after submission', async () => {
    const { orderId } = await submit();
    const order = await store.repos.orders.getById(orderId);
    assert.equal(order?.validationDeadline, now + DCV_TOKEN_LIFETIME_DAYS * DAY);
    assert.equal(DCV_TOKEN_LIFETIME_DAYS, 30);
  });

  test('at the deadline itself a published record still validates the order', async () => {
    const { orderId, domain } = await submit();
    const { validationDeadline } = (await store.repos.orders.getById(orderId))!;
    await publish(orderId, domain);
    const saved = now;
    now = validationDeadline;
    try {
      assert.deepEqual(await runValidationAttempt(deps, orderId), { kind: 'done' });
    } finally {
      now = saved;
    }
    const order = await store.repos.orders.getById(orderId);
    assert.equal(order?.state, 'process');
    assert.ok((await store.repos.jobs.find(JOB_ISSUE, orderId)) !== undefined, 'DV: issuance is queued');
  });

  test('past the deadline the order fails with the last problem, without checking again', async () => {
    const { orderId, domain } = await submit();
    // One attempt before the deadline: no record yet, so it waits and keeps the reason.
    const first = await runValidationAttempt(deps, orderId);
    assert.equal(first.kind, 'retry');
    const waiting = (await store.repos.authorizations.forOrder(orderId))[0]!;
    assert.equal(waiting.status, 'pending');
    assert.ok(waiting.lastError);
    // The record shows up too late: the window has closed.
    await publish(orderId, domain);
    const { validationDeadline } = (await store.repos.orders.getById(orderId))!;
    const queriesBefore = cs.dnsQueries().length;
    const saved = now;
    now = validationDeadline + 1;
    events.length = 0;
    try {
      assert.deepEqual(await runValidationAttempt(deps, orderId), { kind: 'done' });
    } finally {
      now = saved;
    }
    assert.equal(cs.dnsQueries().length, queriesBefore, 'no lookup after the window closed');
    const failed = await store.repos.orders.getById(orderId);
    assert.equal(failed?.state, 'verify_fail');
    assert.equal(failed?.failReason, `Domain validation did not succeed within 30 days: ${waiting.lastError}`);
    assert.deepEqual(events, [{ kind: 'verification_failed', accountId, orderId, reason: failed?.failReason ?? '' }]);
    // A later attempt (a job run twice) changes nothing.
    assert.deepEqual(await runValidationAttempt(deps, orderId), { kind: 'done' });
    assert.equal((await store.repos.orders.getById(orderId))?.state, 'verify_fail');
  });

  test('an order waiting for validation can be cancelled: back to payed, values reset, jobs dropped', async () => {
    const { orderId } = await submit();
    await cancelOrder(deps, accountId, orderId);
    const order = await store.repos.orders.getById(orderId);
    assert.equal(order?.state, 'payed');
    assert.equal(await store.repos.jobs.find(JOB_VALIDATE, orderId), undefined);
  });

  test('once its certificate is recorded for issuance, an order cannot be cancelled', async () => {
    const { orderId, domain } = await submit();
    await publish(orderId, domain);
    assert.deepEqual(await runValidationAttempt(deps, orderId), { kind: 'done' });
    assert.equal((await store.repos.orders.getById(orderId))?.state, 'process');
    // Before the intent: cancelling is still allowed in process...
    const other = await submit();
    await publish(other.orderId, other.domain);
    await runValidationAttempt(deps, other.orderId);
    await cancelOrder(deps, accountId, other.orderId);
    assert.equal((await store.repos.orders.getById(other.orderId))?.state, 'payed');
    // ...after phase 1 of issuance (the intent, issue-certificate.ts) it is refused.
    await store.repos.certificates.insert({
      accountId,
      orderId,
      source: 'issued',
      name: `cert-${orderId}`,
      serial: randomBytes(16).toString('hex').toUpperCase(),
      issuerId: 1,
      state: 'intent',
      tbsDer: 'MAA=',
      certDer: null,
      chainPem: null,
      keySealed: null,
      commonName: domain,
      sans: [domain],
      issuerCn: 'issuing',
      notBefore: now,
      notAfter: now + 90 * DAY,
      sha1: '',
      sha256: '',
      orgName: '',
      country: '',
      province: '',
      city: '',
      revokedAt: null,
      revocationReason: null,
      deletedAt: null,
      createdAt: now,
      crlShard: null,
    });
    await assert.rejects(
      cancelOrder(deps, accountId, orderId),
      (e: unknown) => e instanceof CertError && e.kind === 'illegal_state' && /being issued/.test(e.message),
    );
    const kept = await store.repos.orders.getById(orderId);
    assert.equal(kept?.state, 'process');
    assert.notEqual(kept?.approvedAt, null);
    assert.ok(await store.repos.jobs.find(JOB_ISSUE, orderId), 'the issue job stays queued');
  });

  test('an issued order cannot be cancelled either', async () => {
    const { orderId } = await submit();
    await store.repos.orders.moveOrder(orderId, { to: 'process' }, { approvedAt: now });
    await store.repos.orders.moveOrder(orderId, { to: 'certificate' });
    await assert.rejects(
      cancelOrder(deps, accountId, orderId),
      (e: unknown) => e instanceof CertError && e.kind === 'illegal_state' && /state certificate/.test(e.message),
    );
  });
});
