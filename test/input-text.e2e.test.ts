// One tenant cannot break others through a text parameter. Before: a NUL byte in
// SignatureNonce, sent with any valid AccessKey, failed the batched nonce insert of every
// request in flight on PostgreSQL (most other customers got 500), a NUL in AccessKeyId,
// Keyword, Username or Email gave a 500 and a stack trace in the log, and SQLite stored a NUL
// in Username. Now text parameters are checked at the CAS edge (valid UTF-8, no control
// characters, length limits) before anything reaches a store, and a batch statement that
// fails settles its members one by one (store/batcher.ts). Runs on SQLite and on PostgreSQL.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { startCertdesk, type Certdesk } from './support/harness.js';
import { Cas, casClient, sdkError, withQueries, type CasClient } from './support/sdk.js';
import { createAccount } from '../src/accounts/accounts.js';
import { CAS_ACTIONS } from '../src/api/cas/actions/index.js';
import { CAS_API_VERSION } from '../src/api/cas/gateway.js';
import { signAcs3 } from '../src/api/cas/signature.js';
import type { ParamSpec } from '../src/api/cas/params.js';
import type { Logger, LogLevel } from '../src/domain/ports.js';

const lines: Array<{ level: LogLevel; msg: string; fields?: Record<string, unknown> }> = [];
const capture: Logger = { log: (level, msg, fields) => void lines.push({ level, msg, fields }), enabled: () => true };

type Key = { AccessKeyId: string; AccessKeySecret: string };

interface RawReply {
  status: number;
  code: string;
}

