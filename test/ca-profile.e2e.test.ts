// CA certificates that pass the Baseline Requirements' CA checks (zlint e_ca_country_name_missing,
// e_ca_multiple_reserved_policy_oids), the upgrade of an installation made by the old
// profile (`certdesk ca rotate`), and the refusal of a public URL nobody can reach.
//
// The CA certificates are parsed with @peculiar/asn1-x509 (not certdesk's own DER reader),
// and every chain goes through `openssl verify`.
import { after, before, describe as suite, test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import http from 'node:http';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate, CertificatePolicies, id_ce_certificatePolicies } from '@peculiar/asn1-x509';
import { buildConfig, type Config } from '../src/config/schema.js';
import { openContext, type AppContext } from '../src/app/context.js';
import { startServer, type RunningServer } from '../src/app/serve.js';
import { createJsonLogger, silentLogger } from '../src/app/logger.js';
import { checkPublicUrl } from '../src/app/ca-bootstrap.js';
import { createKeySigner, generateKeyPair } from '../src/ca/signer.js';
import { generateSerial } from '../src/ca/serial.js';
import {
  OID,
  assembleCertificate,
  authorityInfoAccess,
  authorityKeyIdentifier,
  basicConstraints,
  buildTbs,
  certificatePolicies,
  computeKeyId,
  crlDistributionPoints,
  encodeName,
  extKeyUsage,
  keyUsage,
  subjectKeyIdentifier,
} from '../src/ca/x509.js';
import { toPem } from '../src/crypto/pem.js';
import { createAccount } from '../src/accounts/accounts.js';
import { grantPlan } from '../src/accounts/plans.js';
import { addContact } from '../src/accounts/contacts.js';
import { revokeBySerial } from '../src/orders/revoke-certificate.js';
import { CRL_REVOCATION_DELAY_MS } from '../src/status/publish-crl.js';
import { startChallengeServer, type ChallengeServer } from './challenge-server.js';
import { CAA_IDENTITY, freshDomain, publishChallenges, waitForType } from './support/orders.js';
import { freePort, freshStoreArgs, TestClock, TEST_DATABASE_URL } from './support/harness.js';
import { dropTestSchema } from './support/pg.js';
import { runCli } from './support/cli.js';
import { Cas, casClient, type CasClient } from './support/sdk.js';
import type { Logger } from '../src/domain/ports.js';

