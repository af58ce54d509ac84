// CSR management (CAS API reference, CSR actions) end to end: certdesk on loopback, the official SDK as the
// client, openssl and node:crypto as independent judges of what comes back. Tenants never
// see each other's CSRs, and bad input is refused with its own code and changes nothing.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign,
  verify,
  type KeyObject,
} from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCertdesk, type Certdesk } from './support/harness.js';
import { Cas, casClient, sdkError, type CasClient } from './support/sdk.js';
import { createAccount } from '../src/accounts/accounts.js';
import { startServer } from '../src/app/serve.js';
import { openContext } from '../src/app/context.js';

/** Runs openssl with `input` on stdin; fails the test on a non-zero exit. */
function openssl(args: string[], input = ''): string {
  const r = spawnSync('openssl', args, { input, encoding: 'utf8' });
  assert.equal(r.status, 0, `openssl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout + r.stderr;
}

/** The public key of a PEM CSR as openssl reads it, after openssl has verified its self-signature. */
function opensslCsrPublicKey(csrPem: string): KeyObject {
  assert.match(openssl(['req', '-verify', '-noout'], csrPem), /verify OK/);
  return createPublicKey(openssl(['req', '-pubkey', '-noout'], csrPem));
}

function spkiDer(key: KeyObject): Buffer {
  return (key.type === 'private' ? createPublicKey(key) : key).export({ type: 'spki', format: 'der' });
}

/** Proves with node:crypto that `privatePem` is the private half of `publicKey`. */
function assertKeyPair(privatePem: string, publicKey: KeyObject): void {
  const priv = createPrivateKey(privatePem);
  assert.deepEqual(spkiDer(priv), spkiDer(publicKey));
  const data = Buffer.from('certdesk csr key check');
  assert.ok(
    verify('sha256', data, publicKey, sign('sha256', data, priv)),
    'a signature by the private key verifies with the CSR key',
  );
}

describe('CSR management through the official SDK', () => {
  let cd: Certdesk;
  let workDir: string;
  let clientA: CasClient;
  let clientB: CasClient;
  let secretA = '';

  /** A CSR made by openssl (not by certdesk) for a fresh key; the key in the PEM form openssl writes. */
  function opensslCsr(opts: { keyPem: string; subj: string; sans?: string[]; extra?: string[] }): string {
    const keyFile = join(workDir, `key-${Math.random().toString(36).slice(2)}.pem`);
    writeFileSync(keyFile, opts.keyPem, { mode: 0o600 });
    const san = opts.sans ? ['-addext', `subjectAltName=${opts.sans.map((n) => `DNS:${n}`).join(',')}`] : [];
    return openssl(['req', '-new', '-key', keyFile, '-subj', opts.subj, ...san, ...(opts.extra ?? [])]).replace(
      /^[\s\S]*?(?=-----BEGIN)/,
      '',
    );
  }

  before(async () => {
    cd = await startCertdesk();
    workDir = mkdtempSync(join(tmpdir(), 'certdesk-csr-e2e-'));
    const a = await createAccount(cd.ctx.accounts, 'CSR tenant A');
    const b = await createAccount(cd.ctx.accounts, 'CSR tenant B');
    secretA = a.AccessKeySecret;
    clientA = casClient(cd.endpoint, a);
    clientB = casClient(cd.endpoint, b);
  });
  after(async () => {
    await cd?.close();
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  async function newTenant(name: string): Promise<CasClient> {
    return casClient(cd.endpoint, await createAccount(cd.ctx.accounts, name));
  }

  const created: Array<{ algorithm: string; keySize: number; keyType: string; sigAlg: RegExp }> = [
    { algorithm: 'RSA', keySize: 2048, keyType: 'rsa', sigAlg: /sha256WithRSAEncryption/ },
    { algorithm: 'ECC', keySize: 256, keyType: 'ec', sigAlg: /ecdsa-with-SHA256/ },
  ];
  for (const c of created) {
    test(`CreateCsr ${c.algorithm} ${c.keySize}: the CSR verifies in openssl and GetCsrDetail returns its private key`, async () => {
      const res = await clientA.createCsr(
        new Cas.CreateCsrRequest({
          algorithm: c.algorithm,
          keySize: c.keySize,
          commonName: 'WWW.Example.com',
          sans: 'example.com, api.example.com,,www.example.com',
          countryCode: 'cn',
          province: 'Zhejiang',
          locality: 'Hangzhou',
          corpName: 'Example Ltd',
          department: 'IT',
          name: `web_${c.algorithm}-1.0`,
        }),
      );
      assert.equal(res.statusCode, 200);
      const csrId = res.body?.csrId ?? 0;
      assert.ok(csrId > 0);
      const csrPem = res.body?.csr ?? '';
      assert.match(csrPem, /^-----BEGIN CERTIFICATE REQUEST-----\n/);

      const publicKey = opensslCsrPublicKey(csrPem);
      assert.equal(publicKey.asymmetricKeyType, c.keyType);
      const text = openssl(['req', '-noout', '-text', '-nameopt', 'RFC2253'], csrPem);
      assert.match(text, /Subject: CN=www\.example\.com,OU=IT,O=Example Ltd,L=Hangzhou,ST=Zhejiang,C=CN/);
      assert.match(text, /DNS:www\.example\.com, DNS:example\.com, DNS:api\.example\.com\s/);
      assert.match(text, c.sigAlg);
      if (c.algorithm === 'RSA') assert.match(text, /Public-Key: \(2048 bit\)/);
      else assert.match(text, /NIST CURVE: P-256/);

      const detail = await clientA.getCsrDetail(new Cas.GetCsrDetailRequest({ csrId }));
      assert.equal(detail.body?.csr, csrPem);
      assert.match(detail.body?.privateKey ?? '', /^-----BEGIN PRIVATE KEY-----\n/);
      assertKeyPair(detail.body?.privateKey ?? '', publicKey);

      const list = await clientA.listCsr(new Cas.ListCsrRequest({ keyWord: `web_${c.algorithm}-1.0` }));
      assert.equal(list.body?.totalCount, 1);
      assert.deepEqual(list.body?.csrList?.[0]?.toMap(), {
        CsrId: csrId,
        Name: `web_${c.algorithm}-1.0`,
        CommonName: 'www.example.com',
        Sans: 'example.com,api.example.com',
        Algorithm: c.algorithm,
        KeySize: c.keySize,
        KeySha2: createHash('sha256').update(spkiDer(publicKey)).digest('hex'),
        HasPrivateKey: true,
        CorpName: 'Example Ltd',
        Department: 'IT',
        CountryCode: 'CN',
        Province: 'Zhejiang',
        Locality: 'Hangzhou',
      });
    });
  }

  test('CreateCsr without the optional fields names the CSR after its CommonName; ECC 384 gives P-384', async () => {
    const client = await newTenant('CSR defaults');
    const res = await client.createCsr(
      new Cas.CreateCsrRequest({
        algorithm: 'ECC',
        keySize: 384,
        commonName: 'plain.example.org',
        countryCode: 'US',
        province: 'CA',
        locality: 'SF',
        corpName: '',
        department: '',
      }),
    );
    const text = openssl(['req', '-noout', '-text', '-nameopt', 'RFC2253'], res.body?.csr ?? '');
    assert.match(text, /Subject: CN=plain\.example\.org,L=SF,ST=CA,C=US\n/);
    assert.match(text, /NIST CURVE: P-384/);
    const entry = (await client.listCsr(new Cas.ListCsrRequest({}))).body?.csrList?.[0];
    assert.equal(entry?.name, 'plain.example.org');
    assert.equal(entry?.sans, '');
    assert.equal(entry?.corpName, '');
    assert.equal(entry?.keySize, 384);
  });

  test('UploadCsr without a Key, UpdateCsr adds it; with a Key; a mismatched Key is refused and changes nothing', async () => {
    const client = await newTenant('CSR uploads');
    const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const ecSec1 = ec.privateKey.export({ type: 'sec1', format: 'pem' }) as string;
    const csrPem = opensslCsr({
      keyPem: ecSec1,
      subj: '/C=DE/ST=Berlin/L=Berlin/O=Up GmbH/OU=Ops/CN=upload.example.net',
      sans: ['upload.example.net', 'www.upload.example.net'],
    });

    const up = await client.uploadCsr(new Cas.UploadCsrRequest({ csr: csrPem, name: 'uploaded_1' }));
    const id = up.body?.csrId ?? 0;
    assert.ok(id > 0);
    let detail = await client.getCsrDetail(new Cas.GetCsrDetailRequest({ csrId: id }));
    assert.equal(detail.body?.privateKey, '');
    assert.deepEqual(spkiDer(opensslCsrPublicKey(detail.body?.csr ?? '')), spkiDer(ec.publicKey));
    let entry = (await client.listCsr(new Cas.ListCsrRequest({}))).body?.csrList?.[0];
    assert.deepEqual(
      [
        entry?.csrId,
        entry?.name,
        entry?.commonName,
        entry?.sans,
        entry?.algorithm,
        entry?.keySize,
        entry?.hasPrivateKey,
      ],
      [id, 'uploaded_1', 'upload.example.net', 'www.upload.example.net', 'ECC', 256, false],
    );
    assert.deepEqual(
      [entry?.countryCode, entry?.province, entry?.locality, entry?.corpName, entry?.department],
      ['DE', 'Berlin', 'Berlin', 'Up GmbH', 'Ops'],
    );

    // A key of the right type but another pair: refused, and the CSR still has no key.
    const other = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({
      type: 'pkcs8',
      format: 'pem',
    }) as string;
    const wrong = await sdkError(() => client.updateCsr(new Cas.UpdateCsrRequest({ csrId: id, key: other })));
    assert.equal(wrong.code, 'InvalidParameter.KeyAlgorithm');
    assert.equal(wrong.statusCode, 400);
    assert.match(wrong.message, /The private key does not match the CSR\./);
    detail = await client.getCsrDetail(new Cas.GetCsrDetailRequest({ csrId: id }));
    assert.equal(detail.body?.privateKey, '');

    // The matching key (SEC 1 PEM, as openssl writes EC keys) is stored and comes back as PKCS#8.
    const updated = await client.updateCsr(new Cas.UpdateCsrRequest({ csrId: id, key: ecSec1 }));
    assert.equal(updated.statusCode, 200);
    detail = await client.getCsrDetail(new Cas.GetCsrDetailRequest({ csrId: id }));
    assert.match(detail.body?.privateKey ?? '', /^-----BEGIN PRIVATE KEY-----/);
    assertKeyPair(detail.body?.privateKey ?? '', ec.publicKey);
    entry = (await client.listCsr(new Cas.ListCsrRequest({}))).body?.csrList?.[0];
    assert.equal(entry?.hasPrivateKey, true);

    // Upload with its key (RSA, PKCS#1 PEM "BEGIN RSA PRIVATE KEY"), no Name: named after its CN.
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const rsaPkcs1 = rsa.privateKey.export({ type: 'pkcs1', format: 'pem' }) as string;
    const rsaCsr = opensslCsr({ keyPem: rsaPkcs1, subj: '/CN=rsa.example.net' });
    const withKey = await client.uploadCsr(new Cas.UploadCsrRequest({ csr: rsaCsr, key: rsaPkcs1 }));
    const rsaId = withKey.body?.csrId ?? 0;
    detail = await client.getCsrDetail(new Cas.GetCsrDetailRequest({ csrId: rsaId }));
    assertKeyPair(detail.body?.privateKey ?? '', rsa.publicKey);
    entry = (await client.listCsr(new Cas.ListCsrRequest({ keyWord: 'rsa.example' }))).body?.csrList?.[0];
    assert.deepEqual(
      [entry?.name, entry?.algorithm, entry?.keySize, entry?.hasPrivateKey],
      ['rsa.example.net', 'RSA', 2048, true],
    );

    // Upload with a Key that belongs to another CSR: refused, nothing stored.
    const mismatch = await sdkError(() => client.uploadCsr(new Cas.UploadCsrRequest({ csr: rsaCsr, key: ecSec1 })));
    assert.equal(mismatch.code, 'InvalidParameter.KeyAlgorithm');
    assert.match(mismatch.message, /The private key does not match the CSR\./);
    assert.ok(
      !mismatch.message.includes('PRIVATE KEY') && !JSON.stringify(mismatch.data).includes(ecSec1.split('\n')[1]!),
    );
    assert.equal((await client.listCsr(new Cas.ListCsrRequest({}))).body?.totalCount, 2);
  });

  test('ListCsr pages newest first and filters by KeyWord (name, CommonName, Sans) and Algorithm', async () => {
    const client = await newTenant('CSR lists');
    const base = { countryCode: 'CN', province: 'Beijing', locality: 'Beijing' };
    const specs = [
      { algorithm: 'ECC', keySize: 256, commonName: 'one.example.com', name: 'test_name' },
      { algorithm: 'ECC', keySize: 256, commonName: 'two.example.com', name: 'testXname' },
      { algorithm: 'RSA', keySize: 2048, commonName: 'three.example.com', name: 'rsa-one' },
      { algorithm: 'ECC', keySize: 256, commonName: 'four.example.com', sans: 'shop.Example.ORG' },
      { algorithm: 'ECC', keySize: 384, commonName: 'five.example.com', name: 'ecc.five' },
    ];
    const ids: number[] = [];
    for (const s of specs)
      ids.push((await client.createCsr(new Cas.CreateCsrRequest({ ...base, ...s }))).body?.csrId ?? 0);
    const newestFirst = [...ids].reverse();

    const all = await client.listCsr(new Cas.ListCsrRequest({}));
    assert.deepEqual([all.body?.totalCount, all.body?.currentPage, all.body?.showSize], [5, 1, 50]);
    assert.deepEqual(
      all.body?.csrList?.map((c) => c.csrId),
      newestFirst,
    );

    const pages: number[][] = [];
    for (const currentPage of [1, 2, 3, 4]) {
      const page = await client.listCsr(new Cas.ListCsrRequest({ showSize: 2, currentPage }));
      assert.deepEqual([page.body?.totalCount, page.body?.currentPage, page.body?.showSize], [5, currentPage, 2]);
      pages.push(page.body?.csrList?.map((c) => c.csrId ?? 0) ?? []);
    }
    assert.deepEqual(pages, [newestFirst.slice(0, 2), newestFirst.slice(2, 4), newestFirst.slice(4), []]);

    const byKeyword = async (keyWord: string, algorithm?: string) => {
      const r = await client.listCsr(new Cas.ListCsrRequest({ keyWord, algorithm }));
      assert.equal(r.body?.totalCount, r.body?.csrList?.length);
      return r.body?.csrList?.map((c) => c.commonName) ?? [];
    };
    // '_' is a literal, not LIKE's one-character wildcard: 'testXname' does not match.
    assert.deepEqual(await byKeyword('test_name'), ['one.example.com']);
    assert.deepEqual(await byKeyword('TEST'), ['two.example.com', 'one.example.com']);
    assert.deepEqual(await byKeyword('THREE.example'), ['three.example.com']);
    assert.deepEqual(await byKeyword('shop.example.org'), ['four.example.com']);
    assert.deepEqual(await byKeyword('%'), []);
    assert.deepEqual(await byKeyword('example.com', 'RSA'), ['three.example.com']);
    assert.deepEqual(await byKeyword('e', 'ECC'), [
      'five.example.com',
      'four.example.com',
      'two.example.com',
      'one.example.com',
    ]);
    assert.deepEqual(await byKeyword('e', 'SM2'), []);
    const rsaOnly = await client.listCsr(new Cas.ListCsrRequest({ algorithm: 'RSA' }));
    assert.deepEqual([rsaOnly.body?.totalCount, rsaOnly.body?.csrList?.[0]?.keySize], [1, 2048]);
  });

  test('DeleteCsr removes a CSR; another account can neither read, update, list nor delete it', async () => {
    const res = await clientA.createCsr(
      new Cas.CreateCsrRequest({
        algorithm: 'ECC',
        keySize: 256,
        commonName: 'private.example.com',
        countryCode: 'CN',
        province: 'P',
        locality: 'L',
        name: 'a-only',
      }),
    );
    const csrId = res.body?.csrId ?? 0;
    const key = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({
      type: 'pkcs8',
      format: 'pem',
    }) as string;
    const foreign: Array<[string, () => Promise<unknown>]> = [
      ['GetCsrDetail', () => clientB.getCsrDetail(new Cas.GetCsrDetailRequest({ csrId }))],
      ['UpdateCsr', () => clientB.updateCsr(new Cas.UpdateCsrRequest({ csrId, key }))],
      ['DeleteCsr', () => clientB.deleteCsr(new Cas.DeleteCsrRequest({ csrId }))],
    ];
    for (const [name, call] of foreign) {
      const e = await sdkError(call);
      assert.equal(e.code, 'NotFound', name);
      assert.equal(e.statusCode, 400, name);
      assert.match(e.message, /The CSR does not exist\./, name);
    }
    assert.equal((await clientB.listCsr(new Cas.ListCsrRequest({ keyWord: 'a-only' }))).body?.totalCount, 0);

    // Still A's, key untouched.
    const detail = await clientA.getCsrDetail(new Cas.GetCsrDetailRequest({ csrId }));
    assertKeyPair(detail.body?.privateKey ?? '', opensslCsrPublicKey(detail.body?.csr ?? ''));

    assert.equal((await clientA.deleteCsr(new Cas.DeleteCsrRequest({ csrId }))).statusCode, 200);
    for (const call of [
      () => clientA.getCsrDetail(new Cas.GetCsrDetailRequest({ csrId })),
      () => clientA.deleteCsr(new Cas.DeleteCsrRequest({ csrId })),
      () => clientA.updateCsr(new Cas.UpdateCsrRequest({ csrId, key })),
    ]) {
      assert.equal((await sdkError(call)).code, 'NotFound');
    }
    assert.equal((await clientA.listCsr(new Cas.ListCsrRequest({ keyWord: 'a-only' }))).body?.totalCount, 0);
  });

  test('private keys and CSRs never reach the log, in success or refusal', async () => {
    // A second certdesk process on the same database (as when scaling out), whose logger keeps every line.
    const lines: string[] = [];
    const ctx = await openContext({
      // Same store, its own listeners.
      config: { ...cd.ctx.config, listen: { host: '127.0.0.1', port: 0 }, adminListen: { host: '127.0.0.1', port: 0 } },
      env: cd.ctx.env,
      clock: cd.clock,
      logger: { log: (level, msg, fields) => lines.push(JSON.stringify({ level, msg, ...fields })) },
    });
    const server = await startServer(ctx).catch(async (e) => {
      await ctx.store.close();
      throw e;
    });
    try {
      const key = await createAccount(ctx.accounts, 'CSR logs');
      const client = casClient(server.apiUrl.replace('http://', ''), key);
      const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
      const keyPem = ec.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
      const otherPem = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({
        type: 'pkcs8',
        format: 'pem',
      }) as string;
      const csrPem = opensslCsr({ keyPem, subj: '/CN=logs.example.com' });

      const { body } = await client.uploadCsr(new Cas.UploadCsrRequest({ csr: csrPem, key: keyPem, name: 'logs' }));
      await client.updateCsr(new Cas.UpdateCsrRequest({ csrId: body?.csrId, key: keyPem }));
      await sdkError(() => client.updateCsr(new Cas.UpdateCsrRequest({ csrId: body?.csrId, key: otherPem })));
      await sdkError(() => client.uploadCsr(new Cas.UploadCsrRequest({ csr: csrPem, key: otherPem })));
      const created = await client.createCsr(
        new Cas.CreateCsrRequest({
          algorithm: 'ECC',
          keySize: 256,
          commonName: 'logs2.example.com',
          countryCode: 'CN',
          province: 'P',
          locality: 'L',
        }),
      );
      const detail = await client.getCsrDetail(new Cas.GetCsrDetailRequest({ csrId: created.body?.csrId }));

      const log = lines.join('\n');
      assert.equal(lines.filter((l) => l.includes('"msg":"cas request"')).length, 6, 'every request was logged');
      assert.match(log, /"Key":"\[redacted \d+ chars\]"/);
      const bodyLine = (pem: string) => pem.split('\n')[1]!;
      for (const pem of [keyPem, otherPem, csrPem, detail.body?.privateKey ?? '', created.body?.csr ?? '']) {
        assert.ok(!log.includes(bodyLine(pem)), 'no PEM body in the log');
      }
      assert.ok(!log.includes('PRIVATE KEY'));
    } finally {
      await server.close();
    }
  });

  test('bad input is refused with its own SDK error code and changes nothing', async () => {
    const client = await newTenant('CSR refusals');
    const good = {
      algorithm: 'ECC',
      keySize: 256,
      commonName: 'ok.example.com',
      countryCode: 'CN',
      province: 'Beijing',
      locality: 'Beijing',
    };
    const create = (over: Record<string, unknown>) => () =>
      client.createCsr(new Cas.CreateCsrRequest({ ...good, ...over }));

    // Keys and CSRs the policy refuses, made by openssl and node (not by certdesk).
    const rsa1024 = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({
      type: 'pkcs8',
      format: 'pem',
    }) as string;
    const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
    const ecPem = ec.export({ type: 'pkcs8', format: 'pem' }) as string;
    const encrypted = ec.export({
      type: 'pkcs8',
      format: 'pem',
      cipher: 'aes-256-cbc',
      passphrase: 'secret',
    }) as string;
    const p521 = generateKeyPairSync('ec', { namedCurve: 'secp521r1' }).privateKey.export({
      type: 'pkcs8',
      format: 'pem',
    }) as string;
    const goodCsr = opensslCsr({ keyPem: ecPem, subj: '/CN=ok.example.com' });
    const sha1Csr = opensslCsr({ keyPem: ecPem, subj: '/CN=ok.example.com', extra: ['-sha1'] });
    const weakCsr = opensslCsr({ keyPem: rsa1024, subj: '/CN=ok.example.com' });
    const rsaE3 = generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 3 }).privateKey.export({
      type: 'pkcs8',
      format: 'pem',
    }) as string;
    const e3Csr = opensslCsr({ keyPem: rsaE3, subj: '/CN=ok.example.com' });
    const p521Csr = opensslCsr({ keyPem: p521, subj: '/CN=ok.example.com' });
    const tampered = goodCsr.replace(
      /^(-----BEGIN CERTIFICATE REQUEST-----\n.{30})(.)/,
      (_, head: string, ch: string) => head + (ch === 'A' ? 'B' : 'A'),
    );

    // One base64 line of each private key, and the account's secret: none may be echoed.
    const secrets = [rsa1024, rsaE3, ecPem, encrypted].map((pem) => pem.split('\n')[1]!).concat(secretA);
    const cases: Array<{ name: string; call: () => Promise<unknown>; code: string; message?: RegExp }> = [
      {
        name: 'garbage CSR',
        call: () => client.uploadCsr(new Cas.UploadCsrRequest({ csr: 'not a csr at all' })),
        code: 'InvalidParameter.Csr',
      },
      {
        name: 'a certificate instead of a CSR',
        call: () =>
          client.uploadCsr(
            new Cas.UploadCsrRequest({ csr: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----' }),
          ),
        code: 'InvalidParameter.Csr',
      },
      {
        name: 'tampered CSR',
        call: () => client.uploadCsr(new Cas.UploadCsrRequest({ csr: tampered })),
        code: 'InvalidParameter.Csr',
      },
      {
        name: 'SHA-1 signed CSR',
        call: () => client.uploadCsr(new Cas.UploadCsrRequest({ csr: sha1Csr })),
        code: 'InvalidParameter.Csr',
        message: /SHA-1/,
      },
      {
        name: 'RSA-1024 CSR',
        call: () => client.uploadCsr(new Cas.UploadCsrRequest({ csr: weakCsr })),
        code: 'InvalidParameter.KeyAlgorithm',
        message: /at least 2048/,
      },
      {
        // Regression: an RSA key with public exponent 3 was accepted (65537 only, BR 6.1.6's stricter choice).
        name: 'RSA CSR with public exponent 3',
        call: () => client.uploadCsr(new Cas.UploadCsrRequest({ csr: e3Csr })),
        code: 'InvalidParameter.KeyAlgorithm',
        message: /exponent must be 65537/,
      },
      {
        name: 'P-521 CSR',
        call: () => client.uploadCsr(new Cas.UploadCsrRequest({ csr: p521Csr })),
        code: 'InvalidParameter.KeyAlgorithm',
      },
      {
        name: 'missing Csr',
        call: () => client.uploadCsr(new Cas.UploadCsrRequest({ csr: '' })),
        code: 'MissingParameter',
      },
      {
        name: 'encrypted Key',
        call: () => client.uploadCsr(new Cas.UploadCsrRequest({ csr: goodCsr, key: encrypted })),
        code: 'InvalidParameter.KeyAlgorithm',
        message: /encrypted/,
      },
      {
        name: 'Key that is not PEM',
        call: () => client.uploadCsr(new Cas.UploadCsrRequest({ csr: goodCsr, key: 'hunter2' })),
        code: 'InvalidParameter.KeyAlgorithm',
      },
      {
        name: 'upload with a bad Name',
        call: () => client.uploadCsr(new Cas.UploadCsrRequest({ csr: goodCsr, name: 'a b' })),
        code: 'InvalidParameter',
      },
      {
        name: 'SM2',
        call: create({ algorithm: 'SM2', keySize: 256 }),
        code: 'InvalidParameter',
        message: /does not support SM2/,
      },
      { name: 'unknown Algorithm', call: create({ algorithm: 'DSA' }), code: 'InvalidParameter' },
      {
        name: 'RSA KeySize 1024',
        call: create({ algorithm: 'RSA', keySize: 1024 }),
        code: 'InvalidParameter',
        message: /2048, 3072 or 4096/,
      },
      { name: 'ECC KeySize 521', call: create({ keySize: 521 }), code: 'InvalidParameter' },
      { name: 'missing KeySize', call: create({ keySize: undefined }), code: 'MissingParameter' },
      {
        name: 'three-letter CountryCode',
        call: create({ countryCode: 'CHN' }),
        code: 'InvalidParameter',
        message: /CountryCode/,
      },
      { name: 'digits in CountryCode', call: create({ countryCode: 'C1' }), code: 'InvalidParameter' },
      {
        name: 'missing CommonName',
        call: create({ commonName: undefined }),
        code: 'MissingParameter',
        message: /CommonName/,
      },
      { name: 'blank Province', call: create({ province: '   ' }), code: 'MissingParameter' },
      { name: 'missing Locality', call: create({ locality: '' }), code: 'MissingParameter' },
      { name: 'bad Name characters', call: create({ name: 'my csr!' }), code: 'InvalidParameter', message: /Name/ },
      { name: 'Name of 51 characters', call: create({ name: 'n'.repeat(51) }), code: 'InvalidParameter' },
      {
        name: 'CommonName that is not a domain name',
        call: create({ commonName: 'not a domain' }),
        code: 'InvalidParameter.Domain',
      },
      {
        name: 'CommonName that is an IP address',
        call: create({ commonName: '192.0.2.1' }),
        code: 'InvalidParameter.Domain',
      },
      {
        name: 'CommonName longer than 64 characters',
        call: create({ commonName: `${'a'.repeat(60)}.example.com` }),
        code: 'InvalidParameter',
        message: /64/,
      },
      {
        name: 'bad name in Sans',
        call: create({ sans: 'a.example.com,bad_name.example.com' }),
        code: 'InvalidParameter.Domain',
      },
      {
        name: 'too many Sans',
        call: create({ sans: 'a.example.com,b.example.com,c.example.com,d.example.com,e.example.com' }),
        code: 'InvalidParameter',
        message: /At most 5/,
      },
      { name: 'control character in Locality', call: create({ locality: 'Bei\u0001jing' }), code: 'InvalidParameter' },
      {
        name: 'CsrId missing',
        call: () => client.getCsrDetail(new Cas.GetCsrDetailRequest({})),
        code: 'MissingParameter',
      },
      {
        name: 'CsrId 0',
        call: () => client.deleteCsr(new Cas.DeleteCsrRequest({ csrId: 0 })),
        code: 'InvalidParameter',
      },
      {
        name: 'UpdateCsr without Key',
        call: () => client.updateCsr(new Cas.UpdateCsrRequest({ csrId: 1 })),
        code: 'MissingParameter',
      },
      {
        name: 'ListCsr ShowSize 101',
        call: () => client.listCsr(new Cas.ListCsrRequest({ showSize: 101 })),
        code: 'InvalidParameter',
      },
      {
        name: 'ListCsr unknown Algorithm',
        call: () => client.listCsr(new Cas.ListCsrRequest({ algorithm: 'DSA' })),
        code: 'InvalidParameter',
      },
    ];
    for (const c of cases) {
      const e = await sdkError(c.call);
      assert.equal(e.code, c.code, `${c.name}: ${e.message}`);
      assert.equal(e.statusCode, 400, c.name);
      assert.equal(e.name, 'ClientError', c.name);
      if (c.message) assert.match(e.message, c.message, c.name);
      for (const secret of secrets) {
        assert.ok(!JSON.stringify(e.data).includes(secret), `${c.name}: no key material in the error`);
      }
    }
    const after = await client.listCsr(new Cas.ListCsrRequest({}));
    assert.equal(after.body?.totalCount, 0, 'no refused request stored anything');
  });
});
