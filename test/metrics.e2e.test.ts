// Prometheus metrics at GET /metrics on the operator listener, behind the operator token, and
// never on the customer's API port. A real certdesk on loopback, the official SDK as the
// client; one certificate issued through DNS validation on the loopback challenge server so
// that the store gauges have something to count.
import { after, before, describe as suite, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Certdesk } from './support/harness.js';
import type { ChallengeServer } from './challenge-server.js';
import { Cas, casClient, sdkError, withHeaders, type CasClient } from './support/sdk.js';
import { describe, freshDomain, publishChallenges, startWithChallenges, waitForType } from './support/orders.js';
import { createAccount } from '../src/accounts/accounts.js';
import { grantPlan } from '../src/accounts/plans.js';
import { addContact } from '../src/accounts/contacts.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** `name{labels}` -> value, with the label pairs sorted by name (the text format does not order them). */
function parseSamples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([^\s{]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(m, `malformed sample line: ${line}`);
    const labels = m[2] ? (m[2].match(/[a-z_]+="(?:[^"\\]|\\.)*"/g) ?? []).sort().join(',') : '';
    out.set(labels ? `${m[1]}{${labels}}` : m[1]!, Number(m[3]));
  }
  return out;
}

suite('metrics at /metrics on the operator listener', () => {
  let cd: Certdesk;
  let cs: ChallengeServer;
  let client: CasClient;
  let secret: { AccessKeyId: string; AccessKeySecret: string };

  const scrape = async () => {
    const res = await fetch(`${cd.server.adminUrl}/metrics`, { headers: { authorization: `Bearer ${token()}` } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
    const text = await res.text();
    return { text, samples: parseSamples(text) };
  };

  const token = () => readFileSync(join(cd.dataDir, 'admin-token'), 'utf8').trim();

  before(async () => {
    ({ cd, cs } = await startWithChallenges());
    const key = await createAccount(cd.ctx.accounts, 'Metrics Inc');
    secret = key;
    client = casClient(cd.endpoint, key);
    await grantPlan(cd.ctx.accounts, { accountId: key.AccountId, productCode: 'digicert-free-1-free', count: 5 });
    await addContact(cd.ctx.accounts, key.AccountId, { name: 'Tom', email: 'tom@example.com', mobile: '13900001111' });
  });
  after(async () => {
    await cd?.close();
    await cs?.close();
  });

  test('not on the CAS listener; on the operator listener only with the operator token', async () => {
    const onApi = await fetch(`${cd.server.apiUrl}/metrics`);
    assert.equal(onApi.status, 404);
    assert.equal((await onApi.json()).Code, 'NotFound');
    const anonymous = await fetch(`${cd.server.adminUrl}/metrics`);
    assert.ok(anonymous.status === 401 || anonymous.status === 403, String(anonymous.status));
    assert.doesNotMatch(await anonymous.text(), /certdesk_/);
    const wrong = await fetch(`${cd.server.adminUrl}/metrics`, { headers: { authorization: 'Bearer wrong' } });
    assert.equal(wrong.status, 403);
    assert.doesNotMatch(await wrong.text(), /certdesk_/);
  });

  test('counts CAS requests by action and code, with a latency histogram', async () => {
    await client.describePackageState(new Cas.DescribePackageStateRequest({}));
    const wrong = casClient(cd.endpoint, { ...secret, AccessKeySecret: 'x'.repeat(30) });
    const e = await sdkError(() => wrong.describePackageState(new Cas.DescribePackageStateRequest({})));
    assert.equal(e.code, 'SignatureDoesNotMatch');
    // A signed call to an action certdesk does not serve is counted under `unknown`, never
    // under its own name (bounded label values); so is a request refused before its action is read.
    const unserved = await sdkError(() =>
      client.describePackageStateWithOptions(
        new Cas.DescribePackageStateRequest({}),
        withHeaders({ 'x-acs-action': 'NoSuchAction' }),
      ),
    );
    assert.equal(unserved.code, 'InvalidAction.NotFound');
    const unsigned = await fetch(`${cd.server.apiUrl}/?Action=NoSuchAction`, { method: 'POST' });
    assert.equal(unsigned.status, 400);

    const { text, samples } = await scrape();
    assert.equal(samples.get('certdesk_cas_requests_total{action="DescribePackageState",code="OK"}'), 1);
    assert.equal(
      samples.get('certdesk_cas_requests_total{action="DescribePackageState",code="SignatureDoesNotMatch"}'),
      1,
    );
    assert.equal(samples.get('certdesk_cas_requests_total{action="unknown",code="InvalidAction.NotFound"}'), 1, text);
    assert.equal(samples.get('certdesk_cas_requests_total{action="unknown",code="IncompleteSignature"}'), 1, text);
    assert.equal(samples.get('certdesk_cas_request_duration_seconds_count{action="unknown"}'), 2);
    assert.doesNotMatch(text, /NoSuchAction/);
    assert.equal(samples.get('certdesk_cas_request_duration_seconds_count{action="DescribePackageState"}'), 2);
    assert.equal(
      samples.get('certdesk_cas_request_duration_seconds_bucket{action="DescribePackageState",le="+Inf"}'),
      2,
    );
    assert.ok(samples.get('certdesk_cas_request_duration_seconds_sum{action="DescribePackageState"}')! > 0);
    assert.match(text, /^# TYPE certdesk_cas_request_duration_seconds histogram$/m);
    assert.ok(samples.get('process_resident_memory_bytes')! > 0);
    assert.ok(samples.get('nodejs_eventloop_lag_seconds')! >= 0);
  });

  test('store gauges count orders, validations, certificates and jobs', async () => {
    const before = (await scrape()).samples;
    assert.equal(before.get('certdesk_store_up'), 1);
    assert.equal(before.get('certdesk_orders{state="certificate"}'), 0);
    assert.equal(before.get('certdesk_certificates_issued_total'), 0);
    assert.equal(before.get('certdesk_validations{status="valid"}'), 0);

    const { body } = await client.createCertificateForPackageRequest(
      new Cas.CreateCertificateForPackageRequestRequest({ domain: freshDomain('metrics'), validateType: 'DNS' }),
    );
    const orderId = body!.orderId!;
    assert.equal((await describe(client, orderId)).type, 'domain_verify');
    await publishChallenges(cs, client, orderId);
    await waitForType(client, orderId, ['certificate']);

    const { text, samples } = await scrape();
    assert.equal(samples.get('certdesk_orders{state="certificate"}'), 1);
    assert.equal(samples.get('certdesk_orders{state="domain_verify"}'), 0);
    assert.equal(samples.get('certdesk_validations{status="valid"}'), 1);
    assert.equal(samples.get('certdesk_validations{status="pending"}'), 0);
    assert.equal(samples.get('certdesk_certificates_issued_total'), 1);
    assert.equal(samples.get('certdesk_certificates_revoked_total'), 0);
    assert.match(text, /^# HELP certdesk_orders .*every certdesk process on one database reports the same value/m);
    // Jobs: every kind present reports all three states, as non-negative integers.
    const jobs = [...samples].filter(([k]) => k.startsWith('certdesk_jobs{'));
    const kinds = new Set(jobs.map(([k]) => /kind="([^"]*)"/.exec(k)![1]));
    assert.equal(jobs.length, kinds.size * 3, text);
    for (const [k, v] of jobs) {
      assert.match(k, /^certdesk_jobs\{kind="[^"]+",state="(due|leased|scheduled)"\}$/);
      assert.ok(Number.isInteger(v) && v >= 0, `${k} ${v}`);
    }
  });
});
