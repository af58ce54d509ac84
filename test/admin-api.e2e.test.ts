// The operator API: its own listener and bearer token, the same
// operations as `certdesk admin`, errors in the same JSON form as the CAS API.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startCertdesk, type Certdesk } from './support/harness.js';
import { Cas, casClient } from './support/sdk.js';

let cd: Certdesk;
let token: string;

async function call(method: string, path: string, body?: unknown, auth = token) {
  const res = await fetch(`${cd.server.adminUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${auth}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: await res.json() };
}

before(async () => {
  cd = await startCertdesk();
  token = readFileSync(join(cd.dataDir, 'admin-token'), 'utf8').trim();
});
after(async () => cd?.close());

test('without the token nothing is answered but /healthz', async () => {
  assert.equal((await fetch(`${cd.server.adminUrl}/healthz`)).status, 200);
  const r = await call('GET', '/v1/accounts', undefined, 'wrong');
  assert.equal(r.status, 403);
  assert.equal(r.body.Code, 'Forbidden');
  assert.match(r.body.RequestId, /^[0-9A-F-]{36}$/);
});

test('accounts, keys, plans, contacts and companies through the operator API reach the CAS API', async () => {
  const acct = await call('POST', '/v1/accounts', { Name: 'Via API' });
  assert.equal(acct.status, 201);
  const { AccountId, AccessKeyId, AccessKeySecret } = acct.body;
  assert.equal(
    (await call('POST', `/v1/accounts/${AccountId}/plans`, { ProductCode: 'geotrust-dv-1-starter', Count: 4 })).status,
    201,
  );
  const expired = await call('POST', `/v1/accounts/${AccountId}/plans`, {
    ProductCode: 'geotrust-dv-1-starter',
    Count: 4,
    ExpiresAt: '2001-01-01T00:00:00Z',
  });
  assert.equal(expired.body.Code, 'InvalidParameter');
  const contact = await call('POST', `/v1/accounts/${AccountId}/contacts`, {
    Name: 'Op',
    Email: 'op@example.com',
    Mobile: '13900005555',
    Webhooks: ['https://hooks.example.com/x'],
  });
  assert.equal(contact.status, 201);
  assert.equal(
    (await call('POST', `/v1/accounts/${AccountId}/companies`, { Name: 'Op Co', Country: 'CN', City: 'Hangzhou' }))
      .status,
    201,
  );
  assert.equal((await call('GET', `/v1/accounts/${AccountId}/companies`)).body.Companies[0].Name, 'Op Co');

  const client = casClient(cd.endpoint, { AccessKeyId, AccessKeySecret });
  assert.equal(
    (await client.describePackageState(new Cas.DescribePackageStateRequest({ productCode: 'geotrust-dv-1-starter' })))
      .body?.totalCount,
    4,
  );
  assert.deepEqual(
    (await client.listContact(new Cas.ListContactRequest({}))).body?.contactList?.map((c) => c.name),
    ['Op'],
  );

  const key = await call('POST', `/v1/accounts/${AccountId}/keys`, { Policy: 'ListContact' });
  assert.equal(key.status, 201);
  assert.deepEqual(
    (await call('GET', `/v1/accounts/${AccountId}/keys`)).body.AccessKeys.find(
      (k: any) => k.accessKeyId === key.body.AccessKeyId,
    ).policy,
    ['yundun-cert:ListContact'],
  );
  assert.equal((await call('POST', `/v1/keys/${AccessKeyId}/disable`)).status, 200);
  assert.equal(
    (await call('GET', `/v1/accounts/${AccountId}/keys`)).body.AccessKeys.find(
      (k: any) => k.accessKeyId === AccessKeyId,
    ).enabled,
    false,
  );
  assert.equal((await call('DELETE', `/v1/accounts/${AccountId}/contacts/${contact.body.ContactId}`)).status, 200);
  assert.equal((await call('GET', `/v1/accounts/${AccountId}/contacts`)).body.TotalCount, 0);
});

test('bad operator input gets a clear error and changes nothing', async () => {
  const cases: Array<[string, string, unknown, string]> = [
    ['POST', '/v1/accounts', {}, 'MissingParameter'],
    ['POST', '/v1/accounts/999999/plans', { ProductCode: 'digicert-free-1-free', Count: 1 }, 'NotFound'],
    ['POST', '/v1/accounts/1/plans', { ProductCode: 'nope', Count: 1 }, 'InvalidParameter'],
    ['POST', '/v1/accounts/1/plans', { ProductCode: 'digicert-free-1-free', Count: -1 }, 'InvalidParameter'],
    ['POST', '/v1/accounts/1/contacts', { Name: 'x', Email: 'not-an-email', Mobile: '1' }, 'InvalidParameter'],
    ['POST', '/v1/orders/424242/approve', undefined, 'NotFound'],
    ['POST', '/v1/orders/1/reject', {}, 'MissingParameter'],
    ['GET', '/v1/orders?state=bogus', undefined, 'InvalidParameter'],
    ['GET', '/v1/nothing-here', undefined, 'NotFound'],
  ];
  const before = (await call('GET', '/v1/accounts')).body.Accounts.length;
  for (const [method, path, body, code] of cases) {
    const r = await call(method, path, body);
    assert.equal(r.body.Code, code, `${method} ${path}: ${r.body.Message}`);
    assert.ok(r.status >= 400 && r.status < 500);
  }
  assert.equal((await call('GET', '/v1/accounts')).body.Accounts.length, before);
});
