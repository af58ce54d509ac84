// TLS on the CAS and operator listeners (the API returns private keys: they must not cross
// the network in clear). The official SDK talks HTTPS to certdesk with certdesk's root
// trusted (the SDK's `ca` option); the operator API and its /metrics answer over HTTPS; CRLs,
// OCSP and the CA certificates stay on plain HTTP on --public-listen, where relying parties
// fetch them (RFC 5280 §4.2.1.13, §4.2.2.1). Without TLS, a listener off loopback refuses to
// start unless --insecure-http.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { freePort, startCertdesk, type Certdesk } from './support/harness.js';
import { Cas, casClient, sdkError } from './support/sdk.js';
import { runCli } from './support/cli.js';
import { createAccount } from '../src/accounts/accounts.js';
import { toPem } from '../src/crypto/pem.js';

function httpsGet(url: string, ca: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; body: string; peer: X509Certificate }>((resolve, reject) => {
    const req = https.get(url, { ca, headers, agent: false }, (res) => {
      const peer = new X509Certificate((res.socket as import('node:tls').TLSSocket).getPeerCertificate().raw);
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, body, peer }));
    });
    req.on('error', reject);
  });
}

describe('--tls auto: a certificate certdesk issues itself', () => {
  let cd: Certdesk;
  let rootPem: string;
  let publicUrl: string;
  let key: { AccessKeyId: string; AccessKeySecret: string };

  before(async () => {
    const publicPort = await freePort();
    publicUrl = `http://127.0.0.1:${publicPort}`;
    cd = await startCertdesk({ tls: 'auto', 'public-listen': `127.0.0.1:${publicPort}` });
    rootPem = toPem('CERTIFICATE', cd.server.hierarchy.root.certDer);
    key = await createAccount(cd.ctx.accounts, 'TLS');
  });
  after(async () => cd?.close());

  test('the official SDK works over HTTPS with the certdesk root trusted, and not without it', async () => {
    assert.match(cd.server.apiUrl, /^https:\/\/127\.0\.0\.1:\d+$/);
    const client = casClient(cd.endpoint, key, 'ACS3-HMAC-SHA256', { ca: rootPem });
    const r = await client.describePackageState(new Cas.DescribePackageStateRequest({}));
    assert.match(r.body!.requestId!, /^[0-9A-F-]{36}$/);
    // Errors arrive in CAS form over TLS as well.
    const bad = await sdkError(() =>
      casClient(cd.endpoint, { ...key, AccessKeySecret: 'x'.repeat(30) }, 'ACS3-HMAC-SHA256', {
        ca: rootPem,
      }).describePackageState(new Cas.DescribePackageStateRequest({})),
    );
    assert.equal(bad.code, 'SignatureDoesNotMatch');
    // Without the root, the certificate is not trusted: the TLS is real.
    const untrusted = await sdkError(() =>
      casClient(cd.endpoint, key, 'ACS3-HMAC-SHA256', {
        ca: toPem('CERTIFICATE', Buffer.alloc(0)),
      }).describePackageState(new Cas.DescribePackageStateRequest({})),
    );
    assert.doesNotMatch(String(untrusted.code), /^OK$/);
    // Plain HTTP on the TLS port gets nothing useful.
    const plain = await fetch(cd.server.apiUrl.replace('https:', 'http:') + '/healthz').then(
      (res) => res.status,
      () => 'refused',
    );
    assert.notEqual(plain, 200);
  });

  test('the listener certificate: issued by the issuing CA for loopback names, short-lived', async () => {
    const { peer } = await httpsGet(`${cd.server.apiUrl}/healthz`, rootPem);
    assert.ok(peer.checkIssued(new X509Certificate(cd.server.hierarchy.issuing.certDer)));
    assert.equal(peer.checkIP('127.0.0.1'), '127.0.0.1');
    assert.equal(peer.checkHost('localhost'), 'localhost');
    const days = (Date.parse(peer.validTo) - Date.parse(peer.validFrom)) / 86_400_000;
    assert.ok(days <= 7, `valid ${days} days`);
    // openssl agrees with the chain (root trusted, issuing CA as untrusted intermediate).
    const dir = mkdtempSync(join(tmpdir(), 'certdesk-tls-'));
    try {
      writeFileSync(join(dir, 'root.pem'), rootPem);
      writeFileSync(join(dir, 'issuing.pem'), toPem('CERTIFICATE', cd.server.hierarchy.issuing.certDer));
      writeFileSync(join(dir, 'leaf.pem'), peer.toString());
      const out = execFileSync('openssl', [
        'verify',
        '-purpose',
        'sslserver',
        '-CAfile',
        join(dir, 'root.pem'),
        '-untrusted',
        join(dir, 'issuing.pem'),
        join(dir, 'leaf.pem'),
      ]).toString();
      assert.match(out, /leaf\.pem: OK/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the operator API and its /metrics over HTTPS', async () => {
    assert.match(cd.server.adminUrl, /^https:/);
    const token = readFileSync(join(cd.dataDir, 'admin-token'), 'utf8').trim();
    const accounts = await httpsGet(`${cd.server.adminUrl}/v1/accounts`, rootPem, { authorization: `Bearer ${token}` });
    assert.equal(accounts.status, 200);
    assert.ok(JSON.parse(accounts.body).Accounts.some((a: { Name: string }) => a.Name === 'TLS'));
    const metrics = await httpsGet(`${cd.server.adminUrl}/metrics`, rootPem, { authorization: `Bearer ${token}` });
    assert.equal(metrics.status, 200);
    assert.match(metrics.body, /^certdesk_cas_requests_total\{/m);
  });

  test('CRLs, OCSP and the CA certificates stay on plain HTTP at the URLs certificates carry', async () => {
    assert.ok(cd.server.listeners.some((l) => l.name === 'public' && l.url === publicUrl));
    assert.ok(cd.server.orders.ca.leaf.crlUrl.startsWith(`${publicUrl}/crl/`), cd.server.orders.ca.leaf.crlUrl);
    assert.equal(cd.server.orders.ca.leaf.ocspUrl, `${publicUrl}/ocsp`);
    const root = await fetch(`${publicUrl}/ca/root.cer`);
    assert.equal(root.status, 200);
    assert.deepEqual(Buffer.from(await root.arrayBuffer()), cd.server.hierarchy.root.certDer);
    // The worker publishes the first CRL shortly after start.
    let crl: Response | undefined;
    for (let i = 0; i < 100 && crl?.status !== 200; i++) {
      crl = await fetch(cd.server.orders.ca.leaf.crlUrl);
      if (crl.status !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(crl!.status, 200);
    assert.equal(crl!.headers.get('content-type'), 'application/pkix-crl');
    const ocsp = await fetch(`${publicUrl}/ocsp`, {
      method: 'POST',
      headers: { 'content-type': 'application/ocsp-request' },
      body: Buffer.from('not DER'),
    });
    assert.equal(ocsp.status, 200);
    assert.equal(ocsp.headers.get('content-type'), 'application/ocsp-response');
    // The public listener serves nothing else.
    assert.equal((await fetch(`${publicUrl}/?Action=DescribePackageState`)).status, 404);
    assert.equal((await fetch(`${publicUrl}/v1/accounts`)).status, 404);
  });
});

describe('--tls-cert and --tls-key: the operator’s own certificate', () => {
  let cd: Certdesk;
  let dir: string;
  let certPem: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'certdesk-tlsfiles-'));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-days',
        '2',
        '-subj',
        '/CN=certdesk test',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'pipe' },
    );
    certPem = readFileSync(join(dir, 'cert.pem'), 'utf8');
    const publicPort = await freePort();
    cd = await startCertdesk({
      'tls-cert': join(dir, 'cert.pem'),
      'tls-key': join(dir, 'key.pem'),
      'public-listen': `127.0.0.1:${publicPort}`,
    });
  });
  after(async () => {
    await cd?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the SDK over HTTPS trusting that certificate', async () => {
    const key = await createAccount(cd.ctx.accounts, 'Files');
    const client = casClient(cd.endpoint, key, 'ACS3-HMAC-SHA256', { ca: certPem });
    assert.ok((await client.describePackageState(new Cas.DescribePackageStateRequest({}))).body);
    const { peer } = await httpsGet(`${cd.server.adminUrl}/healthz`, certPem);
    assert.equal(peer.subject, 'CN=certdesk test');
  });
});

test('a listener off loopback refuses to start without TLS, and creates nothing', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'certdesk-insecure-'));
  try {
    const dataDir = join(dir, 'data');
    const r = await runCli(['serve', '--data-dir', dataDir, '--listen', '0.0.0.0:0', '--admin-listen', '127.0.0.1:0']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /--listen 0\.0\.0\.0:0 is not a loopback address: serve it with TLS/);
    const op = await runCli(['serve', '--data-dir', dataDir, '--admin-listen', '[::]:0']);
    assert.match(op.stderr, /--admin-listen \[::\]:0 is not a loopback address/);
    assert.equal(existsSync(dataDir), false);
    const half = await runCli(['serve', '--data-dir', dataDir, '--tls-cert', 'x.pem']);
    assert.match(half.stderr, /--tls-cert and --tls-key go together/);
    const noPublic = await runCli(['serve', '--data-dir', dataDir, '--tls', 'auto']);
    assert.match(noPublic.stderr, /--public-listen/);
    assert.equal(existsSync(dataDir), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
