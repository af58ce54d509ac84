// Issue 3, "Done when": applications driven end to end with the official SDK against a
// real certdesk, with domain control proven on the loopback challenge server.
import { after, before, describe as suite, test } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey, generateKeyPairSync, X509Certificate, type KeyObject } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Certdesk } from './support/harness.js';
import type { ChallengeServer } from './challenge-server.js';
import { Cas, casClient, sdkError, type CasClient } from './support/sdk.js';
import { runCliJson } from './support/cli.js';
import {
  CAA_IDENTITY,
  describe,
  freshDomain,
  publishChallenges,
  startWithChallenges,
  waitForType,
} from './support/orders.js';
import { createAccount } from '../src/accounts/accounts.js';
import { grantPlan } from '../src/accounts/plans.js';
import { addContact } from '../src/accounts/contacts.js';
import { addCompany } from '../src/accounts/companies.js';

const tmp = mkdtempSync(join(tmpdir(), 'certdesk-orders-'));

function opensslVerify(leafPem: string, chainPem: string, rootPem: string): string {
  const leaf = join(tmp, `leaf-${Math.random()}.pem`);
  const chain = join(tmp, `chain-${Math.random()}.pem`);
  const root = join(tmp, `root-${Math.random()}.pem`);
  writeFileSync(leaf, leafPem);
  writeFileSync(chain, chainPem);
  writeFileSync(root, rootPem);
  return execFileSync('openssl', ['verify', '-purpose', 'sslserver', '-CAfile', root, '-untrusted', chain, leaf], {
    encoding: 'utf8',
  });
}

/** A self-signed CA certificate (cA=TRUE) for `key`, made by openssl. */
function selfSignedCa(key: KeyObject): string {
  const keyFile = join(tmp, `ca-key-${Math.random()}.pem`);
  writeFileSync(keyFile, key.export({ format: 'pem', type: 'pkcs8' }));
  return execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-new',
      '-key',
      keyFile,
      '-subj',
      '/CN=Uploaded CA',
      '-days',
      '30',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
    ],
    { encoding: 'utf8' },
  );
}

function splitPem(text: string): string[] {
  return text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/g) ?? [];
}

function csrFor(
  names: string[],
  keyType: 'ec' | 'rsa1024' | 'rsa2048' | 'ed25519' = 'ec',
): { csr: string; keyPem: string } {
  const dir = mkdtempSync(join(tmp, 'csr-'));
  const key = join(dir, 'key.pem');
  const csr = join(dir, 'csr.pem');
  const keyArgs =
    keyType === 'ec'
      ? ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256']
      : keyType === 'ed25519'
        ? ['-newkey', 'ed25519']
        : ['-newkey', keyType === 'rsa1024' ? 'rsa:1024' : 'rsa:2048'];
  execFileSync(
    'openssl',
    [
      'req',
      '-new',
      ...keyArgs,
      '-nodes',
      '-keyout',
      key,
      '-out',
      csr,
      '-subj',
      `/CN=${names[0]}`,
      ...(names.length > 1 ? ['-addext', `subjectAltName=${names.map((n) => `DNS:${n}`).join(',')}`] : []),
    ],
    { stdio: 'ignore' },
  );
  return {
    csr: execFileSync('cat', [csr], { encoding: 'utf8' }),
    keyPem: execFileSync('cat', [key], { encoding: 'utf8' }),
  };
}

