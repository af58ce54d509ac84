// The ACME negative matrix (RFC 8555 §6.2-§6.7): each refusal asserted by problem type and
// status, and that it changed nothing (no unit spent, no order moved, no account made).
import { after, before, describe as suite, test } from 'node:test';
import assert from 'node:assert/strict';
import { FlattenedSign } from 'jose';
import type { Certdesk } from './support/harness.js';
import type { ChallengeServer } from './challenge-server.js';
import { Cas, casClient, type CasClient } from './support/sdk.js';
import { freshDomain } from './support/orders.js';
import { AcmeTestClient, newAccountKey, publicJwk, unsignedJws } from './support/acme-client.js';
import { csrFor, eabFor, solve, startAcmeCertdesk } from './support/acme.js';
import { createAccount } from '../src/accounts/accounts.js';
import { grantPlan } from '../src/accounts/plans.js';
import { buildCsr } from '../src/ca/csr-builder.js';

const ERR = 'urn:ietf:params:acme:error:';

suite('ACME negative matrix', () => {
  let cd: Certdesk;
  let cs: ChallengeServer;
  let rootPem: string;
  let directoryUrl: string;
  let a: AcmeTestClient;
  let b: AcmeTestClient;
  let cas: CasClient;
  let accountId: number;

  async function used(): Promise<number> {
    return (
      await cas.describePackageState(new Cas.DescribePackageStateRequest({ productCode: 'digicert-free-1-free' }))
    ).body!.usedCount!;
  }

  async function accountClient(limitProduct = 'digicert-free-1-free'): Promise<AcmeTestClient> {
    const c = await new AcmeTestClient(directoryUrl, newAccountKey('ec256'), rootPem).init();
    const eab = await eabFor(cd, accountId, limitProduct);
    const r = await c.newAccount({ keyId: eab.KeyId, hmac: eab.HmacKey });
    assert.equal(r.status, 201, r.text);
    return c;
  }

  /** A one-name order of account a, its http-01 challenge solved, polled until ready. */
  async function readyOrder(prefix: string) {
    const name = freshDomain(prefix);
    const order = await a.newOrder([name]);
    await solve(cs, a, order.body, 'http-01');
    const orderUrl = order.headers.get('location')!;
    await a.poll(orderUrl, (o) => o.status === 'ready');
    return { name, order, orderUrl };
  }

  function assertProblem(r: { status: number; body: any; headers: Headers }, status: number, type: string) {
    assert.equal(r.status, status, JSON.stringify(r.body));
    assert.equal(r.body.type, `${ERR}${type}`);
    assert.match(r.headers.get('content-type') ?? '', /application\/problem\+json/);
    assert.ok(r.headers.get('replay-nonce'), 'every answer to a POST carries a fresh nonce');
  }

  before(async () => {
    ({ cd, cs, rootPem, directoryUrl } = await startAcmeCertdesk({ 'acme-orders-per-hour': '6' }));
    const key = await createAccount(cd.ctx.accounts, 'Negative Inc');
    accountId = key.AccountId;
    cas = casClient(cd.endpoint, key);
    await grantPlan(cd.ctx.accounts, { accountId, productCode: 'digicert-free-1-free', count: 30 });
    a = await accountClient();
    b = await accountClient();
  });
  after(async () => {
    a?.close();
    b?.close();
    await cd?.close();
    await cs?.close();
  });

  test('request authentication refusals, in the order of RFC 8555 §6.2', async () => {
    const url = a.directory.newOrder;
    const payload = { identifiers: [{ type: 'dns', value: freshDomain('neg') }] };
    const before = await used();
    // Wrong Content-Type: 415 malformed.
    assertProblem(await a.post(url, payload, { contentType: 'application/json' }), 415, 'malformed');
    // An unprotected header member.
    const signed = JSON.parse(await a.sign(url, payload));
    assertProblem(
      await a.raw(url, {
        method: 'POST',
        body: JSON.stringify({ ...signed, header: { kid: a.kid } }),
        headers: { 'content-type': 'application/jose+json' },
      }),
      400,
      'malformed',
    );
    // alg none and a MAC: badSignatureAlgorithm with the supported list.
    const none = await a.raw(url, {
      method: 'POST',
      body: unsignedJws({ alg: 'none', kid: a.kid, nonce: await a.nonce(), url }, payload),
      headers: { 'content-type': 'application/jose+json' },
    });
    assertProblem(none, 400, 'badSignatureAlgorithm');
    assert.deepEqual(none.body.algorithms, ['RS256', 'ES256', 'ES384', 'ES512']);
    const hs = await new FlattenedSign(new TextEncoder().encode(JSON.stringify(payload)))
      .setProtectedHeader({ alg: 'HS256', kid: a.kid, nonce: await a.nonce(), url })
      .sign(Buffer.alloc(32, 1));
    assertProblem(
      await a.raw(url, {
        method: 'POST',
        body: JSON.stringify(hs),
        headers: { 'content-type': 'application/jose+json' },
      }),
      400,
      'badSignatureAlgorithm',
    );
    // jwk and kid together.
    assertProblem(await a.post(url, payload, { extraHeader: { jwk: await publicJwk(a.key) } }), 400, 'malformed');
    // Unknown kid.
    assertProblem(
      await a.post(url, payload, { extraHeader: { kid: `${a.kid!.replace(/\/[^/]+$/, '/')}AAAAAAAAAAAAAAAAAAAAAA` } }),
      400,
      'accountDoesNotExist',
    );
    // The url of another endpoint (§6.4).
    assertProblem(await a.post(url, payload, { url: a.directory.revokeCert }), 400, 'malformed');
    assert.equal(await used(), before, 'no unit spent');
  });

  test('a replayed nonce is badNonce with the text acme.sh looks for; of concurrent replays exactly one wins', async () => {
    const nonce = await a.nonce();
    const ok = await a.post(a.kid!, '', { nonce });
    assert.equal(ok.status, 200);
    const replay = await a.post(a.kid!, '', { nonce });
    assertProblem(replay, 400, 'badNonce');
    assert.match(replay.body.detail, /JWS has an invalid anti-replay nonce/);
    // The same signed request sent 12 times at once: one answer 200, eleven badNonce.
    const body = await a.sign(a.kid!, '');
    const answers = await Promise.all(
      Array.from({ length: 12 }, () =>
        a.raw(a.kid!, { method: 'POST', body, headers: { 'content-type': 'application/jose+json' } }),
      ),
    );
    assert.equal(answers.filter((r) => r.status === 200).length, 1);
    assert.equal(answers.filter((r) => r.body?.type === `${ERR}badNonce`).length, 11);
  });

  test("another account's order (404), authorization and certificate (403)", async () => {
    const order = await a.newOrder([freshDomain('own')]);
    assert.equal(order.status, 201);
    const orderUrl = order.headers.get('location')!;
    assertProblem(await b.post(orderUrl, ''), 404, 'malformed');
    assertProblem(await b.post(order.body.authorizations[0], ''), 403, 'unauthorized');
    const chall = (await a.post(order.body.authorizations[0], '')).body.challenges[0].url;
    assertProblem(await b.post(chall, {}), 403, 'unauthorized');
    assert.equal((await a.post(chall, '')).body.status, 'pending', 'not started by the other account');
    // finalize before ready.
    const fin = await a.post(order.body.finalize, {
      csr: csrFor(order.body.identifiers.map((i: any) => i.value)).der.toString('base64url'),
    });
    assertProblem(fin, 403, 'orderNotReady');
    assert.equal((await a.post(orderUrl, '')).body.status, 'pending');
  });

  test('CSR refusals at finalize: other names, the account key; the order stays ready', async () => {
    const { name, order, orderUrl } = await readyOrder('csr');
    const other = await a.post(order.body.finalize, { csr: csrFor([freshDomain('other')]).der.toString('base64url') });
    assertProblem(other, 400, 'badCSR');
    const withAccountKey = buildCsr({ privateKey: a.key, subject: [['2.5.4.3', name]], dnsNames: [name] });
    assertProblem(await a.post(order.body.finalize, { csr: withAccountKey.toString('base64url') }), 400, 'badCSR');
    assert.equal((await a.post(orderUrl, '')).body.status, 'ready');
    // The certificate of this order is then refused to the other account.
    const done = await a.post(order.body.finalize, { csr: csrFor([name]).der.toString('base64url') });
    const valid = await a.poll(orderUrl, (o) => o.status === 'valid');
    assert.equal(done.status, 200);
    assertProblem(await b.post(valid.body.certificate, ''), 403, 'unauthorized');
  });

  test('finalize of a ready order past its expires is refused (404 malformed), nothing issued', async () => {
    const { name, order, orderUrl } = await readyOrder('late');
    // Expired a moment ago, before the minutely sweep has seen it.
    const urlId = orderUrl.split('/').pop()!;
    await cd.ctx.store.db
      .updateTable('acme_orders')
      .set({ expires_at: Date.now() - 1000 })
      .where('url_id', '=', urlId)
      .execute();
    const late = await a.post(order.body.finalize, { csr: csrFor([name]).der.toString('base64url') });
    assertProblem(late, 404, 'malformed');
    assert.match(late.body.detail, /expired/);
    const row = await cd.ctx.store.db
      .selectFrom('acme_orders')
      .innerJoin('certificates', 'certificates.order_id', 'acme_orders.order_id')
      .select('certificates.id')
      .where('url_id', '=', urlId)
      .executeTakeFirst();
    assert.equal(row, undefined, 'no certificate for the expired order');
  });

  test('EAB with a bad MAC (403 unauthorized) or binding another key (400 badPublicKey) makes no account', async () => {
    const eab = await eabFor(cd, accountId, 'digicert-free-1-free');
    const c = await new AcmeTestClient(directoryUrl, newAccountKey('ec256'), rootPem).init();
    try {
      const bad = await c.post(
        c.directory.newAccount,
        {
          termsOfServiceAgreed: true,
          externalAccountBinding: await c.eab(eab.KeyId, Buffer.alloc(32, 7).toString('base64url')),
        },
        { useJwk: true },
      );
      assertProblem(bad, 403, 'unauthorized');
      const otherKey = await c.post(
        c.directory.newAccount,
        {
          termsOfServiceAgreed: true,
          externalAccountBinding: await c.eab(eab.KeyId, eab.HmacKey, { jwkOf: newAccountKey('ec256') }),
        },
        { useJwk: true },
      );
      assertProblem(otherKey, 400, 'badPublicKey');
      const none = await c.post(c.directory.newAccount, { termsOfServiceAgreed: true }, { useJwk: true });
      assertProblem(none, 403, 'externalAccountRequired');
      // The credential is still unused: a correct request now succeeds.
      assert.equal((await c.newAccount({ keyId: eab.KeyId, hmac: eab.HmacKey })).status, 201);
    } finally {
      c.close();
    }
  });

  test('the per-account order rate limit answers 429 rateLimited with an integer Retry-After, spending nothing', async () => {
    const c = await accountClient();
    try {
      let last;
      for (let i = 0; i < 7; i++) {
        last = await c.newOrder([freshDomain('rate')]);
        if (last.status !== 201) break;
      }
      const before = await used();
      const refused = await c.newOrder([freshDomain('rate')]);
      assertProblem(refused, 429, 'rateLimited');
      assert.match(refused.headers.get('retry-after') ?? '', /^\d+$/);
      assert.match(refused.body.detail, /acme-new-orders/);
      assert.equal(await used(), before);
      void last;
    } finally {
      c.close();
    }
  });
});
