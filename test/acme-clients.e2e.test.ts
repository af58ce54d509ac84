// Real ACME clients against certdesk on loopback, each with EAB: the npm package acme-client
// (dns-01 through the challenge server), lego 4.9 (http-01 with its own server; dns-01 for a
// wildcard through `--dns exec` and a hook that programs the test DNS server), certbot 2.1
// (`--standalone --http-01-port`). Account, order, validation, finalize, download, renewal,
// revocation. certbot and lego come from `bash scripts/setup-system.sh`; missing, the test fails.
import { after, before, describe as suite, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import acme from 'acme-client';
import type { Certdesk } from './support/harness.js';
import { freePort } from './support/harness.js';
import type { ChallengeServer } from './challenge-server.js';
import { freshDomain } from './support/orders.js';
import { eabFor, startAcmeCertdesk } from './support/acme.js';
import { exec, legoAccountArgs, tool } from './support/tools.js';
import { createAccount } from '../src/accounts/accounts.js';
import { grantPlan } from '../src/accounts/plans.js';

suite('real ACME clients', () => {
  let cd: Certdesk;
  let cs: ChallengeServer;
  let rootPem: string;
  let directoryUrl: string;
  let accountId: number;
  let dir: string;
  let rootFile: string;
  /** The port certdesk's http-01 validation connects to: lego and certbot listen there. */
  let httpPort: number;
  let control: http.Server;
  let controlUrl: string;

  before(async () => {
    httpPort = await freePort();
    ({ cd, cs, rootPem, directoryUrl } = await startAcmeCertdesk({ 'http-validation-port': String(httpPort) }));
    dir = mkdtempSync(join(tmpdir(), 'certdesk-acme-clients-'));
    rootFile = join(dir, 'root.pem');
    writeFileSync(rootFile, rootPem);
    const key = await createAccount(cd.ctx.accounts, 'Clients Inc');
    accountId = key.AccountId;
    await grantPlan(cd.ctx.accounts, { accountId, productCode: 'digicert-free-1-free', count: 20 });
    await grantPlan(cd.ctx.accounts, { accountId, productCode: 'geotrust-dv-w-starter', count: 5 });
    // What a DNS provider's API is to lego's exec hook: one call sets or clears a TXT record.
    control = http.createServer((req, res) => {
      const u = new URL(req.url!, 'http://x');
      const name = u.searchParams.get('name')!.replace(/\.$/, '');
      if (u.pathname === '/present') cs.setTxt(name, [u.searchParams.get('value')!]);
      else cs.clear(name);
      res.end('ok');
    });
    await new Promise<void>((r) => control.listen(0, '127.0.0.1', r));
    controlUrl = `http://127.0.0.1:${(control.address() as { port: number }).port}`;
  });
  after(async () => {
    control?.close();
    await cd?.close();
    await cs?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('acme-client (npm): EAB account, dns-01 order, certificate, renewal, revocation', async () => {
    const eab = await eabFor(cd, accountId, 'digicert-free-1-free');
    process.env.NODE_EXTRA_CA_CERTS = rootFile; // read at start only; the agent below carries the CA
    acme.axios.defaults.httpsAgent = new (await import('node:https')).Agent({ ca: rootPem });
    const client = new acme.Client({
      directoryUrl,
      accountKey: await acme.crypto.createPrivateEcdsaKey(),
      externalAccountBinding: { kid: eab.KeyId, hmacKey: eab.HmacKey },
    });
    const name = freshDomain('npm');
    const issue = async () => {
      const [, csr] = await acme.crypto.createCsr({ commonName: name });
      return client.auto({
        csr,
        termsOfServiceAgreed: true,
        challengePriority: ['dns-01'],
        // acme-client checks the record itself with the system resolver, which knows nothing of the test DNS server.
        skipChallengeVerification: true,
        // For dns-01, acme-client hands over the record value itself (base64url of the digest).
        challengeCreateFn: async (authz, _challenge, keyAuthorization) => {
          cs.setTxt(`_acme-challenge.${authz.identifier.value}`, [keyAuthorization]);
        },
        challengeRemoveFn: async (authz) => cs.clear(`_acme-challenge.${authz.identifier.value}`),
      });
    };
    const first = await issue();
    assert.equal(new X509Certificate(first).subjectAltName, `DNS:${name}`);
    const renewed = await issue();
    assert.notEqual(new X509Certificate(renewed).serialNumber, new X509Certificate(first).serialNumber);
    await client.revokeCertificate(first, { reason: 4 });
    await assert.rejects(client.revokeCertificate(first), /already revoked/i);
  });

  test('lego 4.9: EAB account, http-01 with its own server, renewal, revocation', async () => {
    const lego = tool('/usr/bin/lego');
    const eab = await eabFor(cd, accountId, 'digicert-free-1-free');
    const name = freshDomain('lego');
    cs.setA(name, ['127.0.0.1']);
    const path = join(dir, 'lego-http');
    const env = { LEGO_CA_CERTIFICATES: rootFile };
    const common = [
      ...legoAccountArgs({ directoryUrl, path, eab, domain: name }),
      '--http',
      '--http.port',
      `127.0.0.1:${httpPort}`,
    ];
    const run = await exec(lego, [...common, 'run'], env);
    assert.equal(run.code, 0, run.stderr);
    const certFile = join(path, 'certificates', `${name}.crt`);
    const first = new X509Certificate(readFileSync(certFile));
    assert.equal(first.subjectAltName, `DNS:${name}`);
    const renew = await exec(lego, [...common, 'renew', '--days', '400', '--no-random-sleep'], env);
    assert.equal(renew.code, 0, renew.stderr);
    const second = new X509Certificate(readFileSync(certFile));
    assert.notEqual(second.serialNumber, first.serialNumber);
    const revoke = await exec(lego, [...common, 'revoke'], env);
    assert.equal(revoke.code, 0, revoke.stderr);
  });

  test('lego 4.9: a wildcard by dns-01 through --dns exec and a hook talking to the test DNS server', async () => {
    const lego = tool('/usr/bin/lego');
    const eab = await eabFor(cd, accountId, 'geotrust-dv-w-starter');
    const base = freshDomain('legowild');
    const hook = join(dir, 'hook.sh');
    // lego's exec provider calls: hook present|cleanup <fqdn> <value>.
    writeFileSync(hook, `#!/bin/sh\nexec curl -fsS "${controlUrl}/$1?name=$2&value=$3" >/dev/null\n`);
    chmodSync(hook, 0o755);
    const path = join(dir, 'lego-dns');
    const run = await exec(
      lego,
      [
        ...legoAccountArgs({ directoryUrl, path, eab, domain: `*.${base}` }),
        '--dns',
        'exec',
        '--dns.disable-cp',
        '--dns.resolvers',
        cs.dnsAddress,
        'run',
      ],
      { LEGO_CA_CERTIFICATES: rootFile, EXEC_PATH: hook, EXEC_POLLING_INTERVAL: '1', EXEC_PROPAGATION_TIMEOUT: '10' },
    );
    assert.equal(run.code, 0, run.stderr);
    const cert = new X509Certificate(readFileSync(join(path, 'certificates', `_.${base}.crt`)));
    assert.equal(cert.subjectAltName, `DNS:*.${base}`);
  });

  test('certbot 2.1: EAB account, --standalone http-01, renewal, revocation', async () => {
    const certbot = tool('/usr/bin/certbot');
    const eab = await eabFor(cd, accountId, 'digicert-free-1-free');
    const name = freshDomain('certbot');
    cs.setA(name, ['127.0.0.1']);
    const base = join(dir, 'certbot');
    const dirs = [
      '--config-dir',
      join(base, 'config'),
      '--work-dir',
      join(base, 'work'),
      '--logs-dir',
      join(base, 'logs'),
    ];
    const env = { REQUESTS_CA_BUNDLE: rootFile };
    const obtain = (extra: string[]) =>
      exec(
        certbot,
        [
          'certonly',
          '--non-interactive',
          '--agree-tos',
          '-m',
          'ops@example.com',
          '--server',
          directoryUrl,
          '--eab-kid',
          eab.KeyId,
          '--eab-hmac-key',
          eab.HmacKey,
          '--standalone',
          '--http-01-port',
          String(httpPort),
          '--http-01-address',
          '127.0.0.1',
          '-d',
          name,
          ...dirs,
          ...extra,
        ],
        env,
      );
    const first = await obtain([]);
    assert.equal(first.code, 0, first.stderr);
    const live = join(base, 'config', 'live', name);
    const cert1 = new X509Certificate(readFileSync(join(live, 'cert.pem')));
    assert.equal(cert1.subjectAltName, `DNS:${name}`);
    const renewed = await obtain(['--force-renewal']);
    assert.equal(renewed.code, 0, renewed.stderr);
    const cert2 = new X509Certificate(readFileSync(join(live, 'cert.pem')));
    assert.notEqual(cert2.serialNumber, cert1.serialNumber);
    const revoked = await exec(
      certbot,
      [
        'revoke',
        '--non-interactive',
        '--server',
        directoryUrl,
        '--cert-path',
        join(live, 'cert.pem'),
        '--no-delete-after-revoke',
        ...dirs,
      ],
      env,
    );
    assert.equal(revoked.code, 0, revoked.stderr);
  });
});