const run = promisify(execFile);
const RESERVED_POLICY = /^2\.23\.140\.1\.(1|2\.[1-3]|3|4\.1|31)$/; // BR 7.1.6.1 reserved identifiers
const tmp = mkdtempSync(join(tmpdir(), 'certdesk-ca-profile-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
let files = 0;
function file(content: string): string {
  const p = join(tmp, `f${++files}.pem`);
  writeFileSync(p, content);
  return p;
}

/** Subject attributes and certificate policy OIDs, read by a maintained ASN.1 library. */
function caProfile(der: Buffer): { subject: Map<string, string>; policies: string[] } {
  const cert = AsnConvert.parse(der, Certificate);
  const subject = new Map<string, string>();
  for (const rdn of cert.tbsCertificate.subject) for (const atv of rdn) subject.set(atv.type, atv.value.toString());
  const ext = cert.tbsCertificate.extensions?.find((e) => e.extnID === id_ce_certificatePolicies);
  const policies = ext
    ? Array.from(AsnConvert.parse(ext.extnValue, CertificatePolicies), (p) => p.policyIdentifier)
    : [];
  return { subject, policies };
}

function assertBrCaProfile(der: Buffer, country: string, organization: string): void {
  const { subject, policies } = caProfile(der);
  assert.equal(subject.get(OID.countryName), country, 'countryName (BR 7.1.2.10.2, e_ca_country_name_missing)');
  assert.equal(subject.get(OID.organizationName), organization, 'organizationName (BR 7.1.2.10.2)');
  const reserved = policies.filter((p) => RESERVED_POLICY.test(p));
  assert.ok(
    reserved.length <= 1,
    `at most one reserved policy OID (e_ca_multiple_reserved_policy_oids): ${policies.join()}`,
  );
}

async function opensslVerify(rootDer: Buffer, intermediates: string, leafPem: string): Promise<string> {
  const r = await run('openssl', [
    'verify',
    '-purpose',
    'sslserver',
    '-CAfile',
    file(toPem('CERTIFICATE', rootDer)),
    '-untrusted',
    file(intermediates),
    file(leafPem),
  ]);
  return r.stdout;
}

/** Fetches a CRL (retrying while the worker publishes it) and returns its text once `openssl crl -verify` accepts it against `issuerDer`. */
async function verifiedCrl(url: string, issuerDer: Buffer): Promise<string> {
  const issuerPem = file(toPem('CERTIFICATE', issuerDer));
  for (const until = Date.now() + 20_000; ; await new Promise((res) => setTimeout(res, 100))) {
    const r = await get(url);
    if (r.status === 200) {
      const der = join(tmp, `crl${++files}.der`);
      writeFileSync(der, r.body);
      const v = await run('openssl', [
        'crl',
        '-inform',
        'DER',
        '-in',
        der,
        '-CAfile',
        issuerPem,
        '-verify',
        '-text',
        '-noout',
      ]);
      assert.match(v.stderr, /verify OK/);
      return v.stdout;
    }
    if (Date.now() > until) throw new Error(`no CRL at ${url} (HTTP ${r.status})`);
  }
}

function splitPem(text: string): string[] {
  return text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/g) ?? [];
}

function get(url: string): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

/**
 * The hierarchy certdesk made before this profile: subjects without countryName, and the
 * issuing CA listing both the DV and the OV reserved OIDs. Stored exactly as the old first
 * start stored it (root-1, issuing-1).
 */
async function seedOldProfile(ctx: AppContext, publicUrl: string): Promise<void> {
  const now = Math.floor(Date.now() / 1000) * 1000 - 86_400_000;
  const rootKey = await generateKeyPair('ecdsa-p256');
  const issuingKey = await generateKeyPair('ecdsa-p256');
  const rootSigner = createKeySigner(rootKey);
  const issuingSigner = createKeySigner(issuingKey);
  const rootSubject = encodeName([
    [OID.organizationName, 'certdesk'],
    [OID.commonName, 'certdesk Root CA R1'],
  ]);
  const issuingSubject = encodeName([
    [OID.organizationName, 'certdesk'],
    [OID.commonName, 'certdesk Issuing CA E1'],
  ]);
  const rootKeyId = computeKeyId(rootSigner.spki);
  const random = ctx.random;
  const rootCert = assembleCertificate(
    buildTbs({
      serial: generateSerial(random),
      signatureAlgorithm: rootSigner.signatureAlgorithm,
      issuer: rootSubject,
      notBefore: now,
      notAfter: now + 20 * 365 * 86_400_000,
      subject: rootSubject,
      spki: rootSigner.spki,
      extensions: [
        basicConstraints(true),
        keyUsage(['digitalSignature', 'keyCertSign', 'cRLSign']),
        subjectKeyIdentifier(rootKeyId),
        authorityKeyIdentifier(rootKeyId),
      ],
    }),
    rootSigner,
  );
  const issuingCert = assembleCertificate(
    buildTbs({
      serial: generateSerial(random),
      signatureAlgorithm: rootSigner.signatureAlgorithm,
      issuer: rootSubject,
      notBefore: now,
      notAfter: now + 8 * 365 * 86_400_000,
      subject: issuingSubject,
      spki: issuingSigner.spki,
      extensions: [
        basicConstraints(true, 0),
        keyUsage(['digitalSignature', 'keyCertSign', 'cRLSign']),
        subjectKeyIdentifier(computeKeyId(issuingSigner.spki)),
        authorityKeyIdentifier(rootKeyId),
        extKeyUsage([OID.serverAuth]),
        certificatePolicies([{ policyId: OID.domainValidated }, { policyId: OID.organizationValidated }]),
        authorityInfoAccess({ caIssuers: `${publicUrl}/ca/root.cer` }),
        crlDistributionPoints([`${publicUrl}/crl/root.crl`]),
      ],
    }),
    rootSigner,
  );
  await ctx.store.writeTransaction(async (repos) => {
    const row = (name: string, der: Buffer, key: typeof rootKey) => ({
      name,
      algorithm: 'ecdsa-p256',
      cert_der: der.toString('base64'),
      key_sealed: ctx.sealer.seal(key.export({ type: 'pkcs8', format: 'der' }), `issuer:${name}`),
      active: 1,
      created_at: now,
    });
    const root = await repos.issuers.insert({ ...row('root-1', rootCert, rootKey), role: 'root', parent_id: null });
    await repos.issuers.insert({ ...row('issuing-1', issuingCert, issuingKey), role: 'issuing', parent_id: root.id });
  });
}

suite('the CA profile of a fresh start', () => {
  test('root and issuing CA carry countryName and organizationName from the flags, and at most one reserved policy OID; a fresh leaf verifies', async () => {
    const cs = await startChallengeServer();
    const dataDir = mkdtempSync(join(tmpdir(), 'certdesk-ca-fresh-'));
    const { args, env } = freshStoreArgs(dataDir);
    const flags: Record<string, string | boolean> = {
      'data-dir': dataDir,
      listen: `127.0.0.1:${await freePort()}`,
      'admin-listen': '127.0.0.1:0',
      'acme-listen': '127.0.0.1:0',
      'validation-retry-ms': '200',
      'dns-resolver': cs.dnsAddress,
      'http-validation-port': String(cs.httpPort),
      'allow-private-validation-targets': true,
      'caa-identity': CAA_IDENTITY,
      'ca-country': 'DE',
      'ca-organization': 'Beispiel GmbH',
      ...(TEST_DATABASE_URL ? { 'database-url': TEST_DATABASE_URL } : {}),
    };
    const ctx = await openContext({ config: buildConfig(flags), env: { ...env }, logger: silentLogger });
    const server = await startServer(ctx, { workerPollMs: 100 });
    try {
      assertBrCaProfile(server.hierarchy.root.certDer, 'DE', 'Beispiel GmbH');
      assertBrCaProfile(server.hierarchy.issuing.certDer, 'DE', 'Beispiel GmbH');
      assert.deepEqual(caProfile(server.hierarchy.issuing.certDer).policies, [OID.anyPolicy]);
      assert.deepEqual(caProfile(server.hierarchy.root.certDer).policies, []);

      const key = await createAccount(ctx.accounts, 'Fresh Inc');
      await grantPlan(ctx.accounts, { accountId: key.AccountId, productCode: 'digicert-free-1-free', count: 2 });
      await addContact(ctx.accounts, key.AccountId, { name: 'F', email: 'f@example.com', mobile: '13900001111' });
      const client = casClient(server.apiUrl.replace('http://', ''), key);
      const leaf = await issueOne(cs, client, 'fresh');
      const [leafPem, ...chain] = splitPem(leaf.certificate);
      assert.equal(chain.length, 1, 'leaf and issuing CA; the root is not sent');
      assert.match(await opensslVerify(server.hierarchy.root.certDer, chain.join(''), leafPem!), /: OK/);
      // The issuing CA's CRL distribution point answers: the root's CRL, signed by the root (it was a 404).
      const crlDp = /URI:(\S+)/.exec(
        (
          await run('openssl', [
            'x509',
            '-noout',
            '-ext',
            'crlDistributionPoints',
            '-in',
            file(toPem('CERTIFICATE', server.hierarchy.issuing.certDer)),
          ])
        ).stdout,
      )![1]!;
      assert.equal(crlDp, `${server.apiUrl}/crl/root.crl`);
      assert.match(await verifiedCrl(crlDp, server.hierarchy.root.certDer), /No Revoked Certificates/);
      // `certdesk ca show` prints the root (where relying parties get it) with the same profile.
      const show = await runCli(['ca', 'show', ...args, '--json'], env);
      assert.equal(show.code, 0, show.stderr);
      const shown = (JSON.parse(show.stdout) as { Chain: Array<{ Role: string; Subject: string }> }).Chain;
      assert.deepEqual(
        shown.map((c) => [c.Role, c.Subject]),
        [
          ['issuing', 'C=DE, O=Beispiel GmbH, CN=certdesk Issuing CA E1'],
          ['root', 'C=DE, O=Beispiel GmbH, CN=certdesk Root CA R1'],
        ],
      );
    } finally {
      await server.close();
      await cs.close();
      await dropTestSchema(TEST_DATABASE_URL, env.CERTDESK_PG_SCHEMA);
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

async function issueOne(
  cs: ChallengeServer,
  client: CasClient,
  label: string,
): Promise<{ orderId: number; certificate: string; serial: string }> {
  const orderId = (
    await client.createCertificateForPackageRequest(
      new Cas.CreateCertificateForPackageRequestRequest({ domain: freshDomain(label), validateType: 'DNS' }),
    )
  ).body!.orderId!;
  await publishChallenges(cs, client, orderId);
  const done = await waitForType(client, orderId, ['certificate']);
  const certificate = done.certificate!;
  return { orderId, certificate, serial: new X509Certificate(splitPem(certificate)[0]!).serialNumber };
}

suite('certdesk ca rotate on an installation made by the old profile', () => {
  let cs: ChallengeServer;
  let dataDir: string;
  let storeArgs: string[];
  let storeEnv: Record<string, string>;
  let config: Readonly<Config>;
  let clock: TestClock;
  let ctx: AppContext;
  let server: RunningServer;
  let client: CasClient;
  let oldRootDer: Buffer;
  let oldIssuingDer: Buffer;
  let old: { orderId: number; certificate: string; serial: string };
  let oldKept: { orderId: number; certificate: string; serial: string };

  async function start(): Promise<void> {
    ctx = await openContext({ config, env: { ...storeEnv }, logger: silentLogger, clock });
    server = await startServer(ctx, { workerPollMs: 100 });
  }

  before(async () => {
    cs = await startChallengeServer();
    dataDir = mkdtempSync(join(tmpdir(), 'certdesk-ca-rotate-'));
    ({ args: storeArgs, env: storeEnv } = freshStoreArgs(dataDir));
    const port = await freePort();
    config = buildConfig({
      'data-dir': dataDir,
      listen: `127.0.0.1:${port}`,
      'admin-listen': '127.0.0.1:0',
      'acme-listen': '127.0.0.1:0',
      'validation-retry-ms': '200',
      'dns-resolver': cs.dnsAddress,
      'http-validation-port': String(cs.httpPort),
      'allow-private-validation-targets': true,
      'caa-identity': CAA_IDENTITY,
      ...(TEST_DATABASE_URL ? { 'database-url': TEST_DATABASE_URL } : {}),
    });
    clock = new TestClock();
    ctx = await openContext({ config, env: { ...storeEnv }, logger: silentLogger, clock });
    await seedOldProfile(ctx, config.publicUrl);
    server = await startServer(ctx, { workerPollMs: 100 });
    oldRootDer = server.hierarchy.root.certDer;
    oldIssuingDer = server.hierarchy.issuing.certDer;
    // The old profile is what zlint flagged.
    assert.equal(caProfile(oldIssuingDer).subject.get(OID.countryName), undefined);
    assert.equal(caProfile(oldIssuingDer).policies.length, 2);

    const key = await createAccount(ctx.accounts, 'Rotation Inc');
    await grantPlan(ctx.accounts, { accountId: key.AccountId, productCode: 'digicert-free-1-free', count: 10 });
    await addContact(ctx.accounts, key.AccountId, { name: 'R', email: 'r@example.com', mobile: '13900002222' });
    client = casClient(server.apiUrl.replace('http://', ''), key);
    old = await issueOne(cs, client, 'old');
    oldKept = await issueOne(cs, client, 'oldkept');
    await server.close();
  });
  after(async () => {
    await server?.close().catch(() => {});
    await cs?.close();
    await dropTestSchema(TEST_DATABASE_URL, storeEnv?.CERTDESK_PG_SCHEMA);
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  test('needs --public-url, and refuses one that names no host', async () => {
    const missing = await runCli(['ca', 'rotate', ...storeArgs], storeEnv);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--public-url is required/);
    const unspecified = await runCli(['ca', 'rotate', ...storeArgs, '--public-url', 'http://0.0.0.0:8080'], storeEnv);
    assert.equal(unspecified.code, 2);
    assert.match(unspecified.stderr, /names no host; set --public-url/);
  });

  test('makes compliant issuers and retires the old ones; old certificates still verify and their CRL and OCSP still answer', async () => {
    const r = await runCli(
      [
        'ca',
        'rotate',
        ...storeArgs,
        '--public-url',
        config.publicUrl,
        '--ca-country',
        'NL',
        '--ca-organization',
        'Voorbeeld B.V.',
        '--json',
      ],
      storeEnv,
    );
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as {
      Created: Array<{ Name: string; Role: string; Pem: string; Url: string }>;
      Retired: Array<{ Name: string }>;
      NewRootReasons: string[];
    };
    assert.deepEqual(out.Created.map((c) => c.Name).sort(), ['issuing-2', 'root-2']);
    assert.deepEqual(out.Retired.map((c) => c.Name).sort(), ['issuing-1', 'root-1']);
    assert.match(out.NewRootReasons.join(), /countryName/);

    await start();
    const h = server.hierarchy;
    assert.notDeepEqual(h.root.certDer, oldRootDer);
    for (const der of [h.root.certDer, h.issuing.certDer]) assertBrCaProfile(der, 'NL', 'Voorbeeld B.V.');
    assert.equal(new X509Certificate(h.issuing.certDer).subject, 'C=NL\nO=Voorbeeld B.V.\nCN=certdesk Issuing CA E2');

    // New leaves come from the new issuing CA, chain to the new root, and name its own URLs.
    const fresh = await issueOne(cs, client, 'new');
    const [freshPem, ...freshChain] = splitPem(fresh.certificate);
    assert.equal(freshChain.length, 1);
    assert.equal(
      new X509Certificate(freshChain[0]!).fingerprint256,
      new X509Certificate(h.issuing.certDer).fingerprint256,
    );
    assert.match(await opensslVerify(h.root.certDer, freshChain.join(''), freshPem!), /: OK/);
    const freshLeaf = new X509Certificate(freshPem!);
    const aia = /CA Issuers - URI:(\S+)/.exec(freshLeaf.infoAccess ?? '')![1]!;
    assert.equal(aia, `${config.publicUrl}/ca/issuing-2.cer`);
    assert.deepEqual((await get(aia)).body, h.issuing.certDer);

    // Old certificates are untouched and still verify against the old root.
    const [oldPem] = splitPem(old.certificate);
    assert.match(await opensslVerify(oldRootDer, toPem('CERTIFICATE', oldIssuingDer), oldPem!), /: OK/);
    assert.deepEqual((await get(`${config.publicUrl}/ca/issuing.cer`)).body, oldIssuingDer);
    assert.deepEqual((await get(`${config.publicUrl}/ca/root.cer`)).body, oldRootDer);
    // DescribeCertificateState of an old order still sends the old issuing CA with it.
    const again = await waitForType(client, old.orderId, ['certificate']);
    assert.equal(
      new X509Certificate(splitPem(again.certificate!)[1]!).fingerprint256,
      new X509Certificate(oldIssuingDer).fingerprint256,
    );

    // Revoke an old certificate: the retired issuer signs its CRL and OCSP.
    await revokeBySerial(server.orders, old.serial, 1);
    clock.advance(CRL_REVOCATION_DELAY_MS + 1000);
    const oldIssuingPem = file(toPem('CERTIFICATE', oldIssuingDer));
    const crlUrl = `${config.publicUrl}/crl/issuing.crl`;
    let crlText = '';
    for (const until = Date.now() + 20_000; Date.now() < until; await new Promise((res) => setTimeout(res, 100))) {
      const crl = await get(crlUrl);
      if (crl.status !== 200) continue;
      const der = join(tmp, `crl${++files}.der`);
      writeFileSync(der, crl.body);
      const v = await run('openssl', [
        'crl',
        '-inform',
        'DER',
        '-in',
        der,
        '-CAfile',
        oldIssuingPem,
        '-verify',
        '-text',
        '-noout',
      ]);
      assert.match(v.stderr, /verify OK/);
      crlText = v.stdout;
      if (crlText.includes(old.serial)) break;
    }
    assert.ok(crlText.includes(old.serial), 'the old issuer lists the revoked certificate');
    assert.ok(!crlText.includes(oldKept.serial));
    // The new root's CRL answers at the URL the new issuing CA names; the old root's still does.
    assert.match(await verifiedCrl(`${config.publicUrl}/crl/root-2.crl`, h.root.certDer), /No Revoked Certificates/);
    assert.match(await verifiedCrl(`${config.publicUrl}/crl/root.crl`, oldRootDer), /No Revoked Certificates/);
    // The new issuer publishes its own CRL at its own URL.
    const newCrl = await get(`${config.publicUrl}/crl/issuing-2.crl`);
    assert.equal(newCrl.status, 200);

    const ocsp = async (certPem: string, issuerPem: string, rootDer: Buffer) =>
      (
        await run('openssl', [
          'ocsp',
          '-issuer',
          issuerPem,
          '-cert',
          file(certPem),
          '-url',
          `${config.publicUrl}/ocsp`,
          '-CAfile',
          file(toPem('CERTIFICATE', rootDer)),
        ])
      ).stdout;
    assert.match(await ocsp(oldPem!, oldIssuingPem, oldRootDer), /: revoked/);
    assert.match(await ocsp(splitPem(oldKept.certificate)[0]!, oldIssuingPem, oldRootDer), /: good/);
    assert.match(await ocsp(freshPem!, file(toPem('CERTIFICATE', h.issuing.certDer)), h.root.certDer), /: good/);
  });

  test('a second rotation keeps the compliant root and makes issuing-3 under it', async () => {
    await server.close();
    const r = await runCli(['ca', 'rotate', ...storeArgs, '--public-url', config.publicUrl, '--json'], storeEnv);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { Created: Array<{ Name: string; Issuer: string }>; NewRootReasons: string[] };
    assert.deepEqual(
      out.Created.map((c) => [c.Name, c.Issuer]),
      [['issuing-3', 'C=NL, O=Voorbeeld B.V., CN=certdesk Root CA R2']],
    );
    assert.deepEqual(out.NewRootReasons, []);
    await start();
  });
});

suite('the public URL written into CA certificates', () => {
  const logged: string[] = [];
  const logger: Logger = createJsonLogger('debug', (l) => logged.push(l));

  test('an unspecified address is refused, whatever the listener', () => {
    for (const url of ['http://0.0.0.0:8080', 'http://[::]:8080'])
      assert.throws(() => checkPublicUrl(url, '127.0.0.1', logger), /names no host/);
  });

  test('a loopback address is refused when the API listens beyond loopback, accepted with a warning otherwise', () => {
    for (const url of ['http://127.0.0.1:8080', 'http://localhost:8080', 'http://[::1]:8080'])
      assert.throws(
        () => checkPublicUrl(url, '0.0.0.0', logger),
        /loopback address, but the API listens on 0\.0\.0\.0/,
      );
    logged.length = 0;
    checkPublicUrl('http://127.0.0.1:8080', '127.0.0.1', logger);
    assert.match(logged.join(), /"level":"warn".*loopback public URL/);
    logged.length = 0;
    checkPublicUrl('https://pki.example.com', '0.0.0.0', logger);
    assert.deepEqual(logged, []);
  });

  test('regression: a first start on 0.0.0.0 without --public-url wrote http://0.0.0.0:<port> into the CA for good; now it creates no CA', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'certdesk-ca-url-'));
    const { args, env } = freshStoreArgs(dataDir);
    try {
      // `ca show` creates the CA when there is none, like `serve`; it stops before creating one.
      const r = await runCli(['ca', 'show', ...args, '--listen', '0.0.0.0:18080'], env);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /public URL http:\/\/0\.0\.0\.0:18080 names no host; set --public-url/);
      const ok = await runCli(
        ['ca', 'show', ...args, '--listen', '0.0.0.0:18080', '--public-url', 'http://pki.example.com', '--json'],
        env,
      );
      assert.equal(ok.code, 0, ok.stderr);
    } finally {
      await dropTestSchema(TEST_DATABASE_URL, env.CERTDESK_PG_SCHEMA);
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
