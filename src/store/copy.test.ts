// copyStore: SQLite -> SQLite always; SQLite -> PostgreSQL (and back) when
// CERTDESK_TEST_DATABASE_URL is set, each PostgreSQL copy in a schema of its own.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { Store, type StoreLocation } from './store.js';
import type { Database } from './schema.js';
import { canonicalRow, copyStore, describeTables, TableChecksum, type CopyReport } from './copy.js';
import { isCertError } from '../domain/errors.js';
import { dropTestSchema } from '../../test/support/pg.js';

const dir = mkdtempSync(join(tmpdir(), 'certdesk-copy-'));
const pgUrl = process.env.CERTDESK_TEST_DATABASE_URL;
const schemas: string[] = [];

function sqliteLocation(): StoreLocation {
  return { kind: 'sqlite', target: join(dir, `${randomBytes(4).toString('hex')}.db`) };
}
function pgLocation(): StoreLocation {
  const schema = `t_${randomBytes(6).toString('hex')}`;
  schemas.push(schema);
  return { kind: 'postgres', target: pgUrl!, postgres: { schema } };
}

after(async () => {
  rmSync(dir, { recursive: true, force: true });
  for (const schema of schemas) await dropTestSchema(pgUrl, schema);
});

// Every byte value, an empty value and a large one: blobs must round-trip exactly.
const ALL_BYTES = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
const LARGE = randomBytes(300_000);
const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/** Rows in every table of the schema; ids handed out and then deleted leave counters above max(id). */
async function fill(db: Kysely<Database>): Promise<void> {
  await db
    .insertInto('accounts')
    .values([1, 2, 3].map((n) => ({ name: `Account ${n} — ✓ 李伟 🚀`, created_at: 1_700_000_000_000 + n })))
    .execute();
  // Text keys that SQLite (bytes) and PostgreSQL (collation) order differently.
  await db
    .insertInto('access_keys')
    .values(
      ['LTAIzeta', 'LTAIAlpha', 'LTAIalpha', 'LTAI_b', 'LTAI-c'].map((id, i) => ({
        id,
        account_id: 1 + (i % 3),
        secret_sealed: `v1.${id}.sealed`,
        enabled: i % 2,
        policy: i === 0 ? null : JSON.stringify(['yundun-cert:Describe*']),
        created_at: i,
      })),
    )
    .execute();
  await db
    .insertInto('request_nonces')
    .values(
      [
        ['LTAIzeta', 'b'],
        ['LTAIzeta', 'B'],
        ['LTAIAlpha', 'a'],
        ['LTAI_b', 'é'],
        ['LTAI_b', 'e'],
      ].map(([k, n]) => ({
        access_key_id: k!,
        nonce: n!,
        expires_at: MAX_SAFE,
      })),
    )
    .execute();
  await db
    .insertInto('plans')
    .values([
      { account_id: 1, product_code: 'digicert-free-1-free', total_count: 20, expires_at: null, created_at: 1 },
      {
        account_id: 1,
        product_code: 'geotrust-dv-w-starter',
        total_count: 3,
        expires_at: 4_102_444_800_000,
        created_at: 2,
      },
      { account_id: 2, product_code: 'digicert-free-1-free', total_count: 0, expires_at: 0, created_at: 3 },
    ])
    .execute();
  await db
    .insertInto('contacts')
    .values(
      [1, 2, 3, 4].map((n) => ({
        account_id: 1,
        name: `Contact "${n}" \\ \n`,
        email: `c${n}@example.com`,
        mobile: `1390000000${n}`,
        webhooks: JSON.stringify(n === 2 ? ['https://hooks.example.com/a'] : []),
        email_status: 0,
        mobile_status: 1,
        created_at: n,
      })),
    )
    .execute();
  await db.deleteFrom('contacts').where('id', '=', 4).execute();
  await db
    .insertInto('companies')
    .values([
      {
        account_id: 1,
        name: 'Acme Ltd',
        country: 'CN',
        province: 'Zhejiang',
        city: 'Hangzhou',
        address: '1 Road',
        phone: '0571',
        created_at: 1,
      },
      {
        account_id: 2,
        name: 'Ünïcode GmbH',
        country: 'DE',
        province: 'Berlin',
        city: 'Berlin',
        address: '',
        phone: '',
        created_at: 2,
      },
    ])
    .execute();
  await db
    .insertInto('issuers')
    .values([
      {
        role: 'root',
        name: 'root-1',
        algorithm: 'ecdsa-p256',
        cert_der: ALL_BYTES.toString('base64'),
        key_sealed: 'v1.root',
        parent_id: null,
        active: 1,
        created_at: 1,
      },
      {
        role: 'issuing',
        name: 'issuing-1',
        algorithm: 'ecdsa-p256',
        cert_der: 'AAAA',
        key_sealed: 'v1.issuing',
        parent_id: 1,
        active: 1,
        created_at: 1,
      },
    ])
    .execute();
  await db
    .insertInto('meta')
    .values([
      { key: 'master_key_check', value: 'v1.check' },
      { key: 'Zeta', value: '' },
      { key: 'alpha', value: 'x' },
    ])
    .execute();
  const order = {
    account_id: 1,
    plan_id: 1,
    product_code: 'digicert-free-1-free',
    state: 'certificate' as const,
    domains: 'www.example.com,example.com',
    validate_type: 'DNS' as const,
    key_algorithm: 'ecdsa-p256',
    spki: 'MFkw',
    csr_der: null,
    key_sealed: 'v1.key',
    contact_name: 'Tom',
    contact_phone: '1',
    contact_email: 't@example.com',
    company_id: null,
    company: null,
    tags: '[]',
    fail_reason: null,
    approved_at: 5,
    validation_deadline: 10,
    caa_checked_at: null,
    renewed_from: null,
    created_at: 1,
    updated_at: 2,
    deleted_at: null,
  };
  await db
    .insertInto('orders')
    .values([
      order,
      {
        ...order,
        state: 'verify_fail',
        fail_reason: 'CAA forbids',
        renewed_from: 1,
        deleted_at: 9,
        company_id: 1,
        company: '{"name":"Acme"}',
      },
    ])
    .execute();
  await db
    .insertInto('authorizations')
    .values([
      { order_id: 1, domain: 'www.example.com', token: 't1', status: 'valid', last_error: null, validated_at: 3 },
      { order_id: 1, domain: 'example.com', token: 't2', status: 'valid', last_error: null, validated_at: 4 },
      {
        order_id: 2,
        domain: 'fail.example',
        token: 't3',
        status: 'invalid',
        last_error: 'no TXT record',
        validated_at: null,
      },
    ])
    .execute();
  const cert = {
    account_id: 1,
    order_id: 1 as number | null,
    source: 'issued' as 'issued' | 'upload',
    name: 'www',
    serial: '5A1F00',
    issuer_id: 2 as number | null,
    state: 'issued' as const,
    tbs_der: 'VEJT',
    cert_der: ALL_BYTES.toString('base64'),
    chain_pem: null as string | null,
    key_sealed: null as string | null,
    common_name: 'www.example.com',
    sans: 'www.example.com,example.com',
    issuer_cn: 'certdesk issuing',
    not_before: 1,
    not_after: 253_402_300_799_000,
    sha1: 'AA',
    sha256: 'BB',
    org_name: '',
    country: '',
    province: '',
    city: '',
    revoked_at: 7 as number | null,
    revocation_reason: 1 as number | null,
    deleted_at: null,
    created_at: 1,
    crl_shard: 0 as number | null,
  };
  await db
    .insertInto('certificates')
    .values([
      cert,
      {
        ...cert,
        order_id: null,
        source: 'upload',
        serial: '0a',
        issuer_id: null,
        chain_pem: '-----BEGIN CERTIFICATE-----\n',
        key_sealed: 'v1.upload',
        revoked_at: null,
        revocation_reason: null,
        crl_shard: null,
      },
    ])
    .execute();
  await db
    .insertInto('jobs')
    .values(
      [1, 2, 3].map((n) => ({
        kind: n === 1 ? 'crl' : 'validate',
        ref_id: n,
        run_at: n,
        attempts: n - 1,
        lease_owner: n === 2 ? 'pid-1' : null,
        lease_until: n === 2 ? 99 : null,
        last_error: null,
        created_at: n,
      })),
    )
    .execute();
  await db.deleteFrom('jobs').where('id', '=', 3).execute();
  await db
    .insertInto('csrs')
    .values([
      {
        account_id: 1,
        name: 'csr',
        common_name: 'a.example',
        sans: '',
        algorithm: 'ECC',
        key_size: 256,
        csr_der: 'MIIB',
        key_sealed: null,
        key_sha2: 'ff',
        corp_name: '',
        department: '',
        country_code: 'CN',
        province: '',
        locality: '',
        created_at: 1,
      },
    ])
    .execute();
  await db
    .insertInto('crls')
    .values([
      { issuer_id: 2, partition: -1, crl_number: 7, this_update: 1, next_update: 2, der: LARGE },
      { issuer_id: 2, partition: 0, crl_number: 6, this_update: 1, next_update: 2, der: ALL_BYTES },
      { issuer_id: 2, partition: 1, crl_number: 5, this_update: 1, next_update: 2, der: Buffer.alloc(0) },
    ])
    .execute();
  await db.insertInto('crl_counters').values({ issuer_id: 2, last_number: 7, revision: 3 }).execute();
  await db
    .insertInto('notices')
    .values(
      [1, 2].map((n) => ({
        account_id: 1,
        order_id: n === 1 ? 1 : null,
        certificate_id: null,
        event: 'issued',
        channel: 'webhook',
        target: 'https://hooks.example.com/a',
        dedupe_key: `k${n}`,
        payload: '{"a":1}',
        status: 'pending',
        due_at: n,
        attempts: 0,
        last_error: null,
        lease_owner: null,
        lease_until: null,
        sent_at: null,
        created_at: n,
      })),
    )
    .execute();
  await db
    .insertInto('webhook_secrets')
    .values({ account_id: 1, secret_sealed: 'v1.webhook', created_at: 1 })
    .execute();
  await db
    .insertInto('ocsp_responses')
    .values(
      ['5A1F00', '0a', 'FF', 'ff', '10'].map((serial, i) => ({
        issuer_id: 2,
        serial,
        der: Buffer.concat([ALL_BYTES, Buffer.from([i])]),
        this_update: i,
        next_update: i + 1,
        revoked_at: i === 0 ? 7 : null,
      })),
    )
    .execute();
}

