// ACME IP identifiers (RFC 8738) end to end with the project's JWS client: orders for 127.0.0.1
// and ::1 on the `shortlived` profile, validated by http-01 at the address itself and by
// tls-alpn-01 (a real TLS responder answering the address's reverse-DNS name, §6), finalized
// with CSRs made by openssl, the leaf checked with `openssl x509` and `openssl verify`; and
// the refusals: the profile that does not certify addresses, non-canonical text, a CSR for
// another address. And a real client: the npm package acme-client, whose createOrder passes
// `profile` through and whose createCsr writes an address as an iPAddress SAN.
import { after, before, describe as suite, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import https from 'node:https';
import acme from 'acme-client';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Certdesk } from './support/harness.js';
import type { ChallengeServer } from './challenge-server.js';
import { Cas, casClient, sdkError, type CasClient } from './support/sdk.js';
import { AcmeTestClient, newAccountKey, type AcmeResponse } from './support/acme-client.js';
import { eabFor, startAcmeCertdesk } from './support/acme.js';
import { exec, legoAccountArgs, tool } from './support/tools.js';
import { createAccount } from '../src/accounts/accounts.js';
import { grantPlan } from '../src/accounts/plans.js';
import { reverseDnsName } from '../src/validation/index.js';
import { startTlsAlpnResponder } from '../src/app/tls-alpn-responder.js';

const run = promisify(execFile);
const ERR = 'urn:ietf:params:acme:error:';
const HOUR_MS = 3_600_000;

/** An address as openssl prints it (IPv6 in full groups) in RFC 5952 form, by the WHATWG URL parser. */
function canonical(printed: string): string {
  return printed.includes(':') ? new URL(`http://[${printed}]/`).hostname.slice(1, -1) : printed;
}

