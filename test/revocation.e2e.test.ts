// Issue 4, Revocation: operators revoke by serial with an RFC 5280 reason (CLI and admin
// API); whoever holds the key revokes by proving possession; revoked shows REVOKED everywhere.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey, sign, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Certdesk } from './support/harness.js';
import type { ChallengeServer } from './challenge-server.js';
import { Cas, casClient, type CasClient } from './support/sdk.js';
import { runCli, runCliJson } from './support/cli.js';
import { freshDomain, publishChallenges, startWithChallenges, waitForType } from './support/orders.js';
import { createAccount } from '../src/accounts/accounts.js';
import { grantPlan } from '../src/accounts/plans.js';
import { addContact } from '../src/accounts/contacts.js';
import { revocationStatement } from '../src/orders/revoke-by-key.js';

let cd: Certdesk;
let cs: ChallengeServer;
let client: CasClient;

async function issue(): Promise<{ orderId: number; leaf: X509Certificate; keyPem: string }> {
  const orderId = (
    await client.createCertificateForPackageRequest(
      new Cas.CreateCertificateForPackageRequestRequest({ domain: freshDomain('rev'), validateType: 'DNS' }),
    )
  ).body!.orderId!;
  await publishChallenges(cs, client, orderId);
  const s = await waitForType(client, orderId, ['certificate']);
  return { orderId, leaf: new X509Certificate(s.certificate!), keyPem: s.privateKey! };
}

async function statusOf(orderId: number): Promise<string | undefined> {
  const list = await client.listUserCertificateOrder(new Cas.ListUserCertificateOrderRequest({ showSize: 1000 }));
  return list.body!.certificateOrderList!.find((o) => o.orderId === orderId)?.status;
}

before(async () => {
  ({ cd, cs } = await startWithChallenges());
  const key = await createAccount(cd.ctx.accounts, 'Revocations');
  await grantPlan(cd.ctx.accounts, { accountId: key.AccountId, productCode: 'digicert-free-1-free', count: 10 });
  await addContact(cd.ctx.accounts, key.AccountId, { name: 'R', email: 'r@example.com', mobile: '13900006666' });
  client = casClient(cd.endpoint, key);
});
after(async () => {
  await cd?.close();
  await cs?.close();
});

test('an operator revokes by serial with a reason (CLI), and the order shows REVOKED', async () => {
  const { orderId, leaf } = await issue();
  const r = await runCliJson(
    ['admin', 'cert', 'revoke', '--serial', leaf.serialNumber, '--reason', 'keyCompromise', ...cd.storeArgs],
    cd.storeEnv,
  );
  assert.equal(r.OrderId, orderId);
  assert.equal(await statusOf(orderId), 'REVOKED');
  const row = await cd.ctx.store.repos.certificates.findIssuedBySerial(
    [cd.server.orders.ca.id],
    leaf.serialNumber.toUpperCase(),
  );
  assert.ok(row, `no row for ${leaf.serialNumber} (issuer ${cd.server.orders.ca.id})`);
  assert.equal(row?.revocationReason, 1);
  const again = await runCli(['admin', 'cert', 'revoke', '--serial', leaf.serialNumber, ...cd.storeArgs], cd.storeEnv);
  assert.notEqual(again.code, 0);
  assert.match(again.stderr, /already revoked/);
  const bad = await runCli(
    ['admin', 'cert', 'revoke', '--serial', leaf.serialNumber, '--reason', 'certificateHold', ...cd.storeArgs],
    cd.storeEnv,
  );
  assert.match(bad.stderr, /revocation reason must be one of/);
});

test('the admin API revokes by serial too', async () => {
  const { orderId, leaf } = await issue();
  const token = readFileSync(join(cd.dataDir, 'admin-token'), 'utf8').trim();
  const res = await fetch(`${cd.server.adminUrl}/v1/certificates/${leaf.serialNumber}/revoke`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ Reason: 'superseded' }),
  });
  assert.equal(res.status, 200);
  assert.equal(await statusOf(orderId), 'REVOKED');
});

test('the key holder revokes by proving possession; a wrong key or a stale proof is refused', async () => {
  const { orderId, leaf, keyPem } = await issue();
  const post = (body: unknown) =>
    fetch(`${cd.server.apiUrl}/v1/revoke-by-key`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const proof = (key: string, at: Date, reason = 'keyCompromise') => {
    const timestamp = at.toISOString().replace(/\.\d{3}Z$/, 'Z');
    return {
      Certificate: leaf.toString(),
      Reason: reason,
      Timestamp: timestamp,
      Signature: sign(
        'sha256',
        revocationStatement(leaf.serialNumber, reason, timestamp),
        createPrivateKey(key),
      ).toString('base64'),
    };
  };
  const other = await issue();
  let r = await post(proof(other.keyPem, new Date()));
  assert.equal(r.status, 400);
  assert.equal((await r.json()).Code, 'SignatureDoesNotMatch');
  r = await post(proof(keyPem, new Date(Date.now() - 3_600_000)));
  assert.equal((await r.json()).Code, 'InvalidTimeStamp.Expired');
  assert.equal(await statusOf(orderId), 'ISSUED', 'refused proofs change nothing');
  r = await post(proof(keyPem, new Date()));
  assert.equal(r.status, 200);
  assert.equal((await r.json()).SerialNo, leaf.serialNumber.toUpperCase());
  assert.equal(await statusOf(orderId), 'REVOKED');
  const certs = await client.listUserCertificateOrder(
    new Cas.ListUserCertificateOrderRequest({ orderType: 'CERT', status: 'REVOKED', showSize: 100 }),
  );
  assert.ok(
    certs.body!.certificateOrderList!.some(
      (c) => c.serialNo === leaf.serialNumber.toUpperCase() && c.status === 'REVOKED',
    ),
  );
});