/** Every row of every table in one comparable form, independent of either side's order. */
async function snapshot(store: Store): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const t of await describeTables(store.db, store.kind)) {
    const { rows } = await sql<Record<string, unknown>>`select * from ${sql.table(t.name)}`.execute(store.db);
    out[t.name] = rows.map(canonicalRow).sort();
  }
  return out;
}

const FILLED = [
  'accounts',
  'access_keys',
  'request_nonces',
  'plans',
  'contacts',
  'companies',
  'issuers',
  'meta',
  'orders',
  'authorizations',
  'certificates',
  'jobs',
  'csrs',
  'crls',
  'crl_counters',
  'notices',
  'webhook_secrets',
  'ocsp_responses',
];

function assertVerified(report: CopyReport, source: Record<string, string[]>): void {
  assert.equal(report.verified, true);
  assert.deepEqual(report.tables.map((t) => t.table).sort(), Object.keys(source).sort(), 'every table is copied');
  for (const t of FILLED) assert.ok(t in source, `${t} exists`);
  for (const t of report.tables) {
    assert.equal(t.rows, source[t.table]!.length, t.table);
    // Tables that later migrations add are copied and verified too, empty or not.
    if (FILLED.includes(t.table)) assert.ok(t.rows > 0, `${t.table} was filled`);
    assert.equal(t.targetRows, t.rows, t.table);
    assert.equal(t.targetChecksum, t.checksum, t.table);
    assert.match(t.checksum, /^[0-9a-f]{64}$/);
  }
  const order = report.tables.map((t) => t.table);
  const before = (a: string, b: string) => assert.ok(order.indexOf(a) < order.indexOf(b), `${a} before ${b}`);
  assert.equal(order[0], 'accounts');
  for (const [a, b] of [
    ['accounts', 'access_keys'],
    ['plans', 'orders'],
    ['orders', 'authorizations'],
    ['orders', 'certificates'],
    ['issuers', 'crls'],
    ['issuers', 'crl_counters'],
  ])
    before(a!, b!);
}