suite('ACME IP identifiers (RFC 8738)', () => {
  let cd: Certdesk;
  let cs: ChallengeServer;
  let rootPem: string;
  let directoryUrl: string;
  let dir: string;
  let client: AcmeTestClient;
  let cas: CasClient;
  let files = 0;

  async function customerClient(units = 10): Promise<{ client: AcmeTestClient; cas: CasClient }> {
    const key = await createAccount(cd.ctx.accounts, `IP customer ${Date.now()}`);
    await grantPlan(cd.ctx.accounts, { accountId: key.AccountId, productCode: 'digicert-free-1-free', count: units });
    const c = await new AcmeTestClient(directoryUrl, newAccountKey('ec256'), rootPem).init();
    const eab = await eabFor(cd, key.AccountId, 'digicert-free-1-free');
    const r = await c.newAccount({ keyId: eab.KeyId, hmac: eab.HmacKey });
    assert.equal(r.status, 201, r.text);
    return { client: c, cas: casClient(cd.endpoint, key) };
  }

  function ipOrder(c: AcmeTestClient, ips: string[], extra: Record<string, unknown> = { profile: 'shortlived' }) {
    return c.post(c.directory.newOrder, { identifiers: ips.map((value) => ({ type: 'ip', value })), ...extra });
  }

  async function used(c: CasClient): Promise<number> {
    return (await c.describePackageState(new Cas.DescribePackageStateRequest({ productCode: 'digicert-free-1-free' })))
      .body!.usedCount!;
  }

  /** A DER CSR made by openssl: `cn` as subject or none, IP SANs. */
  async function opensslCsr(ips: string[], cn?: string): Promise<string> {
    const n = ++files;
    const keyFile = join(dir, `key-${n}.pem`);
    const csrFile = join(dir, `csr-${n}.der`);
    const key = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    writeFileSync(keyFile, key.export({ format: 'pem', type: 'pkcs8' }));
    await run('openssl', [
      'req',
      '-new',
      '-key',
      keyFile,
      '-subj',
      cn === undefined ? '/' : `/CN=${cn}`,
      '-addext',
      `subjectAltName=${ips.map((ip) => `IP:${ip}`).join(',')}`,
      '-outform',
      'DER',
      '-out',
      csrFile,
    ]);
    return readFileSync(csrFile).toString('base64url');
  }

  /** Finalizes a ready order and checks the leaf with openssl: IP Address SANs only, 160 hours, chain verifies. */
  async function finalizeAndCheck(c: AcmeTestClient, orderUrl: string, ips: string[]): Promise<string> {
    const ready = await c.poll(orderUrl, (b) => b.status !== 'pending');
    assert.equal(ready.body.status, 'ready', ready.text);
    const fin = await c.post(ready.body.finalize, { csr: await opensslCsr(ips) });
    assert.equal(fin.status, 200, fin.text);
    const valid = await c.poll(orderUrl, (b) => b.status === 'valid' || b.status === 'invalid');
    assert.equal(valid.body.status, 'valid', valid.text);
    const cert = await c.post(valid.body.certificate, '');
    assert.equal(cert.status, 200);
    const pems = cert.text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/g)!;
    const n = ++files;
    const leafFile = join(dir, `leaf-${n}.pem`);
    const chainFile = join(dir, `chain-${n}.pem`);
    writeFileSync(leafFile, pems[0]);
    writeFileSync(chainFile, pems[1]!);
    const text = (await run('openssl', ['x509', '-in', leafFile, '-noout', '-text'])).stdout;
    const san = text.match(/X509v3 Subject Alternative Name: (critical)?\n\s*(.+)\n/);
    assert.ok(san, text);
    // openssl prints IPv6 in full groups (0:0:0:0:0:0:0:1); compare as addresses.
    const printed = san[2]!.split(', ').map((e) => e.trim());
    assert.ok(
      printed.every((e) => e.startsWith('IP Address:')),
      `only iPAddress SANs, no dNSName: ${san[2]}`,
    );
    const addresses = printed.map((e) => e.slice('IP Address:'.length));
    assert.deepEqual(addresses.map(canonical), ips);
    // An empty subject (no DNS name for a CN): the SAN is critical (RFC 5280 §4.2.1.6).
    assert.equal(san[1], 'critical');
    assert.match(text, /Subject: *\n/);
    const x = new X509Certificate(pems[0]);
    // 160 hours from the backdated notBefore (less when the test CA, made just now, is younger
    // than the backdating hour: notBefore is then the CA's own).
    const span = Date.parse(x.validTo) - Date.parse(x.validFrom);
    assert.ok(span <= 160 * HOUR_MS - 1000 && span >= 159 * HOUR_MS - 1000, `shortlived: 160 hours, not ${span} ms`);
    writeFileSync(join(dir, 'root.pem'), rootPem);
    const verify = await run('openssl', [
      'verify',
      '-CAfile',
      join(dir, 'root.pem'),
      '-untrusted',
      chainFile,
      '-verify_ip',
      ips[0]!,
      leafFile,
    ]);
    assert.match(verify.stdout, /: OK/);
    return valid.body.authorizations[0];
  }

  async function authzOf(c: AcmeTestClient, order: AcmeResponse) {
    return (await c.post(order.body.authorizations[0], '')).body;
  }

  before(async () => {
    ({ cd, cs, rootPem, directoryUrl } = await startAcmeCertdesk());
    dir = mkdtempSync(join(tmpdir(), 'certdesk-acme-ip-'));
    ({ client, cas } = await customerClient());
  });
  after(async () => {
    client?.close();
    await cd?.close();
    await cs?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('the directory offers the shortlived profile', () => {
    assert.match(client.directory.meta.profiles.shortlived, /IP addresses/);
  });

  test('127.0.0.1 by http-01: authorization of type ip, no dns-01, iPAddress SAN, 160 hours, openssl verify', async () => {
    const created = await ipOrder(client, ['127.0.0.1']);
    assert.equal(created.status, 201, created.text);
    assert.equal(created.body.profile, 'shortlived');
    assert.deepEqual(created.body.identifiers, [{ type: 'ip', value: '127.0.0.1' }]);
    const authz = await authzOf(client, created);
    assert.deepEqual(authz.identifier, { type: 'ip', value: '127.0.0.1' });
    assert.deepEqual(
      authz.challenges.map((c: any) => c.type),
      ['http-01', 'tls-alpn-01'],
      'RFC 8738 §7: no dns-01 (nor dns-account-01) for an address',
    );
    const ch = authz.challenges.find((c: any) => c.type === 'http-01');
    cs.setHttp('127.0.0.1', `/.well-known/acme-challenge/${ch.token}`, {
      body: await client.keyAuthorization(ch.token),
    });
    assert.equal((await client.post(ch.url, {})).status, 200);
    await finalizeAndCheck(client, created.headers.get('location')!, ['127.0.0.1']);
    // No DNS lookup for an address (RFC 8738 §4): the request came to the address, Host the address.
    assert.ok(cs.httpRequests().some((r) => r.host === '127.0.0.1' && r.path.endsWith(ch.token)));
  });

  test('CAS renewal of the IP order (WILLEXPIRED at once: 160 hours) is refused; nothing spent', async () => {
    const orders = async () =>
      (await cas.listUserCertificateOrder(new Cas.ListUserCertificateOrderRequest({ orderType: 'CPACK' }))).body!
        .certificateOrderList!;
    const ipOrderRow = (await orders()).find((o) => o.domain === '127.0.0.1');
    assert.ok(ipOrderRow, 'the ACME IP order is listed through the CAS API');
    assert.equal(ipOrderRow.status, 'WILLEXPIRED', 'a 160-hour certificate is in its last 30 days');
    const before = { used: await used(cas), count: (await orders()).length };
    const e = await sdkError(() =>
      cas.renewCertificateOrderForPackageRequest(
        new Cas.RenewCertificateOrderForPackageRequestRequest({ orderId: ipOrderRow.orderId }),
      ),
    );
    assert.equal(e.code, 'InvalidParameter.Domain');
    assert.match(e.message, /IP address 127\.0\.0\.1; renew it through ACME/);
    assert.deepEqual({ used: await used(cas), count: (await orders()).length }, before);
  });

  test('::1 by http-01 (a server on [::1] at the validation port), CSR without a CN', async () => {
    const created = await ipOrder(client, ['::1']);
    assert.equal(created.status, 201, created.text);
    const authz = await authzOf(client, created);
    assert.deepEqual(authz.identifier, { type: 'ip', value: '::1' });
    const ch = authz.challenges.find((c: any) => c.type === 'http-01');
    const keyAuth = await client.keyAuthorization(ch.token);
    const hosts: string[] = [];
    const v6: Server = createServer((req, res) => {
      hosts.push(req.headers.host ?? '');
      if (req.url === `/.well-known/acme-challenge/${ch.token}`) res.end(keyAuth);
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve, reject) => {
      v6.once('error', reject);
      v6.listen(cs.httpPort, '::1', resolve);
    });
    try {
      assert.equal((await client.post(ch.url, {})).status, 200);
      await finalizeAndCheck(client, created.headers.get('location')!, ['::1']);
      assert.deepEqual(hosts, [`[::1]:${cs.httpPort}`], 'RFC 7230 §5.4: an IPv6 Host in brackets');
    } finally {
      await new Promise((resolve) => v6.close(resolve));
    }
  });

  test('127.0.0.1 by tls-alpn-01: the responder is asked for the reverse-DNS name (RFC 8738 §6)', async () => {
    // Another customer: the first one's 127.0.0.1 authorization is valid and would be reused.
    const other = await customerClient();
    try {
      const created = await ipOrder(other.client, ['127.0.0.1']);
      assert.equal(created.status, 201, created.text);
      const authz = await authzOf(other.client, created);
      assert.equal(authz.status, 'pending');
      const ch = authz.challenges.find((c: any) => c.type === 'tls-alpn-01');
      const sni = reverseDnsName('127.0.0.1');
      assert.equal(sni, '1.0.0.127.in-addr.arpa');
      cs.setTlsAlpn(sni, {
        keyAuthorization: await other.client.keyAuthorization(ch.token),
        san: [{ ip: '127.0.0.1' }],
      });
      assert.equal((await other.client.post(ch.url, {})).status, 200);
      const authzUrl = await finalizeAndCheck(other.client, created.headers.get('location')!, ['127.0.0.1']);
      const final = (await other.client.post(authzUrl, '')).body;
      assert.deepEqual(
        final.challenges.map((c: any) => [c.type, c.status]),
        [['tls-alpn-01', 'valid']],
      );
    } finally {
      other.client.close();
    }
  });

  test('::1 by tls-alpn-01: a responder on [::1] is asked for the ip6.arpa name (RFC 8738 §6)', async () => {
    // A third customer: the others' ::1 authorization is valid and would be reused.
    const other = await customerClient();
    const sni = reverseDnsName('::1');
    assert.equal(sni, `1.${'0.'.repeat(31)}ip6.arpa`);
    const v6 = await startTlsAlpnResponder(cs.tlsAlpnPort, '::1');
    try {
      const created = await ipOrder(other.client, ['::1']);
      assert.equal(created.status, 201, created.text);
      const authz = await authzOf(other.client, created);
      assert.equal(authz.status, 'pending');
      const ch = authz.challenges.find((c: any) => c.type === 'tls-alpn-01');
      v6.set(sni, { keyAuthorization: await other.client.keyAuthorization(ch.token), san: [{ ip: '::1' }] });
      assert.equal((await other.client.post(ch.url, {})).status, 200);
      const authzUrl = await finalizeAndCheck(other.client, created.headers.get('location')!, ['::1']);
      const final = (await other.client.post(authzUrl, '')).body;
      assert.deepEqual(
        final.challenges.map((c: any) => [c.type, c.status]),
        [['tls-alpn-01', 'valid']],
      );
      assert.ok(v6.serverNames().length > 0 && v6.serverNames().every((n) => n === sni), v6.serverNames().join());
    } finally {
      other.client.close();
      await v6.close();
    }
  });

  test('refusals: a profile without IPs, non-canonical text, an IP as a dns identifier; nothing spent', async () => {
    const before = await used(cas);
    const expect = async (r: AcmeResponse, type: string, detail: RegExp) => {
      assert.equal(r.status, 400, r.text);
      assert.equal(r.body.type, `${ERR}${type}`, r.text);
      assert.match(r.body.detail, detail);
    };
    await expect(
      await ipOrder(client, ['127.0.0.1'], {}),
      'rejectedIdentifier',
      /digicert-free-1-free does not certify IP addresses/,
    );
    await expect(
      await ipOrder(client, ['127.0.0.1'], { profile: 'digicert-free-1-free' }),
      'rejectedIdentifier',
      /shortlived/,
    );
    await expect(await ipOrder(client, ['::0:1']), 'malformed', /canonical form.*"::1"/);
    await expect(await ipOrder(client, ['0:0:0:0:0:0:0:1']), 'malformed', /canonical form/);
    await expect(await ipOrder(client, ['2001:DB8::1']), 'malformed', /"2001:db8::1"/);
    await expect(await ipOrder(client, ['127.000.0.1']), 'malformed', /not an IPv4 or IPv6 address/);
    await expect(await ipOrder(client, ['[::1]']), 'malformed', /not an IPv4 or IPv6 address/);
    await expect(await ipOrder(client, ['fe80::1%lo']), 'malformed', /not an IPv4 or IPv6 address/);
    await expect(
      await client.post(client.directory.newOrder, {
        identifiers: [{ type: 'dns', value: '127.0.0.1' }],
        profile: 'shortlived',
      }),
      'rejectedIdentifier',
      /use the type "ip"/,
    );
    assert.equal(await used(cas), before, 'no refusal spent a unit');
  });

  test('without --allow-private-validation-targets, loopback and private addresses are rejectedIdentifier', async () => {
    const strict = await startAcmeCertdesk({ 'allow-private-validation-targets': false });
    const key = await createAccount(strict.cd.ctx.accounts, 'Strict Inc');
    await grantPlan(strict.cd.ctx.accounts, {
      accountId: key.AccountId,
      productCode: 'digicert-free-1-free',
      count: 1,
    });
    const c = await new AcmeTestClient(strict.directoryUrl, newAccountKey('ec256'), strict.rootPem).init();
    try {
      const eab = await eabFor(strict.cd, key.AccountId, 'digicert-free-1-free');
      assert.equal((await c.newAccount({ keyId: eab.KeyId, hmac: eab.HmacKey })).status, 201);
      for (const ip of [
        '127.0.0.1',
        '::1',
        '10.1.2.3',
        '169.254.169.254',
        '192.0.2.7',
        'fd00::1',
        '::ffff:127.0.0.1',
      ]) {
        const r = await ipOrder(c, [ip]);
        assert.equal(r.status, 400, `${ip}: ${r.text}`);
        assert.equal(r.body.type, `${ERR}rejectedIdentifier`, `${ip}: ${r.text}`);
        assert.match(r.body.detail, /not a public address/);
      }
      // A public address is accepted (and spends the unit; nothing connects to it here).
      const ok = await ipOrder(c, ['8.8.8.8']);
      assert.equal(ok.status, 201, ok.text);
    } finally {
      c.close();
      await strict.cd.close();
      await strict.cs.close();
    }
  });

  test('finalize: a CSR for another address, or with an address as CN, is badCSR; the order stays ready', async () => {
    // 127.0.0.1 was validated for this customer: the new order is ready at once (BR 4.2.1 reuse).
    const created = await ipOrder(client, ['127.0.0.1']);
    assert.equal(created.status, 201, created.text);
    assert.equal(created.body.status, 'ready', created.text);
    for (const [ips, cn] of [
      [['127.0.0.2'], undefined],
      [['127.0.0.1', '127.0.0.2'], undefined],
      [['127.0.0.1'], '127.0.0.2'],
      // An address as CN, even the order's own: addresses are named only as iPAddress SANs.
      [['127.0.0.1'], '127.0.0.1'],
    ] as const) {
      const r = await client.post(created.body.finalize, { csr: await opensslCsr([...ips], cn) });
      assert.equal(r.status, 400, r.text);
      assert.equal(r.body.type, `${ERR}badCSR`, r.text);
    }
    const still = await client.post(created.headers.get('location')!, '');
    assert.equal(still.body.status, 'ready');
  });

  test('acme-client 5.4 (npm): an IP certificate for 127.0.0.1 by http-01 on the shortlived profile', async () => {
    const key = await createAccount(cd.ctx.accounts, `acme-client IP ${Date.now()}`);
    await grantPlan(cd.ctx.accounts, { accountId: key.AccountId, productCode: 'digicert-free-1-free', count: 2 });
    const eab = await eabFor(cd, key.AccountId, 'digicert-free-1-free');
    acme.axios.defaults.httpsAgent = new https.Agent({ ca: rootPem });
    const c = new acme.Client({
      directoryUrl,
      accountKey: await acme.crypto.createPrivateEcdsaKey(),
      externalAccountBinding: { kid: eab.KeyId, hmacKey: eab.HmacKey },
    });
    await c.createAccount({ termsOfServiceAgreed: true });
    const order = await c.createOrder({
      identifiers: [{ type: 'ip', value: '127.0.0.1' }],
      profile: 'shortlived',
    } as never);
    const [authz] = await c.getAuthorizations(order);
    assert.equal(authz!.identifier.type, 'ip');
    const ch = authz!.challenges.find((x) => x.type === 'http-01')!;
    cs.setHttp('127.0.0.1', `/.well-known/acme-challenge/${ch.token}`, {
      body: await c.getChallengeKeyAuthorization(ch),
    });
    await c.completeChallenge(ch);
    await c.waitForValidStatus(ch);
    // No CN: acme-client writes an address in altNames as an iPAddress SAN.
    const [, csr] = await acme.crypto.createCsr({ altNames: ['127.0.0.1'] });
    const finalized = await c.finalizeOrder(order, csr);
    const pem = await c.getCertificate(finalized);
    const leaf = new X509Certificate(pem.split(/(?=-----BEGIN)/)[0]!);
    assert.equal(leaf.subjectAltName, 'IP Address:127.0.0.1');
    assert.ok(leaf.checkIP('127.0.0.1'));
  });

  // lego 4.9.1 (Debian bookworm) sends `--domains 127.0.0.1` as a dns identifier and cannot
  // choose a profile: refused, and the problem says why.
  test('lego 4.9 sends an address as a dns identifier: rejectedIdentifier, and the detail says why', async () => {
    const key = await createAccount(cd.ctx.accounts, `lego IP ${Date.now()}`);
    await grantPlan(cd.ctx.accounts, { accountId: key.AccountId, productCode: 'digicert-free-1-free', count: 1 });
    const eab = await eabFor(cd, key.AccountId, 'digicert-free-1-free');
    writeFileSync(join(dir, 'root.pem'), rootPem);
    const r = await exec(
      tool('/usr/bin/lego'),
      [
        ...legoAccountArgs({ directoryUrl, path: join(dir, 'lego'), eab, domain: '127.0.0.1' }),
        '--http',
        '--http.port',
        `127.0.0.1:${cs.httpPort}`,
        'run',
      ],
      { LEGO_CA_CERTIFICATES: join(dir, 'root.pem') },
      60_000,
    );
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /rejectedIdentifier :: An IP address is not a dns identifier; use the type "ip"/, r.stderr);
  });
});