suite('certificate applications end to end', () => {
  let cd: Certdesk;
  let cs: ChallengeServer;
  let client: CasClient;
  let accountId: number;
  let rootPem: string;

  const pkg = (p: Record<string, unknown>) =>
    client.createCertificateForPackageRequest(new Cas.CreateCertificateForPackageRequestRequest(p));
  const used = async (productCode: string) =>
    (await client.describePackageState(new Cas.DescribePackageStateRequest({ productCode }))).body!;

  before(async () => {
    ({ cd, cs } = await startWithChallenges());
    const key = await createAccount(cd.ctx.accounts, 'Orders Inc');
    accountId = key.AccountId;
    client = casClient(cd.endpoint, key);
    for (const [product, count] of [
      ['digicert-free-1-free', 40],
      ['geotrust-dv-w-starter', 3],
      ['geotrust-ov-1-personal', 3],
      ['symantec-free-1-free', 2],
    ] as const) {
      await grantPlan(cd.ctx.accounts, { accountId, productCode: product, count });
    }
    await addContact(cd.ctx.accounts, accountId, { name: 'Tom', email: 'tom@example.com', mobile: '13900001111' });
    await addCompany(cd.ctx.accounts, accountId, {
      name: 'Orders Inc',
      country: 'CN',
      province: 'Zhejiang',
      city: 'Hangzhou',
    });
    rootPem = cd.server.hierarchy.root.certDer
      ? `-----BEGIN CERTIFICATE-----\n${cd.server.hierarchy.root.certDer.toString('base64').replace(/.{64}/g, '$&\n')}\n-----END CERTIFICATE-----\n`
      : '';
  });
  after(async () => {
    await cd?.close();
    await cs?.close();
  });

  test('a DNS-validated order without a CSR is issued, with a key that matches the certificate', async () => {
    const domain = freshDomain('dns');
    const before = await used('digicert-free-1-free');
    const { body } = await pkg({ domain, validateType: 'DNS' });
    const orderId = body!.orderId!;
    assert.ok(orderId > 0);
    const waiting = await describe(client, orderId);
    assert.equal(waiting.type, 'domain_verify');
    assert.equal(waiting.validateType, 'DNS');
    assert.equal(waiting.recordType, 'TXT');
    assert.equal(waiting.recordDomain, '_dnsauth');
    assert.equal(waiting.domain, domain);
    assert.match(waiting.recordValue!, /^\d{14}[a-z0-9]{50}$/);
    await publishChallenges(cs, client, orderId);
    const done = await waitForType(client, orderId, ['certificate']);
    const [leafPem, ...chain] = splitPem(done.certificate!);
    // Regression: the self-signed root was sent too; a CA sends the leaf and intermediates only (RFC 8446 §4.4.2).
    assert.equal(chain.length, 1, 'leaf + issuing CA, no root');
    assert.ok(chain.every((c) => new X509Certificate(c).subject !== new X509Certificate(c).issuer));
    const leaf = new X509Certificate(leafPem!);
    assert.equal(leaf.subjectAltName, `DNS:${domain}`);
    assert.ok(leaf.checkPrivateKey(createPrivateKey(done.privateKey!)), 'the returned key is the certificate key');
    assert.match(opensslVerify(leafPem!, chain[0]!, rootPem), /OK/);
    // AIA caIssuers is served under --public-url (real URLs).
    const aia = /CA Issuers - URI:(\S+)/.exec(leaf.infoAccess ?? '')?.[1];
    assert.ok(aia);
    const fetched = Buffer.from(await (await fetch(aia)).arrayBuffer());
    assert.ok(new X509Certificate(fetched).verify(new X509Certificate(rootPem).publicKey), 'AIA serves the issuing CA');
    const after = await used('digicert-free-1-free');
    assert.equal(after.usedCount, before.usedCount! + 1);
    assert.equal(after.issuedCount, before.issuedCount! + 1);
  });

  test('a first name longer than 64 characters is certified without a commonName; shorter first names keep theirs', async () => {
    // Regression: the commonName was always the first name, a 65-character one made the
    // certificate profile refuse the subject (ub-common-name is 64, RFC 5280 Appendix A.1),
    // and the validated order was never issued (its issue job failed on every retry). The
    // commonName is optional (BR 7.1.2.7.2 v2.2.6): such an order is certified by its SAN alone.
    const nameOf = (length: number, base: string) => `${'n'.repeat(length - base.length - 1)}.${base}`;
    const longBase = freshDomain('cn');
    const long = nameOf(65, longBase);
    const edge = nameOf(64, freshDomain('cn'));
    const short = `www.${freshDomain('cn')}`;
    assert.deepEqual([long.length, edge.length], [65, 64]);
    const orders = await Promise.all(
      [`${long},www.${longBase}`, edge, `${short},mail.${short.slice(4)}`].map(
        async (domain) => (await pkg({ domain, validateType: 'DNS' })).body!.orderId!,
      ),
    );
    await Promise.all(orders.map((id) => publishChallenges(cs, client, id)));
    const [withoutCn, withEdgeCn, withCn] = await Promise.all(
      orders.map(async (id) => {
        const done = await waitForType(client, id, ['certificate', 'verify_fail']);
        assert.equal(done.type, 'certificate', `order ${id}: ${done.failReason ?? ''}`);
        const [leafPem, chainPem] = splitPem(done.certificate!);
        assert.match(opensslVerify(leafPem!, chainPem!, rootPem), /OK/);
        const file = join(tmp, `cn-${id}.pem`);
        writeFileSync(file, leafPem!);
        const subject = execFileSync('openssl', ['x509', '-in', file, '-noout', '-subject', '-nameopt', 'RFC2253'], {
          encoding: 'utf8',
        }).trim();
        return { leaf: new X509Certificate(leafPem!), subject };
      }),
    );
    // 65 characters: no commonName at all (not another name in its place); both names in the SAN.
    assert.equal(withoutCn!.subject, 'subject=');
    assert.equal(withoutCn!.leaf.subject ?? '', '', 'an empty subject');
    assert.equal(withoutCn!.leaf.subjectAltName, `DNS:${long}, DNS:www.${longBase}`);
    // 64 characters still fit, and ordinary names keep the first one as commonName.
    assert.equal(withEdgeCn!.subject, `subject=CN=${edge}`);
    assert.equal(withCn!.subject, `subject=CN=${short}`);
    assert.equal(withCn!.leaf.subjectAltName, `DNS:${short}, DNS:mail.${short.slice(4)}`);
    // What the certificate repository shows matches the certificates.
    const listed = await client.listUserCertificateOrder(
      new Cas.ListUserCertificateOrderRequest({ orderType: 'CERT', keyword: longBase }),
    );
    const item = listed.body!.certificateOrderList!.find((c) => c.orderId === orders[0]);
    assert.equal(item?.commonName, '');
    assert.equal(item?.sans, `${long},www.${longBase}`);
  });

  test("a FILE-validated order with the customer's CSR is issued for the CSR's key", async () => {
    const domain = freshDomain('file');
    const { csr, keyPem } = csrFor([domain]);
    const orderId = (await pkg({ csr, validateType: 'FILE' })).body!.orderId!;
    const waiting = await describe(client, orderId);
    assert.equal(waiting.validateType, 'FILE');
    assert.equal(waiting.uri, '/.well-known/pki-validation/fileauth.txt');
    assert.equal(waiting.domain, domain);
    await publishChallenges(cs, client, orderId);
    const done = await waitForType(client, orderId, ['certificate']);
    const leaf = new X509Certificate(splitPem(done.certificate!)[0]!);
    assert.ok(leaf.checkPrivateKey(createPrivateKey(keyPem)));
    assert.equal(done.privateKey, '', 'no key is returned for a customer CSR');
  });

  test('a wildcard order is issued by DNS at the base domain', async () => {
    const base = freshDomain('wild');
    const orderId = (await pkg({ productCode: 'geotrust-dv-w-starter', domain: `*.${base}`, validateType: 'DNS' }))
      .body!.orderId!;
    const waiting = await describe(client, orderId);
    assert.equal(waiting.domain, base, 'the TXT record goes at the base domain');
    await publishChallenges(cs, client, orderId);
    const done = await waitForType(client, orderId, ['certificate']);
    assert.equal(new X509Certificate(splitPem(done.certificate!)[0]!).subjectAltName, `DNS:*.${base}`);
    const file = await sdkError(() =>
      pkg({ productCode: 'geotrust-dv-w-starter', domain: `*.${freshDomain()}`, validateType: 'FILE' }),
    );
    assert.equal(file.code, 'InvalidParameter');
  });

  test('an OV order waits for review; approved it is issued with the company; rejected it fails with the reason', async () => {
    const admin = (args: string[]) => runCliJson(['admin', ...args, ...cd.storeArgs], cd.storeEnv);
    const a = freshDomain('ov');
    const b = freshDomain('ov');
    const okId = (await pkg({ productCode: 'geotrust-ov-1-personal', domain: a, validateType: 'DNS' })).body!.orderId!;
    const badId = (await pkg({ productCode: 'geotrust-ov-1-personal', domain: b, validateType: 'DNS' })).body!.orderId!;
    await publishChallenges(cs, client, okId);
    await publishChallenges(cs, client, badId);
    assert.equal((await waitForType(client, okId, ['process'])).type, 'process');
    await new Promise((r) => setTimeout(r, 500));
    assert.equal((await describe(client, okId)).type, 'process', 'an OV order is not issued without review');
    const waiting = await admin(['order', 'list', '--state', 'process']);
    assert.deepEqual(
      waiting
        .filter((o: any) => o.AwaitingReview)
        .map((o: any) => o.OrderId)
        .sort(),
      [okId, badId].sort(),
    );
    await admin(['order', 'approve', String(okId)]);
    await admin(['order', 'reject', String(badId), '--reason', 'company could not be verified']);
    const issued = await waitForType(client, okId, ['certificate']);
    const leaf = new X509Certificate(splitPem(issued.certificate!)[0]!);
    assert.match(leaf.subject, /O=Orders Inc/);
    assert.match(leaf.subject, /C=CN/);
    assert.equal((await describe(client, badId)).type, 'verify_fail');
    const failed = await admin(['order', 'list', '--state', 'verify_fail']);
    assert.match(failed.find((o: any) => o.OrderId === badId).FailReason, /company could not be verified/);
  });

  test('a CAA record naming another CA stops issuance with a reason', async () => {
    const domain = freshDomain('caa');
    cs.setCaa(domain, [{ flags: 0, tag: 'issue', value: 'letsencrypt.org' }]);
    const orderId = (await pkg({ domain, validateType: 'DNS' })).body!.orderId!;
    await publishChallenges(cs, client, orderId);
    assert.equal((await waitForType(client, orderId, ['verify_fail', 'certificate'])).type, 'verify_fail');
    const rows = await runCliJson(['admin', 'order', 'list', '--state', 'verify_fail', ...cd.storeArgs], cd.storeEnv);
    assert.match(
      rows.find((o: any) => o.OrderId === orderId).FailReason,
      /CAA record at .* does not authorize certdesk\.test/,
    );
    // A CAA record naming certdesk allows it.
    const ours = freshDomain('caa');
    cs.setCaa(ours, [{ flags: 0, tag: 'issue', value: CAA_IDENTITY }]);
    const okId = (await pkg({ domain: ours, validateType: 'DNS' })).body!.orderId!;
    await publishChallenges(cs, client, okId);
    assert.equal((await waitForType(client, okId, ['verify_fail', 'certificate'])).type, 'certificate');
  });

  test('cancel, delete, revoke and renew move orders as the spec says; illegal moves change nothing', async () => {
    const domain = freshDomain('life');
    const start = await used('digicert-free-1-free');
    const orderId = (await pkg({ domain, validateType: 'DNS' })).body!.orderId!;
    // delete a validating order: refused
    let e = await sdkError(() => client.deleteCertificateRequest(new Cas.DeleteCertificateRequestRequest({ orderId })));
    assert.equal(e.code, 'OperationDenied.InvalidStatus');
    // cancel: domain_verify -> payed; the unit stays taken until deletion
    await client.cancelOrderRequest(new Cas.CancelOrderRequestRequest({ orderId }));
    assert.equal((await describe(client, orderId)).type, 'payed');
    assert.equal((await used('digicert-free-1-free')).usedCount, start.usedCount! + 1);
    e = await sdkError(() => client.cancelOrderRequest(new Cas.CancelOrderRequestRequest({ orderId })));
    assert.equal(e.code, 'OperationDenied.InvalidStatus');
    // delete: payed -> gone, unit released
    await client.deleteCertificateRequest(new Cas.DeleteCertificateRequestRequest({ orderId }));
    assert.equal((await used('digicert-free-1-free')).usedCount, start.usedCount);
    e = await sdkError(() => describe(client, orderId));
    assert.equal(e.code, 'NotFound');

    // issue one, then: cancel refused, renew refused (not WILLEXPIRED), revoke ok
    const issuedId = (await pkg({ domain: freshDomain('life'), validateType: 'DNS' })).body!.orderId!;
    await publishChallenges(cs, client, issuedId);
    await waitForType(client, issuedId, ['certificate']);
    e = await sdkError(() => client.cancelOrderRequest(new Cas.CancelOrderRequestRequest({ orderId: issuedId })));
    assert.equal(e.code, 'OperationDenied.InvalidStatus');
    e = await sdkError(() =>
      client.renewCertificateOrderForPackageRequest(
        new Cas.RenewCertificateOrderForPackageRequestRequest({ orderId: issuedId }),
      ),
    );
    assert.equal(e.code, 'OperationDenied.InvalidStatus');
    const list = async (status?: string) =>
      (
        await client.listUserCertificateOrder(
          new Cas.ListUserCertificateOrderRequest({ orderType: 'CPACK', status, showSize: 1000 }),
        )
      ).body!;
    assert.ok((await list('ISSUED')).certificateOrderList!.some((o) => o.orderId === issuedId));
    await client.cancelCertificateForPackageRequest(
      new Cas.CancelCertificateForPackageRequestRequest({ orderId: issuedId }),
    );
    const revoked = await list('REVOKED');
    assert.deepEqual(
      revoked.certificateOrderList!.filter((o) => o.orderId === issuedId).map((o) => o.status),
      ['REVOKED'],
    );
    assert.ok(!(await list('ISSUED')).certificateOrderList!.some((o) => o.orderId === issuedId));
    e = await sdkError(() =>
      client.cancelCertificateForPackageRequest(
        new Cas.CancelCertificateForPackageRequestRequest({ orderId: issuedId }),
      ),
    );
    assert.equal(e.code, 'OperationDenied.InvalidStatus');
  });

  test('renewal of a WILLEXPIRED certificate creates a new pending order for the same names', async () => {
    const domain = freshDomain('renew');
    const orderId = (await pkg({ domain, validateType: 'DNS' })).body!.orderId!;
    await publishChallenges(cs, client, orderId);
    const issued = await waitForType(client, orderId, ['certificate']);
    const notAfter = Date.parse(new X509Certificate(splitPem(issued.certificate!)[0]!).validTo);
    // Move certdesk's clock to 20 days before the end; the SDK signs with that date too.
    const shift = notAfter - 20 * 86_400_000 - Date.now();
    cd.clock.advance(shift);
    try {
      const date = new Date(cd.clock.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
      const { withHeaders } = await import('./support/sdk.js');
      const listed = await client.listUserCertificateOrderWithOptions(
        new Cas.ListUserCertificateOrderRequest({ status: 'WILLEXPIRED', showSize: 1000 }),
        withHeaders({ 'x-acs-date': date }),
      );
      assert.ok(listed.body!.certificateOrderList!.some((o) => o.orderId === orderId && o.status === 'WILLEXPIRED'));
      const renewed = await client.renewCertificateOrderForPackageRequestWithOptions(
        new Cas.RenewCertificateOrderForPackageRequestRequest({ orderId }),
        withHeaders({ 'x-acs-date': date }),
      );
      const newId = renewed.body!.orderId!;
      assert.notEqual(newId, orderId);
      const state = await client.describeCertificateStateWithOptions(
        new Cas.DescribeCertificateStateRequest({ orderId: newId }),
        withHeaders({ 'x-acs-date': date }),
      );
      assert.equal(state.body!.type, 'payed');
      const rows = await runCliJson(['admin', 'order', 'list', '--state', 'payed', ...cd.storeArgs], cd.storeEnv);
      assert.deepEqual(rows.find((o: any) => o.OrderId === newId).Domains, [domain]);
    } finally {
      cd.clock.advance(-shift);
    }
  });

  test('ListUserCertificateOrder and GetUserCertificateDetail report issued and uploaded certificates', async () => {
    const domain = freshDomain('list');
    const orderId = (await pkg({ domain: `${domain},www.${domain}`, validateType: 'DNS' })).body!.orderId!;
    await publishChallenges(cs, client, orderId);
    await waitForType(client, orderId, ['certificate']);
    const cpack = await client.listUserCertificateOrder(new Cas.ListUserCertificateOrderRequest({ keyword: domain }));
    const item = cpack.body!.certificateOrderList!.find((o) => o.orderId === orderId)!;
    assert.equal(item.domain, `${domain},www.${domain}`);
    assert.equal(item.domainType, 'MULTIPLE');
    assert.equal(item.domainCount, 2);
    assert.equal(item.status, 'ISSUED');
    assert.equal(item.productCode, 'digicert-free-1-free');
    assert.equal(item.certType, 'FREE');
    assert.equal(item.algorithm, 'ECC');
    assert.ok(item.certEndTime! > item.certStartTime!);

    const certs = await client.listUserCertificateOrder(
      new Cas.ListUserCertificateOrderRequest({ orderType: 'CERT', keyword: domain }),
    );
    const c = certs.body!.certificateOrderList!.find((x) => x.sans?.includes(domain))!;
    assert.equal(c.commonName, domain);
    assert.equal(c.upload, false);
    assert.match(c.endDate!, /^\d{4}-\d{2}-\d{2}$/);
    const detail = (
      await client.getUserCertificateDetail(new Cas.GetUserCertificateDetailRequest({ certId: c.certificateId }))
    ).body!;
    assert.equal(detail.common, domain);
    assert.equal(detail.orderId, orderId);
    assert.equal(detail.certIdentifier, `${c.certificateId}-cn-hangzhou`);
    // Regression: the root was listed too (leaf + issuing only).
    assert.equal(detail.certChain!.length, 2);
    assert.equal(splitPem(detail.cert!).length, 2);
    assert.ok(new X509Certificate(splitPem(detail.cert!)[0]!).checkPrivateKey(createPrivateKey(detail.key!)));
    const filtered = (
      await client.getUserCertificateDetail(
        new Cas.GetUserCertificateDetailRequest({ certId: c.certificateId, certFilter: true }),
      )
    ).body!;
    assert.equal(filtered.cert, undefined);
    assert.equal(filtered.key, undefined);
    // An issued, valid certificate cannot be deleted; an uploaded one can.
    let e = await sdkError(() =>
      client.deleteUserCertificate(new Cas.DeleteUserCertificateRequest({ certId: c.certificateId })),
    );
    assert.equal(e.code, 'OperationDenied.InvalidStatus');

    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const uploadCert = detail.cert!;
    e = await sdkError(() =>
      client.uploadUserCertificate(
        new Cas.UploadUserCertificateRequest({
          name: 'x',
          cert: uploadCert,
          key: privateKey.export({ format: 'pem', type: 'pkcs8' }) as string,
        }),
      ),
    );
    assert.equal(e.code, 'CertificateFormatException', 'a key that does not match is refused');
    // Regression: a CA certificate (cA=TRUE) with its key was accepted into the repository.
    const caKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const caPem = selfSignedCa(caKey);
    e = await sdkError(() =>
      client.uploadUserCertificate(
        new Cas.UploadUserCertificateRequest({
          name: `ca-${domain}`,
          cert: caPem,
          key: caKey.export({ format: 'pem', type: 'pkcs8' }) as string,
        }),
      ),
    );
    assert.equal(e.code, 'CertificateFormatException');
    assert.match(e.message, /CA certificate/);
    // The issuing CA certificate that came with the leaf is refused too, as first certificate.
    e = await sdkError(() =>
      client.uploadUserCertificate(
        new Cas.UploadUserCertificateRequest({
          name: `ca2-${domain}`,
          cert: splitPem(uploadCert)[1]!,
          key: detail.key,
        }),
      ),
    );
    assert.equal(e.code, 'CertificateFormatException');
    const up = (
      await client.uploadUserCertificate(
        new Cas.UploadUserCertificateRequest({ name: `up-${domain}`, cert: uploadCert, key: detail.key }),
      )
    ).body!;
    assert.match(up.resourceId!, /^cas-upload-\d+$/);
    const uploads = await client.listUserCertificateOrder(
      new Cas.ListUserCertificateOrderRequest({ orderType: 'UPLOAD' }),
    );
    assert.deepEqual(
      uploads.body!.certificateOrderList!.map((x) => x.certificateId),
      [up.certId],
    );
    e = await sdkError(() =>
      client.uploadUserCertificate(
        new Cas.UploadUserCertificateRequest({ name: `up-${domain}`, cert: uploadCert, key: detail.key }),
      ),
    );
    assert.equal(e.code, 'AlreadyExists');
    await client.deleteUserCertificate(new Cas.DeleteUserCertificateRequest({ certId: up.certId }));
    e = await sdkError(() =>
      client.getUserCertificateDetail(new Cas.GetUserCertificateDetailRequest({ certId: up.certId })),
    );
    assert.equal(e.code, 'NotFound');
  });

  test('bad inputs each get their error and spend no quota', async () => {
    const d = freshDomain('bad');
    const good = csrFor([d]);
    const tampered = good.csr.replace(
      /(\n[A-Za-z0-9+/]{10})([A-Za-z0-9+/])/,
      (_m, a: string, ch: string) => a + (ch === 'A' ? 'B' : 'A'),
    );
    const cases: Array<[string, Record<string, unknown>, string]> = [
      ['garbage CSR', { csr: 'not a csr', validateType: 'DNS' }, 'InvalidParameter.Csr'],
      ['bad CSR signature', { csr: tampered, validateType: 'DNS' }, 'InvalidParameter.Csr'],
      ['RSA-1024', { csr: csrFor([d], 'rsa1024').csr, validateType: 'DNS' }, 'InvalidParameter.KeyAlgorithm'],
      ['Ed25519', { csr: csrFor([d], 'ed25519').csr, validateType: 'DNS' }, 'InvalidParameter.KeyAlgorithm'],
      [
        'CN outside the domains',
        { csr: good.csr, domain: freshDomain('other'), validateType: 'DNS' },
        'InvalidParameter.Domain',
      ],
      [
        'mixed wildcard',
        { productCode: 'geotrust-dv-w-starter', domain: `*.${d},${d}`, validateType: 'DNS' },
        'InvalidParameter.Domain',
      ],
      [
        'six names',
        { domain: [1, 2, 3, 4, 5, 6].map((i) => `n${i}.${d}`).join(','), validateType: 'DNS' },
        'InvalidParameter',
      ],
      ['an internal name', { domain: 'intranet.corp', validateType: 'DNS' }, 'InvalidParameter.Domain'],
      ['an IP', { domain: '203.0.113.7', validateType: 'DNS' }, 'InvalidParameter.Domain'],
      [
        'an unknown product',
        { productCode: 'geotrust-dv-w-advanced', domain: d, validateType: 'DNS' },
        'InvalidParameter',
      ],
      ['a bad ValidateType', { domain: d, validateType: 'EMAIL' }, 'InvalidParameter'],
      ['neither Domain nor Csr', { validateType: 'DNS' }, 'MissingParameter'],
      ['wildcard on a single product', { domain: `*.${d}`, validateType: 'DNS' }, 'InvalidParameter.Domain'],
    ];
    const before = await used('digicert-free-1-free');
    const beforeWild = await used('geotrust-dv-w-starter');
    const listBefore = (
      await client.listUserCertificateOrder(new Cas.ListUserCertificateOrderRequest({ showSize: 1000 }))
    ).body!.totalCount;
    for (const [name, params, code] of cases) {
      const e = await sdkError(() => pkg(params));
      assert.equal(e.code, code, `${name}: ${e.message}`);
      assert.equal(e.statusCode, 400, name);
    }
    const afterState = await used('digicert-free-1-free');
    assert.equal(afterState.usedCount, before.usedCount);
    assert.equal(afterState.issuedCount, before.issuedCount);
    assert.equal((await used('geotrust-dv-w-starter')).usedCount, beforeWild.usedCount);
    assert.equal(
      (await client.listUserCertificateOrder(new Cas.ListUserCertificateOrderRequest({ showSize: 1000 }))).body!
        .totalCount,
      listBefore,
    );
    // DV-only actions refuse OV products; CreateCertificateRequest takes exactly one name.
    const ov = await sdkError(() =>
      client.createCertificateRequest(
        new Cas.CreateCertificateRequestRequest({
          productCode: 'geotrust-ov-1-personal',
          domain: d,
          validateType: 'DNS',
          username: 'T',
          phone: '1',
          email: 't@example.com',
        }),
      ),
    );
    assert.equal(ov.code, 'InvalidParameter');
    const missing = await sdkError(() =>
      client.createCertificateWithCsrRequest(
        new Cas.CreateCertificateWithCsrRequestRequest({ productCode: 'digicert-free-1-free', validateType: 'DNS' }),
      ),
    );
    assert.equal(missing.code, 'MissingParameter');
  });

  test('CreateCertificateRequest and CreateCertificateWithCsrRequest submit DV orders', async () => {
    const a = freshDomain('ccr');
    const id1 = (
      await client.createCertificateRequest(
        new Cas.CreateCertificateRequestRequest({
          productCode: 'symantec-free-1-free',
          domain: a,
          validateType: 'DNS',
          username: 'Ann',
          phone: '13900002222',
          email: 'ann@example.com',
        }),
      )
    ).body!.orderId!;
    const b = freshDomain('ccr');
    const id2 = (
      await client.createCertificateWithCsrRequest(
        new Cas.CreateCertificateWithCsrRequestRequest({
          productCode: 'symantec-free-1-free',
          csr: csrFor([b]).csr,
          validateType: 'DNS',
          username: 'Ann',
          phone: '13900002222',
          email: 'ann@example.com',
        }),
      )
    ).body!.orderId!;
    for (const id of [id1, id2]) {
      await publishChallenges(cs, client, id);
      await waitForType(client, id, ['certificate']);
    }
    const e = await sdkError(() =>
      client.createCertificateRequest(
        new Cas.CreateCertificateRequestRequest({
          productCode: 'symantec-free-1-free',
          domain: freshDomain(),
          validateType: 'DNS',
          username: 'Ann',
          phone: '1',
          email: 'ann@example.com',
        }),
      ),
    );
    assert.equal(e.code, 'DeductQuotaFailed', 'the plan of 2 is spent');
  });

  test('another account cannot see or touch these orders', async () => {
    const other = casClient(cd.endpoint, await createAccount(cd.ctx.accounts, 'Other'));
    const mine = (await client.listUserCertificateOrder(new Cas.ListUserCertificateOrderRequest({ showSize: 1 }))).body!
      .certificateOrderList![0]!;
    const e = await sdkError(() =>
      other.describeCertificateState(new Cas.DescribeCertificateStateRequest({ orderId: mine.orderId })),
    );
    assert.equal(e.code, 'NotFound');
    const e2 = await sdkError(() =>
      other.cancelOrderRequest(new Cas.CancelOrderRequestRequest({ orderId: mine.orderId })),
    );
    assert.equal(e2.code, 'NotFound');
    assert.equal(
      (await other.listUserCertificateOrder(new Cas.ListUserCertificateOrderRequest({}))).body!.totalCount,
      0,
    );
  });
});

suite('quota under concurrency', () => {
  test('50 parallel submissions against a plan of 10 yield exactly 10 applications', async () => {
    const { cd, cs } = await startWithChallenges();
    try {
      const key = await createAccount(cd.ctx.accounts, 'Race');
      await grantPlan(cd.ctx.accounts, { accountId: key.AccountId, productCode: 'digicert-free-1-free', count: 10 });
      await addContact(cd.ctx.accounts, key.AccountId, { name: 'R', email: 'r@example.com', mobile: '13900003333' });
      const client = casClient(cd.endpoint, key);
      const results = await Promise.allSettled(
        Array.from({ length: 50 }, (_, i) =>
          client.createCertificateForPackageRequest(
            new Cas.CreateCertificateForPackageRequestRequest({
              domain: `race${i}.${freshDomain('race')}`,
              validateType: 'DNS',
            }),
          ),
        ),
      );
      const ok = results.filter((r) => r.status === 'fulfilled');
      const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      assert.equal(ok.length, 10);
      assert.equal(refused.length, 40);
      for (const r of refused) assert.equal(r.reason.code, 'DeductQuotaFailed');
      const state = (await client.describePackageState(new Cas.DescribePackageStateRequest({}))).body!;
      assert.equal(state.usedCount, 10);
      assert.equal(state.totalCount, 10);
      assert.equal(
        (await client.listUserCertificateOrder(new Cas.ListUserCertificateOrderRequest({ showSize: 100 }))).body!
          .totalCount,
        10,
      );
    } finally {
      await cd.close();
      await cs.close();
    }
  });
});