const targets: Array<[string, () => StoreLocation]> = [['sqlite', sqliteLocation]];
if (pgUrl) targets.push(['postgres', pgLocation]);

for (const [name, targetLocation] of targets) {
  describe(`copyStore: SQLite -> ${name}`, () => {
    let source: Store;
    let target: Store;
    let targetAt: StoreLocation;
    let report: CopyReport;
    before(async () => {
      source = await Store.open(sqliteLocation());
      await fill(source.db);
      targetAt = targetLocation();
      target = await Store.open(targetAt);
      // Two rows a page: every table crosses page boundaries, composite keys included.
      report = await copyStore(source, target, { maxBatchRows: 2 });
    });
    after(async () => {
      await source?.close();
      await target?.close();
    });

    test('copies every table in foreign-key order and verifies counts and checksums', async () => {
      assertVerified(report, await snapshot(source));
    });

    test('the target holds the same rows: ids, text, numbers, nulls and blobs intact', async () => {
      assert.deepEqual(await snapshot(target), await snapshot(source));
      const crls = await target.db.selectFrom('crls').selectAll().orderBy('partition').execute();
      assert.deepEqual(
        crls.map((c) => [c.partition, Buffer.compare(c.der, [LARGE, ALL_BYTES, Buffer.alloc(0)][c.partition + 1]!)]),
        [
          [-1, 0],
          [0, 0],
          [1, 0],
        ],
      );
      assert.ok(Buffer.isBuffer(crls[0]!.der));
      const certs = await target.db
        .selectFrom('certificates')
        .select(['id', 'not_after', 'order_id'])
        .orderBy('id')
        .execute();
      assert.deepEqual(certs, [
        { id: 1, not_after: 253_402_300_799_000, order_id: 1 },
        { id: 2, not_after: 253_402_300_799_000, order_id: null },
      ]);
      assert.equal(await target.repos.meta.get('master_key_check'), 'v1.check', 'sealed values are copied as they are');
    });

    test('new rows get fresh ids: the counters continue where the source stood', async () => {
      const idCounter = Object.fromEntries(report.tables.map((t) => [t.table, t.idCounter]));
      assert.equal(idCounter.contacts, 4, 'contact 4 was deleted, its id stays used');
      assert.equal(idCounter.jobs, 3);
      assert.equal(idCounter.accounts, 3);
      assert.equal(idCounter.meta, null, 'text keys have no counter');
      const contact = await target.db
        .insertInto('contacts')
        .values({
          account_id: 1,
          name: 'New',
          email: 'n@example.com',
          mobile: '1',
          webhooks: '[]',
          email_status: 0,
          mobile_status: 0,
          created_at: 9,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      assert.equal(contact.id, 5);
      assert.equal((await target.repos.accounts.create('After the copy', 9)).id, 4);
      await target.repos.jobs.enqueue('validate', 99, 1, 1);
      assert.equal((await target.repos.jobs.find('validate', 99))?.id, 4);
    });

    test('refuses a target that holds rows, and leaves it as it was', async () => {
      const beforeRefusal = await snapshot(target);
      await assert.rejects(
        copyStore(source, target),
        (e: unknown) => isCertError(e) && e.kind === 'illegal_state' && /target is not empty/.test(e.message),
      );
      assert.deepEqual(await snapshot(target), beforeRefusal);
    });
  });
}

test('the copy reads one snapshot: rows written to the source meanwhile are not half copied', async () => {
  const at = sqliteLocation();
  const source = await Store.open(at);
  const writer = await Store.open(at);
  const target = await Store.open(sqliteLocation());
  try {
    await fill(source.db);
    // After accounts are copied, another connection adds an account and its contact. Read
    // outside one snapshot, the contact would arrive without its account (a foreign key error).
    const report = await copyStore(source, target, {
      maxBatchRows: 2,
      onTable: async (table) => {
        if (table !== 'accounts') return;
        const a = await writer.repos.accounts.create('Late', 1);
        await writer.db
          .insertInto('contacts')
          .values({
            account_id: a.id,
            name: 'Late',
            email: 'l@example.com',
            mobile: '1',
            webhooks: '[]',
            email_status: 0,
            mobile_status: 0,
            created_at: 1,
          })
          .execute();
      },
    });
    assert.equal(report.verified, true);
    assert.equal(report.tables.find((t) => t.table === 'accounts')?.rows, 3);
    assert.equal(report.tables.find((t) => t.table === 'contacts')?.rows, 3);
    assert.equal(
      (await source.db.selectFrom('contacts').select('id').execute()).length,
      4,
      'the late contact is in the source',
    );
  } finally {
    await Promise.all([source.close(), writer.close(), target.close()]);
  }
});

test('a copy that does not read back the same is rolled back and reported', async () => {
  const source = await Store.open(sqliteLocation());
  const targetAt = sqliteLocation();
  const target = await Store.open(targetAt);
  try {
    await fill(source.db);
    // A trigger on the target alters what was written: the verification must catch it.
    await sql`create trigger garble after insert on companies begin update companies set phone = phone || '!' where id = new.id; end`.execute(
      target.db,
    );
    let report: CopyReport | undefined;
    await assert.rejects(copyStore(source, target), (e: unknown) => {
      report = isCertError(e) ? (e.detail?.report as CopyReport) : undefined;
      return isCertError(e) && /did not verify \(companies\)/.test(e.message);
    });
    assert.equal(report?.verified, false);
    const companies = report.tables.find((t) => t.table === 'companies')!;
    assert.equal(companies.rows, companies.targetRows);
    assert.notEqual(companies.checksum, companies.targetChecksum);
    assert.ok(report.tables.filter((t) => t.table !== 'companies').every((t) => t.checksum === t.targetChecksum));
    for (const rows of Object.values(await snapshot(target)))
      assert.equal(rows.length, 0, 'the target was rolled back');
  } finally {
    await Promise.all([source.close(), target.close()]);
  }
});

if (pgUrl) {
  test('any direction: SQLite -> PostgreSQL -> PostgreSQL -> SQLite keeps every checksum', async () => {
    const stores = [
      await Store.open(sqliteLocation()),
      await Store.open(pgLocation()),
      await Store.open(pgLocation()),
      await Store.open(sqliteLocation()),
    ];
    try {
      await fill(stores[0]!.db);
      const reports: CopyReport[] = [];
      for (let i = 0; i + 1 < stores.length; i++)
        reports.push(await copyStore(stores[i]!, stores[i + 1]!, { maxBatchRows: 3 }));
      const sums = reports.map((r) => Object.fromEntries(r.tables.map((t) => [t.table, [t.rows, t.checksum]])));
      assert.deepEqual(sums[1], sums[0]);
      assert.deepEqual(sums[2], sums[0]);
      assert.deepEqual(await snapshot(stores[3]!), await snapshot(stores[0]!));
      assert.equal(
        reports[2]!.tables.find((t) => t.table === 'contacts')?.idCounter,
        4,
        'a PostgreSQL sequence carries over too',
      );
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });
}

describe('canonical rows and table checksums', () => {
  const cases: Array<[string, Record<string, unknown>, string]> = [
    ['columns sorted by name', { b: 1, a: 'x' }, '{"a":"x","b":1}'],
    ['null, and the text "null"', { a: null, b: 'null' }, '{"a":null,"b":"null"}'],
    [
      'numbers in decimal, bigint alike',
      { a: 1_700_000_000_000, b: 9007199254740991n, c: -1, d: 0.5 },
      '{"a":1700000000000,"b":9007199254740991,"c":-1,"d":0.5}',
    ],
    ['binary as base64, unlike text', { a: Buffer.from('hi'), b: 'aGk=' }, '{"a":{"base64":"aGk="},"b":"aGk="}'],
    ['a Uint8Array view like a Buffer', { a: new Uint8Array([0, 104, 105]).subarray(1) }, '{"a":{"base64":"aGk="}}'],
    ['text escaped as JSON', { a: 'line\n"q" ✓' }, '{"a":"line\\n\\"q\\" ✓"}'],
  ];
  for (const [what, row, expected] of cases) {
    test(what, () => assert.equal(canonicalRow(row), expected));
  }

  test('a value of an unknown type is refused, not guessed', () => {
    assert.throws(() => canonicalRow({ when: new Date(0) }), /column when/);
  });

  test('the checksum ignores row order and sees any changed byte', () => {
    const rows = [
      { id: 1, der: Buffer.from([1, 2]) },
      { id: 2, der: Buffer.from([3]) },
    ];
    const sum = (rs: typeof rows) => {
      const c = new TableChecksum();
      for (const r of rs) c.add(r);
      return c.digest();
    };
    assert.equal(sum(rows), sum([...rows].reverse()));
    assert.notEqual(sum(rows), sum([rows[0]!, { id: 2, der: Buffer.from([4]) }]));
    assert.notEqual(sum(rows), sum([rows[0]!]));
    assert.equal(new TableChecksum().digest(), '0'.repeat(64));
  });
});