/** One ACS3-signed request as the SDK would send it, with the given query and optional raw form body. */
function rawCall(cd: Certdesk, key: Key, action: string, params: Record<string, string>, body?: Buffer) {
  const { host } = new URL(cd.server.apiUrl);
  const extraHeaders: Record<string, string> = body ? { 'content-type': 'application/x-www-form-urlencoded' } : {};
  const signed = signAcs3({
    accessKeyId: key.AccessKeyId,
    secret: key.AccessKeySecret,
    host,
    action,
    version: CAS_API_VERSION,
    params,
    date: new Date(cd.clock.now()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    nonce: randomUUID(),
    extraHeaders,
    ...(body ? { body } : {}),
  });
  return send(`http://${host}${signed.path}`, signed.headers, body);
}

function send(url: string, headers: Record<string, string>, body?: Buffer, rawPath?: string): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = http.request(
      { host: u.hostname, port: u.port, path: rawPath ?? u.pathname + u.search, method: 'POST', headers },
      (r) => {
        let text = '';
        r.on('data', (d) => (text += d));
        r.on('end', () => {
          let code: string;
          try {
            code = (JSON.parse(text) as { Code?: string }).Code ?? '';
          } catch {
            code = `(not JSON: ${text.slice(0, 80)})`;
          }
          resolve({ status: r.statusCode!, code });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** A valid value for each declared parameter, so that only the one under test is wrong. */
function validValue(spec: ParamSpec): string {
  switch (spec.type) {
    case 'string':
      return spec.oneOf?.[0] ?? 'x';
    case 'integer':
      return String(Math.max(spec.min ?? 1, 1));
    case 'boolean':
      return 'true';
  }
}

const CONTROLS = ['\u0000', '\u0001', '\u001b', '\u007f', '\u0085'];
const SINGLE_LINE = ['\n', '\r', '\t'];

function assertNoStackLogged(): void {
  const bad = lines.filter((l) => l.level === 'error' || JSON.stringify(l.fields ?? {}).includes('    at '));
  assert.deepEqual(
    bad.map((l) => `${l.level} ${l.msg} ${JSON.stringify(l.fields)}`.slice(0, 300)),
    [],
    'no error and no stack trace logged',
  );
}

describe('text parameters at the CAS edge', () => {
  let cd: Certdesk;

  before(async () => {
    cd = await startCertdesk({}, { logger: capture });
  });
  after(async () => cd?.close());

  test('one tenant sending NUL in SignatureNonce and Keyword while others are in flight: every innocent request succeeds', async () => {
    const innocents: CasClient[] = [];
    for (let i = 0; i < 3; i++) {
      const key = await createAccount(cd.ctx.accounts, `Innocent ${i}`);
      innocents.push(casClient(cd.endpoint, key, i === 0 ? 'v2' : 'ACS3-HMAC-SHA256'));
    }
    const attacker = casClient(cd.endpoint, await createAccount(cd.ctx.accounts, 'Attacker'), 'v2');
    const attackerAcs3 = casClient(cd.endpoint, await createAccount(cd.ctx.accounts, 'Attacker 2'));
    for (let round = 0; round < 3; round++) {
      const good = innocents.flatMap((c) =>
        Array.from({ length: 30 }, () => c.describePackageState(new Cas.DescribePackageStateRequest({}))),
      );
      const bad = Array.from({ length: 30 }, (_, i) =>
        sdkError(() =>
          i % 2 === 0
            ? attacker.describePackageStateWithOptions(
                new Cas.DescribePackageStateRequest({}),
                withQueries({ SignatureNonce: `n\u0000${randomUUID()}` }),
              )
            : attackerAcs3.listContact(new Cas.ListContactRequest({ keyword: `a\u0000b${i}` })),
        ),
      );
      const [goods, bads] = await Promise.all([Promise.allSettled(good), Promise.all(bad)]);
      const failed = goods.filter((r) => r.status === 'rejected');
      assert.deepEqual(
        failed.map((r) => String(r.reason).slice(0, 200)),
        [],
        `round ${round}: every innocent request succeeds`,
      );
      for (const e of bads) {
        assert.equal(e.statusCode, 400, `${e.code}: ${e.message}`);
        assert.equal(e.code, 'InvalidParameter');
      }
    }
    assertNoStackLogged();
  });

  test('a NUL in AccessKeyId (no signature needed) is a CAS error, not a 500', async () => {
    const { host } = new URL(cd.server.apiUrl);
    const ts = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    for (const id of ['%00', 'LTAI%00x', 'LTAI%01x', 'LTAI%C3%28', 'LTAI%ED%A0%80']) {
      const path =
        `/?Action=DescribePackageState&Version=${CAS_API_VERSION}&AccessKeyId=${id}&SignatureMethod=HMAC-SHA1` +
        `&SignatureVersion=1.0&SignatureNonce=${randomUUID()}&Timestamp=${encodeURIComponent(ts)}&Signature=abc`;
      const r = await send(`http://${host}/`, {}, undefined, path);
      assert.deepEqual(r, { status: 400, code: 'InvalidParameter' }, `AccessKeyId=${id}`);
    }
    assertNoStackLogged();
  });

  test('control characters and invalid UTF-8 in every text parameter of every action: a CAS error, nothing stored', async () => {
    const key = await createAccount(cd.ctx.accounts, 'Every parameter');
    let checked = 0;
    for (const [action, def] of CAS_ACTIONS) {
      const specs = Object.entries(def.params as Record<string, ParamSpec>);
      const valid = Object.fromEntries(specs.map(([n, s]) => [n, validValue(s)]));
      const textParams = specs.filter(([, s]) => s.type === 'string' && !s.oneOf);
      // Tags.N.* are read from the raw parameters by the application actions.
      const extra = ['CreateCertificateRequest', 'CreateCertificateWithCsrRequest'].includes(action)
        ? ['Tags.1.Key', 'Tags.1.Value']
        : [];
      const names = [...textParams.map(([n]) => n), ...extra];
      for (const name of names) {
        const spec = textParams.find(([n]) => n === name)?.[1];
        const multiline = spec?.type === 'string' && spec.multiline === true;
        const bads = [...CONTROLS, ...(multiline ? [] : SINGLE_LINE)].map((c) => `a${c}b`);
        for (const value of bads) {
          const params = { ...valid, ...(name.startsWith('Tags.') ? { 'Tags.1.Key': 'k' } : {}), [name]: value };
          const r = await rawCall(cd, key, action, params);
          assert.deepEqual(
            r,
            { status: 400, code: 'InvalidParameter' },
            `${action} ${name}=${JSON.stringify(value)} in the query`,
          );
          checked++;
        }
        // Invalid UTF-8 in a form body, as raw bytes and percent-encoded (the query is
        // decoded by the same function); the parameter is absent from the query.
        const rest = Object.fromEntries(Object.entries(valid).filter(([n]) => n !== name));
        for (const enc of ['%C3%28', '%ED%A0%80', '%FF']) {
          const raw = Buffer.concat([
            Buffer.from(`${encodeURIComponent(name)}=a`),
            Buffer.from(enc.replaceAll('%', ''), 'hex'),
            Buffer.from('b'),
          ]);
          const inBody = await rawCall(cd, key, action, rest, raw);
          assert.deepEqual(
            inBody,
            { status: 400, code: 'InvalidParameter' },
            `${action} ${name} raw ${enc} in the body`,
          );
          const encoded = Buffer.from(`${encodeURIComponent(name)}=a${enc}b`);
          const inForm = await rawCall(cd, key, action, rest, encoded);
          assert.deepEqual(inForm, { status: 400, code: 'InvalidParameter' }, `${action} ${name}=a${enc}b`);
          checked += 2;
        }
      }
    }
    assert.ok(checked > 300, `${checked} cases`);
    assertNoStackLogged();

    // Nothing was stored for the account: no order, CSR, contact or uploaded certificate.
    cd.clock.advance(1000); // a fresh rate window for the List* actions (10/s)
    const client = casClient(cd.endpoint, key);
    for (const orderType of ['CPACK', 'BUY', 'UPLOAD', 'CERT']) {
      const r = await client.listUserCertificateOrder(new Cas.ListUserCertificateOrderRequest({ orderType }));
      assert.equal(r.body?.totalCount, 0, `no ${orderType} order`);
    }
    assert.equal((await client.listCsr(new Cas.ListCsrRequest({}))).body?.totalCount, 0, 'no CSR');
    assert.equal((await client.listContact(new Cas.ListContactRequest({}))).body?.totalCount, 0, 'no contact');
  });
});
