// Issue 2, "Done when": certdesk on loopback, driven by the official SDK in all three
// signing modes, set up by the real `certdesk admin` commands; every rejection has its own
// code and status on the thrown error; tenants never see each other's data.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startCertdesk, type Certdesk } from './support/harness.js';
import { Cas, SIGNING_MODES, casClient, sdkError, withHeaders, withQueries } from './support/sdk.js';
import { runCliJson } from './support/cli.js';

interface Key {
  AccountId: number;
  AccessKeyId: string;
  AccessKeySecret: string;
}

describe('CAS gateway through the official SDK', () => {
  let cd: Certdesk;
  let a: Key;
  let b: Key;
  const admin = (args: string[]) => runCliJson(['admin', ...args, ...cd.storeArgs], cd.storeEnv);

  before(async () => {
    cd = await startCertdesk();
    a = await admin(['account', 'create', '--name', 'Account A']);
    b = await admin(['account', 'create', '--name', 'Account B']);
    await admin([
      'plan',
      'grant',
      '--account',
      String(a.AccountId),
      '--product',
      'symantec-free-1-free',
      '--count',
      '20',
    ]);
    await admin([
      'plan',
      'grant',
      '--account',
      String(a.AccountId),
      '--product',
      'symantec-free-1-free',
      '--count',
      '5',
    ]);
    await admin([
      'plan',
      'grant',
      '--account',
      String(a.AccountId),
      '--product',
      'geotrust-dv-w-starter',
      '--count',
      '3',
    ]);
    await admin([
      'plan',
      'grant',
      '--account',
      String(b.AccountId),
      '--product',
      'symantec-free-1-free',
      '--count',
      '7',
    ]);
    await admin([
      'contact',
      'add',
      '--account',
      String(a.AccountId),
      '--name',
      'Tom',
      '--email',
      'tom@example.com',
      '--mobile',
      '13900001111',
    ]);
    await admin([
      'contact',
      'add',
      '--account',
      String(a.AccountId),
      '--name',
      'Ana',
      '--email',
      'ana@example.org',
      '--mobile',
      '13900002222',
      '--webhook',
      'https://hooks.example.com/a',
    ]);
    await admin([
      'contact',
      'add',
      '--account',
      String(a.AccountId),
      '--name',
      'Li Wei',
      '--email',
      'li@example.com',
      '--mobile',
      '13900003333',
    ]);
    await admin([
      'contact',
      'add',
      '--account',
      String(b.AccountId),
      '--name',
      'Bob',
      '--email',
      'bob@b.example',
      '--mobile',
      '13900009999',
    ]);
  });
  after(async () => cd?.close());

  for (const mode of SIGNING_MODES) {
    test(`DescribePackageState and ListContact answer what the admin set up (${mode})`, async () => {
      const client = casClient(cd.endpoint, a, mode);
      const state = await client.describePackageState(
        new Cas.DescribePackageStateRequest({ productCode: 'symantec-free-1-free' }),
      );
      assert.equal(state.statusCode, 200);
      assert.equal(state.body?.productCode, 'symantec-free-1-free');
      assert.equal(state.body?.totalCount, 25);
      assert.equal(state.body?.usedCount, 0);
      assert.equal(state.body?.issuedCount, 0);
      assert.match(state.body?.requestId ?? '', /^[0-9A-F-]{36}$/);

      const wild = await client.describePackageState(
        new Cas.DescribePackageStateRequest({ productCode: 'geotrust-dv-w-starter' }),
      );
      assert.equal(wild.body?.totalCount, 3);
      // Default ProductCode is digicert-free-1-free (CAS API reference, DescribePackageState); A has none of it.
      const def = await client.describePackageState(new Cas.DescribePackageStateRequest({}));
      assert.equal(def.body?.productCode, 'digicert-free-1-free');
      assert.equal(def.body?.totalCount, 0);

      const contacts = await client.listContact(new Cas.ListContactRequest({}));
      assert.equal(contacts.body?.totalCount, 3);
      assert.equal(contacts.body?.currentPage, 1);
      assert.equal(contacts.body?.showSize, 20);
      assert.deepEqual(
        contacts.body?.contactList?.map((c) => c.name),
        ['Li Wei', 'Ana', 'Tom'],
      );
      const ana = contacts.body?.contactList?.find((c) => c.name === 'Ana');
      assert.equal(ana?.email, 'ana@example.org');
      assert.equal(ana?.mobile, '13900002222');
      assert.equal(ana?.emailStatus, 0);
      assert.deepEqual(JSON.parse(ana?.webhooks ?? 'null'), ['https://hooks.example.com/a']);

      const found = await client.listContact(
        new Cas.ListContactRequest({ keyword: 'EXAMPLE.COM', showSize: 1, currentPage: 2 }),
      );
      assert.equal(found.body?.totalCount, 2);
      assert.equal(found.body?.keyword, 'EXAMPLE.COM');
      assert.deepEqual(
        found.body?.contactList?.map((c) => c.name),
        ['Tom'],
      );
    });
  }

  test("account B never sees account A's plans or contacts", async () => {
    const client = casClient(cd.endpoint, b);
    const state = await client.describePackageState(
      new Cas.DescribePackageStateRequest({ productCode: 'symantec-free-1-free' }),
    );
    assert.equal(state.body?.totalCount, 7);
    const wild = await client.describePackageState(
      new Cas.DescribePackageStateRequest({ productCode: 'geotrust-dv-w-starter' }),
    );
    assert.equal(wild.body?.totalCount, 0);
    const contacts = await client.listContact(new Cas.ListContactRequest({ keyword: 'example' }));
    assert.deepEqual(
      contacts.body?.contactList?.map((c) => c.name),
      ['Bob'],
    );
  });

  test('each rejection has its own code and status on the SDK error', async () => {
    const good = casClient(cd.endpoint, a);
    const req = () => new Cas.DescribePackageStateRequest({ productCode: 'symantec-free-1-free' });
    const cases: Array<{ name: string; call: () => Promise<unknown>; code: string; status: number; cls?: string }> = [
      {
        name: 'wrong secret',
        call: () => casClient(cd.endpoint, { ...a, AccessKeySecret: 'x'.repeat(30) }).describePackageState(req()),
        code: 'SignatureDoesNotMatch',
        status: 400,
      },
      {
        name: 'wrong secret (v1)',
        call: () => casClient(cd.endpoint, { ...a, AccessKeySecret: 'x'.repeat(30) }, 'v2').describePackageState(req()),
        code: 'SignatureDoesNotMatch',
        status: 400,
      },
      {
        name: 'unknown key',
        call: () =>
          casClient(cd.endpoint, { ...a, AccessKeyId: 'LTAInosuchkey0000000000' }).describePackageState(req()),
        code: 'InvalidAccessKeyId.NotFound',
        status: 404,
      },
      {
        name: 'stale date',
        code: 'InvalidTimeStamp.Expired',
        status: 400,
        call: () =>
          good.describePackageStateWithOptions(
            req(),
            withHeaders({ 'x-acs-date': new Date(Date.now() - 16 * 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z') }),
          ),
      },
      {
        name: 'future date',
        code: 'InvalidTimeStamp.Expired',
        status: 400,
        call: () =>
          good.describePackageStateWithOptions(
            req(),
            withHeaders({ 'x-acs-date': new Date(Date.now() + 16 * 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z') }),
          ),
      },
      {
        name: 'malformed date',
        code: 'InvalidParameter',
        status: 400,
        call: () => good.describePackageStateWithOptions(req(), withHeaders({ 'x-acs-date': '2026-11-29 10:00:00' })),
      },
      {
        name: 'missing ProductCode is fine, a malformed one is not',
        call: () => good.describePackageState(new Cas.DescribePackageStateRequest({ productCode: 'no-such-product' })),
        code: 'InvalidParameter',
        status: 400,
      },
      {
        name: 'malformed paging',
        call: () => good.listContact(new Cas.ListContactRequest({ showSize: 0 })),
        code: 'InvalidParameter',
        status: 400,
      },
      {
        name: 'paging too large',
        call: () => good.listContact(new Cas.ListContactRequest({ showSize: 101 })),
        code: 'InvalidParameter',
        status: 400,
      },
    ];
    for (const c of cases) {
      const e = await sdkError(c.call);
      assert.equal(e.code, c.code, `${c.name}: ${e.message}`);
      assert.equal(e.statusCode, c.status, c.name);
      assert.equal(e.name, 'ClientError', c.name);
      assert.match(e.requestId ?? '', /^[0-9A-F-]{36}$/, c.name);
      assert.ok(!e.message.includes(a.AccessKeySecret), 'the secret never appears in an error');
    }
  });

  test('a reused nonce is refused, also in legacy mode', async () => {
    const client = casClient(cd.endpoint, a);
    const nonce = `nonce-${Date.now()}`;
    const first = await client.describePackageStateWithOptions(
      new Cas.DescribePackageStateRequest({}),
      withHeaders({ 'x-acs-signature-nonce': nonce }),
    );
    assert.equal(first.statusCode, 200);
    const e = await sdkError(() =>
      client.describePackageStateWithOptions(
        new Cas.DescribePackageStateRequest({}),
        withHeaders({ 'x-acs-signature-nonce': nonce }),
      ),
    );
    assert.equal(e.code, 'SignatureNonceUsed');
    assert.equal(e.statusCode, 400);
    // Legacy RPC v1 carries the nonce in the query (SignatureNonce).
    const v1 = casClient(cd.endpoint, a, 'v2');
    const v1Nonce = `v1-${nonce}`;
    assert.equal(
      (
        await v1.describePackageStateWithOptions(
          new Cas.DescribePackageStateRequest({}),
          withQueries({ SignatureNonce: v1Nonce }),
        )
      ).statusCode,
      200,
    );
    const again = await sdkError(() =>
      v1.describePackageStateWithOptions(
        new Cas.DescribePackageStateRequest({}),
        withQueries({ SignatureNonce: v1Nonce }),
      ),
    );
    assert.equal(again.code, 'SignatureNonceUsed');
  });

  test('a request whose signature fails writes nothing: its nonce stays usable', async () => {
    const nonce = `unsigned-${Date.now()}`;
    const forged = casClient(cd.endpoint, { ...a, AccessKeySecret: 'x'.repeat(30) });
    const e = await sdkError(() =>
      forged.describePackageStateWithOptions(
        new Cas.DescribePackageStateRequest({}),
        withHeaders({ 'x-acs-signature-nonce': nonce }),
      ),
    );
    assert.equal(e.code, 'SignatureDoesNotMatch');
    const client = casClient(cd.endpoint, a);
    const ok = await client.describePackageStateWithOptions(
      new Cas.DescribePackageStateRequest({}),
      withHeaders({ 'x-acs-signature-nonce': nonce }),
    );
    assert.equal(ok.statusCode, 200);
  });

  test('a disabled key is refused, and works again once enabled; a deleted key is unknown', async () => {
    const k = await runCliJson<Key>(
      ['admin', 'key', 'create', '--account', String(a.AccountId), ...cd.storeArgs],
      cd.storeEnv,
    );
    const client = casClient(cd.endpoint, k);
    assert.equal((await client.describePackageState(new Cas.DescribePackageStateRequest({}))).statusCode, 200);
    await runCliJson(['admin', 'key', 'disable', k.AccessKeyId, ...cd.storeArgs], cd.storeEnv);
    const e = await sdkError(() => client.describePackageState(new Cas.DescribePackageStateRequest({})));
    assert.equal(e.code, 'InvalidAccessKeyId.Inactive');
    assert.equal(e.statusCode, 400);
    await runCliJson(['admin', 'key', 'enable', k.AccessKeyId, ...cd.storeArgs], cd.storeEnv);
    assert.equal((await client.describePackageState(new Cas.DescribePackageStateRequest({}))).statusCode, 200);
    await runCliJson(['admin', 'key', 'delete', k.AccessKeyId, ...cd.storeArgs], cd.storeEnv);
    const gone = await sdkError(() => client.describePackageState(new Cas.DescribePackageStateRequest({})));
    assert.equal(gone.code, 'InvalidAccessKeyId.NotFound');
  });

  test('a policy that forbids the action gets Forbidden.RAM with AccessDeniedDetail', async () => {
    const k = await runCliJson<Key>(
      [
        'admin',
        'key',
        'create',
        '--account',
        String(a.AccountId),
        '--policy',
        'yundun-cert:Describe*',
        ...cd.storeArgs,
      ],
      cd.storeEnv,
    );
    const client = casClient(cd.endpoint, k);
    assert.equal(
      (await client.describePackageState(new Cas.DescribePackageStateRequest({}))).body?.productCode,
      'digicert-free-1-free',
    );
    const e = await sdkError(() => client.listContact(new Cas.ListContactRequest({})));
    assert.equal(e.code, 'Forbidden.RAM');
    assert.equal(e.statusCode, 403);
    assert.equal(e.accessDeniedDetail?.AuthAction, 'yundun-cert:ListContact');
  });

  test('unknown action, wrong version and missing parameters', async () => {
    const client = casClient(cd.endpoint, a);
    const unknown = await sdkError(() => client.listCloudAccess(new Cas.ListCloudAccessRequest({})));
    assert.equal(unknown.code, 'InvalidAction.NotFound');
    assert.equal(unknown.statusCode, 404);
    const version = await sdkError(() =>
      client.describePackageStateWithOptions(
        new Cas.DescribePackageStateRequest({}),
        withHeaders({ 'x-acs-version': '2015-01-01' }),
      ),
    );
    assert.equal(version.code, 'InvalidVersion');
    assert.equal(version.statusCode, 400);
    // The SDK checks nothing (Alibaba Cloud CAS API reference (2020-04-07)): a required parameter left out is the server's to refuse.
    const missing = await sdkError(() => client.describeCertificateState(new Cas.DescribeCertificateStateRequest({})));
    assert.equal(missing.code, 'MissingParameter');
    assert.equal(missing.statusCode, 400);
    assert.match(missing.message, /OrderId/);
  });
});
