// The audit trail. Before: validation refusals and every operator action (accounts, keys,
// plans, approvals, revocations) left no record at all. Now each is an append-only audit
// event written in the transaction of the change: who (operator, AccessKey, relying party,
// certdesk itself), when, from where, and what (validation attempts with their BR method,
// name, result and what was seen; issuance; revocation), never a secret; listed by
// `certdesk admin audit list` and GET /v1/audit. Runs on SQLite and on PostgreSQL.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { sql } from 'kysely';
import type { Certdesk } from './support/harness.js';
import type { ChallengeServer } from './challenge-server.js';
import { Cas, casClient } from './support/sdk.js';
import { runCliJson } from './support/cli.js';
import { freshDomain, publishChallenges, startWithChallenges, waitForType } from './support/orders.js';
import type { AuditEvent } from '../src/domain/audit.js';

describe('audit trail', () => {
  let cd: Certdesk;
  let cs: ChallengeServer;
  let token: string;
  const cli = <T = any>(args: string[]) => runCliJson<T>(['admin', ...args, ...cd.storeArgs], cd.storeEnv);

  async function operatorApi(method: string, path: string, body?: unknown): Promise<any> {
    const res = await fetch(`${cd.server.adminUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const json = await res.json();
    assert.ok(res.ok, `${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  }

  before(async () => {
    ({ cd, cs } = await startWithChallenges());
    token = readFileSync(join(cd.dataDir, 'admin-token'), 'utf8').trim();
  });
  after(async () => {
    await cd?.close();
    await cs?.close();
  });

  test('after an end-to-end flow, audit list shows its operator actions, validation attempts, issuance and revocation', async () => {
    const started = Date.now();
    // Operator actions, through the CLI and through the operator API.
    const account = await cli<{ AccountId: number; AccessKeyId: string; AccessKeySecret: string }>([
      'account',
      'create',
      '--name',
      'Audited Inc',
    ]);
    const accountId = account.AccountId;
    await cli(['plan', 'grant', '--account', String(accountId), '--product', 'digicert-free-1-free', '--count', '3']);
    const second = await operatorApi('POST', `/v1/accounts/${accountId}/keys`, {});
    await operatorApi('POST', `/v1/keys/${second.AccessKeyId}/disable`);
    await operatorApi('POST', `/v1/keys/${second.AccessKeyId}/enable`);

    // The customer's order, validated by DNS (the record published after a first attempt fails).
    const client = casClient(cd.endpoint, account);
    const domain = freshDomain('audit');
    const orderId = (
      await client.createCertificateForPackageRequest(
        new Cas.CreateCertificateForPackageRequestRequest({
          productCode: 'digicert-free-1-free',
          domain,
          validateType: 'DNS',
          username: 'Ann',
          phone: '13900002222',
          email: 'ann@example.com',
        }),
      )
    ).body!.orderId!;
    // Wait for an attempt that sees nothing yet, so the trail holds a refusal too.
    for (let i = 0; i < 100 && !cs.dnsQueries().some((q) => q.name.endsWith(domain)); i++)
      await new Promise((r) => setTimeout(r, 50));
    await publishChallenges(cs, client, orderId);
    const done = await waitForType(client, orderId, ['certificate']);
    const serial = new X509Certificate(done.certificate!).serialNumber;
    await cli(['cert', 'revoke', '--serial', serial, '--reason', 'keyCompromise']);

    const events = await cli<AuditEvent[]>(['audit', 'list', '--account', String(accountId)]);
    const kinds = events.map((e) => e.kind);
    const one = (kind: string, pred: (e: AuditEvent) => boolean = () => true) => {
      const found = events.find((e) => e.kind === kind && pred(e));
      assert.ok(found, `${kind} in ${JSON.stringify(kinds)}`);
      return found;
    };
    assert.ok(
      events.every((e, i) => i === 0 || e.at <= events[i - 1]!.at),
      'newest first',
    );
    assert.ok(
      events.every((e) => e.at >= started - 1000 && e.at <= Date.now()),
      'times are when it happened',
    );

    // Operator actions: who and from where.
    const created = one('account.created');
    assert.equal(created.actor.kind, 'operator');
    assert.match(created.actor.id ?? '', /^cli:/);
    assert.deepEqual(created.detail, { name: 'Audited Inc' });
    one('access_key.created', (e) => e.detail.accessKeyId === account.AccessKeyId);
    assert.deepEqual(one('plan.granted').detail.productCode, 'digicert-free-1-free');
    for (const kind of ['access_key.created', 'access_key.disabled', 'access_key.enabled']) {
      const e = one(kind, (x) => x.detail.accessKeyId === second.AccessKeyId);
      assert.equal(e.actor.kind, 'operator');
      assert.equal(e.actor.id, 'api');
      assert.match(e.actor.remoteAddress ?? '', /127\.0\.0\.1/, 'the operator API records the client address');
    }

    // The customer's submission, by its AccessKey, from its address.
    const submitted = one('order.submitted', (e) => e.orderId === orderId);
    assert.equal(submitted.actor.kind, 'access_key');
    assert.equal(submitted.actor.id, account.AccessKeyId);
    assert.match(submitted.actor.remoteAddress ?? '', /127\.0\.0\.1/);
    assert.deepEqual(submitted.detail.names, [domain]);

    // Validation attempts: BR method, name, result, what was seen; by certdesk itself.
    const attempts = events.filter((e) => e.kind === 'validation.attempt' && e.orderId === orderId);
    assert.ok(attempts.length >= 2, `${attempts.length} attempts`);
    for (const a of attempts) {
      assert.equal(a.detail.method, 'BR 3.2.2.4.7');
      assert.deepEqual(a.detail.names, [domain]);
      assert.equal(a.actor.kind, 'system');
    }
    const refused = attempts.find((a) => a.detail.result === 'pending');
    assert.ok(refused, 'an attempt before the record was published');
    assert.equal(typeof refused.detail.seen, 'string');
    assert.ok((refused.detail.seen as string).length > 0, 'what was seen is recorded');
    const passed = attempts.find((a) => a.detail.result === 'valid');
    assert.ok(passed, 'the attempt that passed');
    assert.equal(passed.detail.seen, null);

    // Issuance and revocation.
    const issued = one('certificate.issued', (e) => e.orderId === orderId);
    assert.equal(issued.actor.kind, 'system');
    assert.equal(String(issued.detail.serial).toUpperCase(), serial.toUpperCase());
    assert.deepEqual(issued.detail.names, [domain]);
    const revoked = one('certificate.revoked', (e) => e.orderId === orderId);
    assert.equal(revoked.actor.kind, 'operator');
    assert.match(revoked.actor.id ?? '', /^cli:/, 'revoked by `certdesk admin cert revoke`: the operator at the CLI');
    assert.equal(revoked.actor.remoteAddress, null);
    assert.equal(revoked.detail.reasonCode, 1, 'keyCompromise (RFC 5280 §5.3.1)');
    assert.ok(kinds.indexOf('certificate.revoked') < kinds.indexOf('certificate.issued'), 'revoked after issued');

    // Never a secret: no AccessKey secret, no private key, no operator token.
    const text = JSON.stringify(events);
    assert.ok(!text.includes(account.AccessKeySecret), 'no AccessKey secret');
    assert.ok(!text.includes(second.AccessKeySecret), 'no AccessKey secret');
    assert.ok(!text.includes(token), 'no operator token');
    assert.ok(!/PRIVATE KEY/.test(text), 'no private key');

    // Filters: order, kind, time; and the same trail on the operator API.
    const forOrder = await cli<AuditEvent[]>(['audit', 'list', '--order', String(orderId)]);
    assert.ok(forOrder.length > 0 && forOrder.every((e) => e.orderId === orderId));
    const onlyAttempts = await cli<AuditEvent[]>([
      'audit',
      'list',
      '--account',
      String(accountId),
      '--kind',
      'validation.attempt',
    ]);
    assert.equal(onlyAttempts.length, attempts.length);
    const future = await cli<AuditEvent[]>(['audit', 'list', '--since', new Date(Date.now() + 60_000).toISOString()]);
    assert.deepEqual(future, []);
    const past = await cli<AuditEvent[]>(['audit', 'list', '--until', new Date(started - 60_000).toISOString()]);
    assert.deepEqual(past, []);
    const api = await operatorApi('GET', `/v1/audit?account=${accountId}`);
    assert.deepEqual(
      (api.Events as AuditEvent[]).map((e) => e.id),
      events.map((e) => e.id),
    );
    const apiRevoked = await operatorApi('GET', `/v1/audit?order=${orderId}&kind=certificate.revoked`);
    assert.equal(apiRevoked.Events.length, 1);
  });

  test('the trail is append-only: the store refuses to change or delete an entry', async () => {
    const db = cd.ctx.store.db;
    const before = await db
      .selectFrom('audit_events')
      .select(sql<number>`count(*)`.as('n'))
      .executeTakeFirstOrThrow();
    assert.ok(Number(before.n) > 0);
    await assert.rejects(sql`update audit_events set kind = 'x'`.execute(db), /append-only/);
    await assert.rejects(sql`delete from audit_events`.execute(db), /append-only/);
    const after = await db
      .selectFrom('audit_events')
      .select(sql<number>`count(*)`.as('n'))
      .executeTakeFirstOrThrow();
    assert.equal(Number(after.n), Number(before.n));
  });

  test('the operator API refuses an unknown kind with a readable error', async () => {
    const res = await fetch(`${cd.server.adminUrl}/v1/audit?kind=nope`, {
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(res.status, 400);
  });
});
