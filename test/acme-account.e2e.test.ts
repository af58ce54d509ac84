// What the packaged clients lack, with the project's JWS client: key change (RFC 8555 §7.3.5),
// the orders list (§7.1.2.1), ARI renewalInfo (RFC 9773 §4), authorization reuse across
// orders of one customer, deactivation (§7.3.6), and the nonce-rejecting switch that makes
// every retry path run.
import { after, before, describe as suite, test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import type { Certdesk } from './support/harness.js';
import type { ChallengeServer } from './challenge-server.js';
import { freshDomain } from './support/orders.js';
import { AcmeTestClient, newAccountKey } from './support/acme-client.js';
import { csrFor, eabFor, solve, startAcmeCertdesk } from './support/acme.js';
import { createAccount } from '../src/accounts/accounts.js';
import { grantPlan } from '../src/accounts/plans.js';
import { AsnConvert } from '@peculiar/asn1-schema';
import { AuthorityKeyIdentifier, Certificate, id_ce_authorityKeyIdentifier } from '@peculiar/asn1-x509';

const ERR = 'urn:ietf:params:acme:error:';

suite('ACME account features', () => {
  let cd: Certdesk;
  let cs: ChallengeServer;
  let rootPem: string;
  let directoryUrl: string;
  let c: AcmeTestClient;
  let accountId: number;

  before(async () => {
    // A share of valid nonces is refused: the client's badNonce retry must carry every step.
    ({ cd, cs, rootPem, directoryUrl } = await startAcmeCertdesk({ 'acme-nonce-reject-percent': '20' }));
    const key = await createAccount(cd.ctx.accounts, 'Features Inc');
    accountId = key.AccountId;
    await grantPlan(cd.ctx.accounts, { accountId, productCode: 'digicert-free-1-free', count: 10 });
    c = await new AcmeTestClient(directoryUrl, newAccountKey('ec384'), rootPem).init();
    const eab = await eabFor(cd, accountId, 'digicert-free-1-free');
    assert.equal((await c.newAccount({ keyId: eab.KeyId, hmac: eab.HmacKey })).status, 201);
  });
  after(async () => {
    c?.close();
    await cd?.close();
    await cs?.close();
  });

  test('an order is issued although one nonce in five is refused; the orders list shows it; ARI suggests a window', async () => {
    const name = freshDomain('ari');
    const order = await c.newOrder([name]);
    assert.equal(order.status, 201, order.text);
    await solve(cs, c, order.body, 'http-01');
    const url = order.headers.get('location')!;
    const ready = await c.poll(url, (o) => o.status === 'ready');
    await c.post(ready.body.finalize, { csr: csrFor([name]).der.toString('base64url') });
    const valid = await c.poll(url, (o) => o.status === 'valid');
    const pem = (await c.post(valid.body.certificate, '')).text;
    const cert = new X509Certificate(pem.split(/(?=-----BEGIN)/)[0]!);
    const list = await c.post((await c.post(c.kid!, '')).body.orders, '');
    assert.equal(list.status, 200);
    assert.ok(list.body.orders.includes(url));
    // RFC 9773 §4.1 certID: AKI keyIdentifier . serial.
    const parsed = AsnConvert.parse(cert.raw, Certificate);
    const akiExt = parsed.tbsCertificate.extensions!.find((e) => e.extnID === id_ce_authorityKeyIdentifier)!;
    const aki = AsnConvert.parse(akiExt.extnValue, AuthorityKeyIdentifier).keyIdentifier!;
    const serial = Buffer.from(parsed.tbsCertificate.serialNumber);
    const certId = `${Buffer.from(aki.buffer).toString('base64url')}.${serial.toString('base64url')}`;
    const ari = await c.raw(`${c.directory.renewalInfo}/${certId}`);
    assert.equal(ari.status, 200, ari.text);
    const start = Date.parse(ari.body.suggestedWindow.start);
    const end = Date.parse(ari.body.suggestedWindow.end);
    assert.ok(start < end);
    assert.ok(start > Date.parse(cert.validFrom) && end < Date.parse(cert.validTo));
    assert.match(ari.headers.get('retry-after') ?? '', /^\d+$/);
    assert.equal((await c.raw(`${c.directory.renewalInfo}/not-a-cert-id`)).status, 400);
    // A second order for the same name reuses the valid authorization: ready at once.
    const again = await c.newOrder([name]);
    assert.equal(again.body.status, 'ready');
  });

  test('key change: the new key signs, the old one no longer finds the account', async () => {
    const newKey = newAccountKey('rsa2048');
    const inner = await c.keyChangeInner(newKey);
    const r = await c.post(c.directory.keyChange, inner);
    assert.equal(r.status, 200, r.text);
    const oldKey = c.key;
    c.key = newKey;
    assert.equal((await c.post(c.kid!, '')).status, 200);
    c.key = oldKey;
    const stale = await c.post(c.kid!, '');
    assert.equal(stale.status, 400);
    assert.equal(stale.body.type, `${ERR}malformed`, 'the old key no longer verifies');
    c.key = newKey;
  });

  test('deactivation: the account answers 403 unauthorized to every later request', async () => {
    const pending = await c.newOrder([freshDomain('deact')]);
    assert.equal(pending.status, 201);
    const r = await c.post(c.kid!, { status: 'deactivated' });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.status, 'deactivated');
    const after = await c.post(c.kid!, '');
    assert.equal(after.status, 403);
    assert.equal(after.body.type, `${ERR}unauthorized`);
  });
});
