// The ACME listener's defaults: `certdesk serve` serves ACME on 127.0.0.1:8443 with the base
// URL https://127.0.0.1:8443; with port 0 (tests, parallel servers) every emitted URL names
// the port actually bound.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildConfig } from '../src/config/schema.js';
import { toPem } from '../src/crypto/pem.js';
import { freePort, freshStoreArgs, startCertdesk } from './support/harness.js';
import { dropTestSchema } from './support/pg.js';
import { spawnServe } from './support/process.js';
import { AcmeTestClient, newAccountKey } from './support/acme-client.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

test('the ACME listener defaults to 127.0.0.1:8443 and its base URL to https://127.0.0.1:8443', () => {
  const c = buildConfig({});
  assert.deepEqual(c.acmeListen, { host: '127.0.0.1', port: 8443 });
  assert.equal(c.acmeUrl, undefined, 'derived from the listener unless given');
  const given = buildConfig({ 'acme-url': 'https://acme.example.com/' });
  assert.equal(given.acmeUrl, 'https://acme.example.com');
});

test('with --acme-listen port 0 the directory and every URL name the port bound', async () => {
  const cd = await startCertdesk({ 'acme-listen': '127.0.0.1:0' });
  try {
    const base = cd.server.acmeListenUrl;
    const port = Number(new URL(base).port);
    assert.ok(port > 0, base);
    const root = toPem('CERTIFICATE', cd.server.hierarchy.root.certDer);
    const c = await new AcmeTestClient(`${base}/acme/directory`, newAccountKey(), root).init();
    try {
      assert.equal(c.directory.newNonce, `https://127.0.0.1:${port}/acme/new-nonce`);
      assert.equal(c.directory.newOrder, `https://127.0.0.1:${port}/acme/new-order`);
      // The JWS url check compares with the same bound base: a signed request reaches the account check.
      const r = await c.post(c.directory.newAccount, { onlyReturnExisting: true }, { useJwk: true });
      assert.equal(r.body.type, 'urn:ietf:params:acme:error:accountDoesNotExist', r.text);
    } finally {
      c.close();
    }
  } finally {
    await cd.close();
  }
});

/** Whether 127.0.0.1:8443 can be bound now (another engineer's certdesk may hold it). */
function port8443Free(): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(8443, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

test('certdesk serve without --acme-listen serves ACME on 127.0.0.1:8443', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'certdesk-acme-default-'));
  dirs.push(dataDir);
  const store = freshStoreArgs(dataDir);
  const args = [...store.args, '--listen', `127.0.0.1:${await freePort()}`, '--admin-listen', '127.0.0.1:0'];
  try {
    if (await port8443Free()) {
      const p = await spawnServe(args, store.env, { defaultAcmeListen: true, startTimeoutMs: 120_000 });
      try {
        assert.match(p.output(), /ACME on https:\/\/127\.0\.0\.1:8443\/acme\/directory/);
      } finally {
        await p.kill();
      }
    } else {
      // The port is taken on this shared machine: serve must then fail on exactly that address.
      await assert.rejects(
        spawnServe(args, store.env, { defaultAcmeListen: true, startTimeoutMs: 120_000 }),
        /127\.0\.0\.1:8443|8443/,
      );
    }
  } finally {
    await dropTestSchema(process.env.CERTDESK_TEST_DATABASE_URL, store.env.CERTDESK_PG_SCHEMA);
  }
});
