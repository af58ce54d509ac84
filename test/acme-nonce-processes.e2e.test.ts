// RFC 8555 §6.5 across processes: two `certdesk serve` processes share one PostgreSQL store
// behind one ACME URL (as behind a load balancer); the same signed request, with one nonce,
// sent to both at once is accepted by exactly one, and the other answers badNonce.
// PostgreSQL only: SQLite is one process's store (several processes are the PostgreSQL case).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, freshStoreArgs, TEST_DATABASE_URL } from './support/harness.js';
import { dropTestSchema } from './support/pg.js';
import { spawnServe, type ServeProcess } from './support/process.js';
import { runCliJson } from './support/cli.js';
import { AcmeTestClient, newAccountKey } from './support/acme-client.js';

const ROUNDS = 12;
const ERR = 'urn:ietf:params:acme:error:';

test(
  'one nonce sent to two processes sharing PostgreSQL at once: exactly one accepts it, the other answers badNonce',
  { skip: TEST_DATABASE_URL ? false : 'needs PostgreSQL', timeout: 180_000 },
  async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'certdesk-nonce-'));
    const store = freshStoreArgs(dataDir);
    const procs: ServeProcess[] = [];
    let client: AcmeTestClient | undefined;
    try {
      const acmePorts = [await freePort(), await freePort()];
      // Both build every URL from the first one's address: a JWS `url` is valid on either.
      const acmeUrl = `https://127.0.0.1:${acmePorts[0]}`;
      for (const port of acmePorts)
        procs.push(
          await spawnServe(
            [
              ...store.args,
              '--listen',
              `127.0.0.1:${await freePort()}`,
              '--admin-listen',
              '127.0.0.1:0',
              '--acme-listen',
              `127.0.0.1:${port}`,
              '--acme-url',
              acmeUrl,
              '--log-level',
              'error',
            ],
            store.env,
            // From source (tsx) on a shared, loaded machine a start can take a while.
            { startTimeoutMs: 120_000 },
          ),
        );
      const chain = await runCliJson<{ Chain: Array<{ Role: string; Pem: string }> }>(
        ['ca', 'show', '--json', ...store.args],
        store.env,
      );
      const rootPem = chain.Chain.find((c) => c.Role === 'root')!.Pem;
      const key = await runCliJson<{ AccountId: number }>(
        ['admin', 'account', 'create', '--name', 'Nonce Inc', ...store.args],
        store.env,
      );
      const eab = await runCliJson<{ KeyId: string; HmacKey: string }>(
        [
          'admin',
          'acme',
          'eab',
          'create',
          '--account',
          String(key.AccountId),
          '--product',
          'digicert-free-1-free',
          '--json',
          ...store.args,
        ],
        store.env,
      );
      client = await new AcmeTestClient(`${acmeUrl}/acme/directory`, newAccountKey('ec256'), rootPem).init();
      const c = client;
      assert.equal((await c.newAccount({ keyId: eab.KeyId, hmac: eab.HmacKey })).status, 201);
      const accountPath = new URL(c.kid!).pathname;

      for (let round = 0; round < ROUNDS; round++) {
        // The nonce comes from either process; both redeem it from the shared table.
        const issuer = `https://127.0.0.1:${acmePorts[round % 2]}`;
        const nonce = (await c.raw(`${issuer}/acme/new-nonce`, { method: 'HEAD' })).headers.get('replay-nonce')!;
        assert.ok(nonce);
        const body = await c.sign(c.kid!, '', { nonce });
        const send = (port: number) =>
          c.raw(`https://127.0.0.1:${port}${accountPath}`, {
            method: 'POST',
            body,
            headers: { 'content-type': 'application/jose+json' },
          });
        const answers = await Promise.all(acmePorts.map(send));
        const accepted = answers.filter((r) => r.status === 200);
        const refused = answers.filter((r) => r.status === 400 && r.body?.type === `${ERR}badNonce`);
        assert.equal(accepted.length, 1, `round ${round}: ${answers.map((r) => `${r.status} ${r.text}`).join(' | ')}`);
        assert.equal(refused.length, 1, `round ${round}: the other process refuses the spent nonce`);
        assert.match(refused[0]!.body.detail, /JWS has an invalid anti-replay nonce/);
        assert.ok(refused[0]!.headers.get('replay-nonce'), 'badNonce carries a fresh nonce');
        // Sent again later, to either process: spent.
        const late = await send(acmePorts[(round + 1) % 2]!);
        assert.equal(late.body?.type, `${ERR}badNonce`);
      }
    } finally {
      client?.close();
      await Promise.all(procs.map((p) => p.kill()));
      await dropTestSchema(TEST_DATABASE_URL, store.env.CERTDESK_PG_SCHEMA);
      rmSync(dataDir, { recursive: true, force: true });
    }
  },
);
