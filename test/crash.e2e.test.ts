// Issue 3, "Done when": the server process is killed (SIGKILL) during validation and during
// issuance; after a restart each order completes with exactly one certificate.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startChallengeServer, type ChallengeServer } from './challenge-server.js';
import { freePort, freshStoreArgs, TEST_DATABASE_URL } from './support/harness.js';
import { dropTestSchema } from './support/pg.js';
import { spawnServe, type ServeProcess } from './support/process.js';
import { runCliJson } from './support/cli.js';
import { Cas, casClient, type CasClient } from './support/sdk.js';
import { challengeServeFlags, describe, freshDomain, publishChallenges, waitForType } from './support/orders.js';

let cs: ChallengeServer;
let dataDir: string;
let store: { args: string[]; env: Record<string, string> };
let port: number;
let adminPort: number;
let client: CasClient;
let server: ServeProcess | undefined;

function serve(env: Record<string, string> = {}): Promise<ServeProcess> {
  return spawnServe(
    [
      ...store.args,
      '--listen',
      `127.0.0.1:${port}`,
      '--admin-listen',
      `127.0.0.1:${adminPort}`,
      ...challengeServeFlags(cs),
    ],
    { ...store.env, ...env },
  );
}

async function certificatesOf(orderId: number): Promise<number> {
  const list = await client.listUserCertificateOrder(
    new Cas.ListUserCertificateOrderRequest({ orderType: 'CERT', showSize: 1000 }),
  );
  const detailOrders = await Promise.all(
    list.body!.certificateOrderList!.map(
      async (c) =>
        (
          await client.getUserCertificateDetail(
            new Cas.GetUserCertificateDetailRequest({ certId: c.certificateId, certFilter: true }),
          )
        ).body!.orderId,
    ),
  );
  return detailOrders.filter((id) => id === orderId).length;
}

before(async () => {
  cs = await startChallengeServer();
  dataDir = mkdtempSync(join(tmpdir(), 'certdesk-crash-'));
  store = freshStoreArgs(dataDir);
  port = await freePort();
  adminPort = await freePort();
  const key = await runCliJson(['admin', 'account', 'create', '--name', 'Crash', ...store.args], store.env);
  await runCliJson(
    [
      'admin',
      'plan',
      'grant',
      '--account',
      String(key.AccountId),
      '--product',
      'digicert-free-1-free',
      '--count',
      '10',
      ...store.args,
    ],
    store.env,
  );
  await runCliJson(
    [
      'admin',
      'contact',
      'add',
      '--account',
      String(key.AccountId),
      '--name',
      'C',
      '--email',
      'c@example.com',
      '--mobile',
      '13900004444',
      ...store.args,
    ],
    store.env,
  );
  client = casClient(`127.0.0.1:${port}`, key);
});

after(async () => {
  await server?.kill();
  await cs?.close();
  await dropTestSchema(TEST_DATABASE_URL, store?.env.CERTDESK_PG_SCHEMA);
  rmSync(dataDir, { recursive: true, force: true });
});

test('killed between recording the intent and signing: the restart signs the recorded certificate, once', async () => {
  server = await serve({ CERTDESK_FAULT: 'kill-after-intent' });
  const orderId = (
    await client.createCertificateForPackageRequest(
      new Cas.CreateCertificateForPackageRequestRequest({ domain: freshDomain('crash'), validateType: 'DNS' }),
    )
  ).body!.orderId!;
  const published = publishChallenges(cs, client, orderId).catch(() => undefined); // the server dies under it
  const code = await server.exited;
  await published;
  assert.equal(code, null, 'the process died by a signal (SIGKILL after the intent was recorded)');
  server = await serve();
  const done = await waitForType(client, orderId, ['certificate'], 30_000);
  assert.match(done.certificate!, /BEGIN CERTIFICATE/);
  assert.equal(await certificatesOf(orderId), 1);
  const state = (await client.describePackageState(new Cas.DescribePackageStateRequest({}))).body!;
  assert.equal(state.issuedCount, 1);
  await server.kill();
});

test('killed during a validation attempt: after the restart the order completes with one certificate', async () => {
  server = await serve();
  const domain = freshDomain('crash');
  // The web server answers slowly, so the kill lands while the attempt is in flight.
  cs.setA(domain, ['127.0.0.1']);
  const orderId = (
    await client.createCertificateForPackageRequest(
      new Cas.CreateCertificateForPackageRequestRequest({ domain, validateType: 'FILE' }),
    )
  ).body!.orderId!;
  const s = await describe(client, orderId);
  cs.setHttp(domain, s.uri!, { body: s.content!, delayMs: 1500 });
  await new Promise((r) => setTimeout(r, 700));
  await server.kill();
  server = await serve();
  const done = await waitForType(client, orderId, ['certificate'], 30_000);
  assert.match(done.certificate!, /BEGIN CERTIFICATE/);
  assert.equal(await certificatesOf(orderId), 1);
  await server.kill();
});
