// ARI replacement orders (RFC 9773 §5) with the project's JWS client: `replaces` must name a
// certificate issued to the same ACME account (403 unauthorized), share an identifier with the
// new order (400 malformed), and not be replaced already by an order that is not invalid (409
// alreadyReplaced). Each refusal spends nothing; the accepted order echoes `replaces`.
import { after, before, describe as suite, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Certdesk } from './support/harness.js';
import type { ChallengeServer } from './challenge-server.js';
import { Cas, casClient, type CasClient } from './support/sdk.js';
import { freshDomain } from './support/orders.js';
import { AcmeTestClient, newAccountKey } from './support/acme-client.js';
import { certIdOf, eabFor, issueWith, startAcmeCertdesk } from './support/acme.js';
import { createAccount } from '../src/accounts/accounts.js';
import { grantPlan } from '../src/accounts/plans.js';

const ERR = 'urn:ietf:params:acme:error:';
const PRODUCT = 'digicert-free-1-free';

suite('ACME replaces (RFC 9773 §5)', () => {
  let cd: Certdesk;
  let cs: ChallengeServer;
  let rootPem: string;
  let directoryUrl: string;
  let cas: CasClient;
  let accountId: number;
  const clients: AcmeTestClient[] = [];

  async function accountClient(): Promise<AcmeTestClient> {
    const c = await new AcmeTestClient(directoryUrl, newAccountKey('ec256'), rootPem).init();
    clients.push(c);
    const eab = await eabFor(cd, accountId, PRODUCT);
    assert.equal((await c.newAccount({ keyId: eab.KeyId, hmac: eab.HmacKey })).status, 201);
    return c;
  }

  async function used(): Promise<number> {
    return (await cas.describePackageState(new Cas.DescribePackageStateRequest({ productCode: PRODUCT }))).body!
      .usedCount!;
  }

  async function orderCount(c: AcmeTestClient): Promise<number> {
    return (await c.post((await c.post(c.kid!, '')).body.orders, '')).body.orders.length;
  }

  /** A refused newOrder: its problem type and status, and no unit spent, no order listed. */
  async function refused(c: AcmeTestClient, names: string[], replaces: unknown, status: number, type: string) {
    const [u, n] = [await used(), await orderCount(c)];
    const r = await c.newOrder(names, { replaces });
    assert.equal(r.status, status, r.text);
    assert.equal(r.body.type, `${ERR}${type}`, r.text);
    assert.equal(await used(), u, 'no unit spent');
    assert.equal(await orderCount(c), n, 'no order made');
  }

  before(async () => {
    ({ cd, cs, rootPem, directoryUrl } = await startAcmeCertdesk());
    const key = await createAccount(cd.ctx.accounts, 'Replaces Inc');
    accountId = key.AccountId;
    cas = casClient(cd.endpoint, key);
    await grantPlan(cd.ctx.accounts, { accountId, productCode: PRODUCT, count: 20 });
  });
  after(async () => {
    for (const c of clients) c.close();
    await cd?.close();
    await cs?.close();
  });

  test('a replacement is checked, recorded and echoed; a second one is 409 alreadyReplaced until the first is invalid', async () => {
    const a = await accountClient();
    const b = await accountClient();
    const name = freshDomain('ari-old');
    const { pem, orderUrl } = await issueWith(cs, a, [name]);
    const certId = certIdOf(pem);

    // Not a certID: 400 malformed.
    await refused(a, [name], 'not-a-cert-id', 400, 'malformed');
    await refused(a, [name], 42, 400, 'malformed');
    // A certID of no certificate of ours (same issuer, another serial): 403 unauthorized.
    const [kid] = certId.split('.');
    await refused(a, [name], `${kid}.${Buffer.from([0x7f, 1, 2, 3]).toString('base64url')}`, 403, 'unauthorized');
    // Another account of the same customer may not replace it: 403 unauthorized.
    await refused(b, [name], certId, 403, 'unauthorized');
    // No identifier in common: 400 malformed.
    await refused(a, [freshDomain('ari-other')], certId, 400, 'malformed');

    // Accepted: the order echoes replaces, and the store records which certificate it replaces.
    const first = await a.newOrder([name], { replaces: certId });
    assert.equal(first.status, 201, first.text);
    assert.equal(first.body.replaces, certId);
    const urlId = first.headers.get('location')!.split('/').pop()!;
    const rec = await cd.ctx.store.repos.acme.orderByUrlId(urlId);
    const old = await cd.ctx.store.repos.acme.orderByUrlId(orderUrl.split('/').pop()!);
    const cert = await cd.ctx.store.repos.certificates.forOrder(old!.order.id);
    assert.equal(rec!.link.replacesCertificateId, cert!.id);
    assert.equal((await a.post(first.headers.get('location')!, '')).body.replaces, certId);

    // A second replacement while the first is not invalid: 409 alreadyReplaced, nothing spent.
    await refused(a, [name], certId, 409, 'alreadyReplaced');

    // Once the first replacement is invalid (its authorization deactivated), another may replace it.
    for (const authz of first.body.authorizations as string[]) {
      const d = await a.post(authz, { status: 'deactivated' });
      assert.equal(d.status, 200, d.text);
    }
    assert.equal((await a.post(first.headers.get('location')!, '')).body.status, 'invalid');
    const second = await a.newOrder([name], { replaces: certId });
    assert.equal(second.status, 201, second.text);
    assert.equal(second.body.replaces, certId);
  });
});
