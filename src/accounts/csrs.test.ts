// The CSR use cases against a real SQLite store and the real secret box: what is stored,
// how the key is sealed, and the name rules of CreateCsr. The wire side is in
// test/csr.e2e.test.ts.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createPrivateKey, createPublicKey, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Store } from '../store/store.js';
import { createSecretBox, generateMasterKey } from '../crypto/secret-box.js';
import { parseCsr } from '../ca/csr.js';
import { CertError } from '../domain/errors.js';
import type { AccountDeps } from './deps.js';
import { createCsr, getCsrDetail, listCsrs, uploadCsr } from './csrs.js';

const NOW = 1_767_225_600_000; // 2026-01-01T00:00:00Z

describe('CSR use cases', () => {
  const dir = mkdtempSync(join(tmpdir(), 'certdesk-csrs-'));
  let store: Store;
  let deps: AccountDeps;
  let accountId: number;
  const base = { algorithm: 'ECC', keySize: 256, countryCode: 'cn', province: 'Beijing', locality: 'Beijing' };

  before(async () => {
    store = await Store.open({ kind: 'sqlite', target: join(dir, 'csrs.db') });
    deps = {
      store,
      clock: { now: () => NOW },
      random: { bytes: (n) => randomBytes(n) },
      sealer: createSecretBox(generateMasterKey()),
    };
    accountId = (await store.repos.accounts.create('csr unit', NOW)).id;
  });
  after(async () => {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('createCsr stores the CSR and its key sealed under aad csr-key:<id>, never in clear', async () => {
    const { id, csrPem } = await createCsr(deps, accountId, { ...base, commonName: 'seal.example.com' });
    const row = await store.repos.csrs.get(accountId, id);
    assert.ok(row?.key_sealed);
    assert.equal(row.created_at, NOW);
    assert.deepEqual((await parseCsr(csrPem)).der, Buffer.from(row.csr_der, 'base64'));
    const parsed = await parseCsr(Buffer.from(row.csr_der, 'base64'));
    assert.equal(row.key_sha2, createHash('sha256').update(parsed.spki).digest('hex'));

    const pkcs8 = deps.sealer.open(row.key_sealed, `csr-key:${id}`);
    assert.ok(
      !row.key_sealed.includes(pkcs8.toString('base64').slice(0, 40)),
      'the stored value is not the key in clear',
    );
    const key = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
    assert.deepEqual(createPublicKey(key).export({ type: 'spki', format: 'der' }), parsed.spki);
    // Bound to its row: the same ciphertext does not open as another CSR's key.
    assert.throws(() => deps.sealer.open(row.key_sealed!, `csr-key:${id + 1}`));
  });

  test('a sealed key copied to another CSR row does not come out of getCsrDetail', async () => {
    const a = await createCsr(deps, accountId, { ...base, commonName: 'copy-a.example.com' });
    const b = await createCsr(deps, accountId, { ...base, commonName: 'copy-b.example.com' });
    const rowA = await store.repos.csrs.get(accountId, a.id);
    await store.repos.csrs.setKey(accountId, b.id, rowA!.key_sealed);
    await assert.rejects(getCsrDetail(deps, accountId, b.id));
    assert.match((await getCsrDetail(deps, accountId, a.id)).privateKeyPem, /^-----BEGIN PRIVATE KEY-----/);
  });

  const names: Array<{
    name: string;
    commonName: string;
    sans: string;
    wantCn: string;
    wantSans: string;
    wantSan: string[];
  }> = [
    {
      name: 'case, spaces, empty items, duplicates and the CommonName are folded away',
      commonName: ' WWW.Example.COM. ',
      sans: 'example.com, ,WWW.example.com,example.COM',
      wantCn: 'www.example.com',
      wantSans: 'example.com',
      wantSan: ['www.example.com', 'example.com'],
    },
    {
      name: 'internationalized names become A-labels; a CSR may mix wildcard and single names',
      commonName: 'bücher.example.com',
      sans: '*.Example.org',
      wantCn: 'xn--bcher-kva.example.com',
      wantSans: '*.example.org',
      wantSan: ['xn--bcher-kva.example.com', '*.example.org'],
    },
  ];
  for (const c of names) {
    test(`createCsr names: ${c.name}`, async () => {
      const { id, csrPem } = await createCsr(deps, accountId, { ...base, commonName: c.commonName, sans: c.sans });
      const parsed = await parseCsr(csrPem);
      assert.equal(parsed.commonName, c.wantCn);
      assert.deepEqual(parsed.dnsNames, c.wantSan);
      const row = await store.repos.csrs.get(accountId, id);
      assert.deepEqual(
        [row?.common_name, row?.sans, row?.name, row?.country_code],
        [c.wantCn, c.wantSans, c.wantCn, 'CN'],
      );
    });
  }

  const refused: Array<[string, Record<string, unknown>, string]> = [
    ['a wildcard not in the leftmost label', { commonName: 'www.*.example.com' }, 'name_rejected'],
    ['an internal name', { commonName: 'intranet.local' }, 'name_rejected'],
    ['a public suffix', { commonName: 'co.uk' }, 'name_rejected'],
    ['a wildcard over a public suffix in Sans', { commonName: 'a.example.com', sans: '*.com' }, 'name_rejected'],
    ['an empty CommonName', { commonName: ' ' }, 'name_rejected'],
    ['SM2', { algorithm: 'SM2' }, 'invalid_parameter'],
    ['lower-case rsa', { algorithm: 'rsa', keySize: 2048 }, 'invalid_parameter'],
  ];
  for (const [what, over, kind] of refused) {
    test(`createCsr refuses ${what} (${kind}) and stores nothing`, async () => {
      const before = (await listCsrs(deps, accountId, { page: 1, pageSize: 100 })).total;
      await assert.rejects(
        createCsr(deps, accountId, { ...base, commonName: 'ok.example.com', ...over }),
        (e: unknown) => e instanceof CertError && e.kind === kind,
      );
      assert.equal((await listCsrs(deps, accountId, { page: 1, pageSize: 100 })).total, before);
    });
  }

  test('uploadCsr keeps the subject of the CSR as sent, and LIKE wildcards in a keyword are literals', async () => {
    const made = await createCsr(deps, accountId, {
      ...base,
      commonName: 'orig.example.com',
      corpName: 'Org 100%_sure',
      department: 'Ops!',
    });
    const { id } = await uploadCsr(deps, accountId, { csr: made.csrPem });
    const row = await store.repos.csrs.get(accountId, id);
    assert.deepEqual(
      [
        row?.name,
        row?.common_name,
        row?.sans,
        row?.algorithm,
        row?.key_size,
        row?.key_sealed,
        row?.corp_name,
        row?.department,
      ],
      ['orig.example.com', 'orig.example.com', '', 'ECC', 256, null, 'Org 100%_sure', 'Ops!'],
    );
    for (const keyword of ['%', '_', '!', '100%_', 'ops!']) {
      const { items } = await listCsrs(deps, accountId, { keyword, page: 1, pageSize: 100 });
      // None of the keywords occurs in a name, CN or SAN: wildcards must not match anything.
      assert.deepEqual(items, [], keyword);
    }
  });
});
