import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CertError } from '../domain/errors.js';
import { checkSubscriberKey, type PublicKeyInfo } from '../policy/key-rules.js';
import { MAX_CSR_BYTES, parseCsr, type ParsedCsr } from './csr.js';

const run = promisify(execFile);
const hasOpenssl = spawnSync('openssl', ['version']).status === 0;

// ---- assertions -----------------------------------------------------------------------------

/** `fn` throws or rejects (parseCsr is async, checkSubscriberKey is not) with this CertError. */
async function refusedWith(fn: () => unknown, kind: 'bad_csr' | 'bad_key', pattern: RegExp): Promise<void> {
  await assert.rejects(
    async () => fn(),
    (e: unknown) => {
      assert.ok(e instanceof CertError, `expected CertError, got ${String(e)}`);
      assert.equal(e.kind, kind);
      assert.match(e.message, pattern);
      return true;
    },
  );
}

function keyRefusal(key: PublicKeyInfo): string | undefined {
  try {
    checkSubscriberKey(key);
    return undefined;
  } catch (e) {
    assert.ok(e instanceof CertError);
    assert.equal(e.kind, 'bad_key');
    return e.message;
  }
}

/** The key info without the (large, random) modulus, for deepEqual. */
function keyShape(key: PublicKeyInfo): Record<string, unknown> {
  const { modulus: _m, ...rest } = key as PublicKeyInfo & { modulus?: Buffer };
  return rest;
}

const pemToDer = (pem: string): Buffer =>
  Buffer.from(pem.replace(/-----(BEGIN|END) [A-Z ]+-----/g, '').replace(/\s+/g, ''), 'base64');

// ---- a small DER writer, so tests can build CSRs that no tool would write ---------------------

function derLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}
const tlv = (tag: number, ...parts: Buffer[]): Buffer => {
  const body = Buffer.concat(parts);
  return Buffer.concat([Buffer.from([tag]), derLength(body.length), body]);
};
const seq = (...p: Buffer[]): Buffer => tlv(0x30, ...p);
const set = (...p: Buffer[]): Buffer => tlv(0x31, ...p);
const int = (n: number): Buffer => tlv(0x02, Buffer.from([n])); // 0..127
const NULL = Buffer.from([0x05, 0x00]);
const utf8 = (s: string): Buffer => tlv(0x0c, Buffer.from(s, 'utf8'));
const octets = (b: Buffer): Buffer => tlv(0x04, b);
const bitString = (b: Buffer, unused = 0): Buffer => tlv(0x03, Buffer.from([unused]), b);
const ctx = (n: number, constructed: boolean, ...p: Buffer[]): Buffer => tlv(0x80 | (constructed ? 0x20 : 0) | n, ...p);
function oid(dotted: string): Buffer {
  const arcs = dotted.split('.').map(Number);
  const out: number[] = [];
  for (const s of [arcs[0]! * 40 + arcs[1]!, ...arcs.slice(2)]) {
    const groups: number[] = [];
    let v = s;
    do {
      groups.unshift(v % 128);
      v = Math.floor(v / 128);
    } while (v > 0);
    out.push(...groups.map((g, i) => (i < groups.length - 1 ? g | 0x80 : g)));
  }
  return tlv(0x06, Buffer.from(out));
}

const OIDS = {
  cn: '2.5.4.3',
  o: '2.5.4.10',
  c: '2.5.4.6',
  extensionRequest: '1.2.840.113549.1.9.14',
  challengePassword: '1.2.840.113549.1.9.7',
  san: '2.5.29.17',
  keyUsage: '2.5.29.15',
  sha256Rsa: '1.2.840.113549.1.1.11',
  sha1Rsa: '1.2.840.113549.1.1.5',
  pss: '1.2.840.113549.1.1.10',
  mgf1: '1.2.840.113549.1.1.8',
  sha256: '2.16.840.1.101.3.4.2.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  sha512: '2.16.840.1.101.3.4.2.3',
  ecdsaSha256: '1.2.840.10045.4.3.2',
  ecdsaSha1: '1.2.840.10045.4.1',
  ed25519: '1.3.101.112',
  ed448: '1.3.101.113',
  dsaSha256: '2.16.840.1.101.3.4.3.2',
  sm2sm3: '1.2.156.10197.1.501',
} as const;

const name = (...atvs: Array<[string, Buffer]>): Buffer => seq(...atvs.map(([o, v]) => set(seq(oid(o), v))));
const cnName = (cn: string): Buffer => name([OIDS.cn, utf8(cn)]);
const extensionRequest = (...extensions: Buffer[]): Buffer => seq(oid(OIDS.extensionRequest), set(seq(...extensions)));
const sanExtension = (...generalNames: Buffer[]): Buffer => seq(oid(OIDS.san), octets(seq(...generalNames)));
const dns = (s: string): Buffer => ctx(2, false, Buffer.from(s, 'latin1'));
const ip = (bytes: number[]): Buffer => ctx(7, false, Buffer.from(bytes));

type Signer = (info: Buffer) => { alg: Buffer; sig: Buffer };

const signRsa =
  (key: crypto.KeyObject): Signer =>
  (info) => ({
    alg: seq(oid(OIDS.sha256Rsa), NULL),
    sig: crypto.sign('sha256', info, key),
  });
const signEcdsa =
  (key: crypto.KeyObject): Signer =>
  (info) => ({
    alg: seq(oid(OIDS.ecdsaSha256)),
    sig: crypto.sign('sha256', info, key),
  });
const signEdDsa =
  (key: crypto.KeyObject, algOid: string): Signer =>
  (info) => ({
    alg: seq(oid(algOid)),
    sig: crypto.sign(null, info, key),
  });
const PSS_HASH_OIDS: Record<string, string> = { sha256: OIDS.sha256, sha384: OIDS.sha384, sha512: OIDS.sha512 };
const signPss =
  (key: crypto.KeyObject, hash: string, saltLength: number, mgfHash = hash): Signer =>
  (info) => ({
    alg: seq(
      oid(OIDS.pss),
      seq(
        ctx(0, true, seq(oid(PSS_HASH_OIDS[hash]!))),
        ctx(1, true, seq(oid(OIDS.mgf1), seq(oid(PSS_HASH_OIDS[mgfHash]!)))),
        ctx(2, true, int(saltLength)),
      ),
    ),
    sig: crypto.sign(hash, info, { key, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength }),
  });

interface CsrParts {
  subject?: Buffer;
  spki: Buffer;
  /** Attributes inside [0]; undefined leaves the field out altogether. */
  attributes?: Buffer[] | undefined;
  version?: number;
  sign: Signer;
  /** Unused-bits octet of the signature BIT STRING (0 in any real CSR). */
  unusedBits?: number;
}

function buildCsr(p: CsrParts): Buffer {
  const attributes = p.attributes === undefined ? [] : [ctx(0, true, ...p.attributes)];
  const info = seq(int(p.version ?? 0), p.subject ?? cnName('a.example.com'), p.spki, ...attributes);
  const { alg, sig } = p.sign(info);
  return seq(info, alg, bitString(sig, p.unusedBits ?? 0));
}

const spkiOf = (key: crypto.KeyObject): Buffer =>
  (key.type === 'public' ? key : crypto.createPublicKey(key)).export({ type: 'spki', format: 'der' });

// One key of each kind made with node:crypto, shared by the tests below.
const nodeKeys = {
  rsa: crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }),
  p256: crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }),
  ed25519: crypto.generateKeyPairSync('ed25519'),
};

function rsaCsr(parts: Partial<CsrParts> = {}): Buffer {
  return buildCsr({
    spki: spkiOf(nodeKeys.rsa.publicKey),
    sign: signRsa(nodeKeys.rsa.privateKey),
    attributes: [],
    ...parts,
  });
}

// ---- CSRs from `openssl req` ------------------------------------------------------------------

const SAN_EXT = 'subjectAltName=DNS:a.example.com,DNS:*.example.com,IP:1.2.3.4,email:x@y.z';

const OPENSSL_KINDS: Array<{
  name: string;
  genpkey: string[];
  key: Record<string, unknown>;
  signatureAlgorithm: string;
  refused: RegExp | null;
}> = [
  {
    name: 'RSA-1024',
    genpkey: ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:1024'],
    key: { type: 'rsa', bits: 1024, exponent: 65537n },
    signatureAlgorithm: 'sha256WithRSAEncryption',
    refused: /at least 2048 bits/,
  },
  {
    name: 'RSA-2048',
    genpkey: ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'],
    key: { type: 'rsa', bits: 2048, exponent: 65537n },
    signatureAlgorithm: 'sha256WithRSAEncryption',
    refused: null,
  },
  {
    name: 'RSA-3072',
    genpkey: ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:3072'],
    key: { type: 'rsa', bits: 3072, exponent: 65537n },
    signatureAlgorithm: 'sha256WithRSAEncryption',
    refused: null,
  },
  {
    name: 'P-256',
    genpkey: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'],
    key: { type: 'ec', curve: 'P-256' },
    signatureAlgorithm: 'ecdsa-with-SHA256',
    refused: null,
  },
  {
    name: 'P-384',
    genpkey: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-384'],
    key: { type: 'ec', curve: 'P-384' },
    signatureAlgorithm: 'ecdsa-with-SHA256',
    refused: null,
  },
  {
    name: 'P-521',
    genpkey: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-521'],
    key: { type: 'ec', curve: 'P-521' },
    signatureAlgorithm: 'ecdsa-with-SHA256',
    refused: /P-521 keys are not accepted by certdesk policy/,
  },
  {
    name: 'secp256k1',
    genpkey: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:secp256k1'],
    key: { type: 'ec', curve: 'secp256k1' },
    signatureAlgorithm: 'ecdsa-with-SHA256',
    refused: /ECDSA keys on secp256k1 are not allowed/,
  },
  {
    name: 'Ed25519',
    genpkey: ['-algorithm', 'ED25519'],
    key: { type: 'ed25519', name: 'Ed25519' },
    signatureAlgorithm: 'Ed25519',
    refused: /Ed25519 keys are not allowed in the Web PKI/,
  },
];

describe('parseCsr: CSRs made by openssl req', { skip: !hasOpenssl && 'openssl is not installed' }, () => {
  let dir = '';
  const keyFile = (kind: string): string => join(dir, `${kind}.key`);
  const read = (file: string): string => readFileSync(join(dir, file), 'utf8');

  async function req(out: string, kind: string, ...args: string[]): Promise<void> {
    await run('openssl', ['req', '-new', '-key', keyFile(kind), '-out', join(dir, out), ...args]);
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'certdesk-csr-test-'));
    await Promise.all(OPENSSL_KINDS.map((k) => run('openssl', ['genpkey', ...k.genpkey, '-out', keyFile(k.name)])));
    await Promise.all(
      OPENSSL_KINDS.flatMap((k) => [
        req(`${k.name}.cn.csr`, k.name, '-subj', '/CN=a.example.com'),
        req(`${k.name}.san.csr`, k.name, '-subj', '/CN=a.example.com', '-addext', SAN_EXT),
      ]),
    );
    await Promise.all([
      req('sha384.csr', 'RSA-2048', '-subj', '/CN=a.example.com', '-sha384'),
      req('sha512.csr', 'RSA-2048', '-subj', '/CN=a.example.com', '-sha512'),
      req('ec-sha384.csr', 'P-384', '-subj', '/CN=a.example.com', '-sha384'),
      req('ec-sha512.csr', 'P-256', '-subj', '/CN=a.example.com', '-sha512'),
      req(
        'pss-32.csr',
        'RSA-2048',
        '-subj',
        '/CN=a.example.com',
        '-sha256',
        '-sigopt',
        'rsa_padding_mode:pss',
        '-sigopt',
        'rsa_pss_saltlen:32',
      ),
      req(
        'pss-64.csr',
        'RSA-3072',
        '-subj',
        '/CN=a.example.com',
        '-sha512',
        '-sigopt',
        'rsa_padding_mode:pss',
        '-sigopt',
        'rsa_pss_saltlen:64',
      ),
      req('sha1.csr', 'RSA-2048', '-subj', '/CN=a.example.com', '-sha1'),
      req('ec-sha1.csr', 'P-256', '-subj', '/CN=a.example.com', '-sha1'),
      req('md5.csr', 'RSA-2048', '-subj', '/CN=a.example.com', '-md5'),
      req('sha224.csr', 'RSA-2048', '-subj', '/CN=a.example.com', '-sha224'),
      req('subject.csr', 'P-256', '-utf8', '-subj', '/C=CN/O=Ünïcödé/CN=first.example.com/CN=bücher.example'),
      req('multivalue.csr', 'P-256', '-multivalue-rdn', '-subj', '/CN=a.example.com+O=Example/C=CN'),
      req('nosubject.csr', 'P-256', '-subj', '/', '-addext', 'subjectAltName=DNS:a.example.com'),
      req(
        'many-san.csr',
        'P-256',
        '-subj',
        '/CN=b.example.com',
        '-addext',
        'subjectAltName=IP:2001:db8::1,IP:::1,IP:2001:db8:0:0:1:0:0:1,URI:https://a.example.com/,RID:1.2.3.4,' +
          'otherName:1.3.6.1.4.1.311.20.2.3;UTF8:u@example.com,email:x@y.z,DNS:b.example.com,URI:https://b.example.com/',
      ),
    ]);
  });

  after(() => {
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  for (const kind of OPENSSL_KINDS) {
    test(`${kind.name}: CN only`, async () => {
      const pem = read(`${kind.name}.cn.csr`);
      const csr = await parseCsr(pem);
      assert.equal(csr.commonName, 'a.example.com');
      assert.deepEqual(csr.subject, [{ oid: '2.5.4.3', value: 'a.example.com' }]);
      assert.deepEqual([csr.dnsNames, csr.ipAddresses, csr.otherSanTypes], [[], [], []]);
      assert.deepEqual(keyShape(csr.key), kind.key);
      assert.equal(csr.signatureAlgorithm, kind.signatureAlgorithm);
      assert.deepEqual(csr.der, pemToDer(pem));
      // The SPKI is the key's own, byte for byte (what the CA will put in the certificate).
      const publicKey = crypto.createPublicKey(readFileSync(keyFile(kind.name)));
      assert.deepEqual(csr.spki, publicKey.export({ type: 'spki', format: 'der' }));
      if (csr.key.type === 'rsa') {
        assert.deepEqual(csr.key.modulus, Buffer.from(publicKey.export({ format: 'jwk' }).n!, 'base64url'));
      }
      const refusal = keyRefusal(csr.key);
      if (kind.refused === null) assert.equal(refusal, undefined);
      else assert.match(refusal ?? 'accepted', kind.refused);
    });

    test(`${kind.name}: with subjectAltName`, async () => {
      const csr = await parseCsr(read(`${kind.name}.san.csr`));
      assert.equal(csr.commonName, 'a.example.com');
      assert.deepEqual(csr.dnsNames, ['a.example.com', '*.example.com']);
      assert.deepEqual(csr.ipAddresses, ['1.2.3.4']);
      assert.deepEqual(csr.otherSanTypes, ['email']);
      assert.deepEqual(keyShape(csr.key), kind.key);
    });
  }

  test('signature hashes and RSASSA-PSS', async () => {
    const rows: Array<[string, string]> = [
      ['sha384.csr', 'sha384WithRSAEncryption'],
      ['sha512.csr', 'sha512WithRSAEncryption'],
      ['ec-sha384.csr', 'ecdsa-with-SHA384'],
      ['ec-sha512.csr', 'ecdsa-with-SHA512'],
      ['pss-32.csr', 'rsassa-pss'],
      ['pss-64.csr', 'rsassa-pss'],
    ];
    for (const [file, algorithm] of rows)
      assert.equal((await parseCsr(read(file))).signatureAlgorithm, algorithm, file);
  });

  test('weak signature hashes are refused', async () => {
    const rows: Array<[string, RegExp]> = [
      ['sha1.csr', /signed with SHA-1, which is not accepted/],
      ['ec-sha1.csr', /signed with SHA-1/],
      ['md5.csr', /signed with MD5/],
      ['sha224.csr', /signed with SHA-224/],
    ];
    for (const [file, pattern] of rows) await refusedWith(() => parseCsr(read(file)), 'bad_csr', pattern);
  });

  test('subjects: last CN wins, UTF-8, multi-valued RDNs, empty subject', async () => {
    const s = await parseCsr(read('subject.csr'));
    assert.equal(s.commonName, 'bücher.example');
    assert.deepEqual(s.subject, [
      { oid: '2.5.4.6', value: 'CN' },
      { oid: '2.5.4.10', value: 'Ünïcödé' },
      { oid: '2.5.4.3', value: 'first.example.com' },
      { oid: '2.5.4.3', value: 'bücher.example' },
    ]);
    const mv = await parseCsr(read('multivalue.csr'));
    assert.equal(mv.commonName, 'a.example.com');
    assert.deepEqual(mv.subject.map((a) => a.oid).sort(), ['2.5.4.10', '2.5.4.3', '2.5.4.6']);
    const none = await parseCsr(read('nosubject.csr'));
    assert.equal(none.commonName, undefined);
    assert.deepEqual(none.subject, []);
    assert.deepEqual(none.dnsNames, ['a.example.com']);
  });

  test('every SAN type, IPv6 in RFC 5952 form', async () => {
    const csr = await parseCsr(read('many-san.csr'));
    assert.deepEqual(csr.dnsNames, ['b.example.com']);
    assert.deepEqual(csr.ipAddresses, ['2001:db8::1', '::1', '2001:db8::1:0:0:1']);
    assert.deepEqual(csr.otherSanTypes, ['URI', 'registeredID', 'otherName', 'email']);
  });
});

// ---- accepted encodings -----------------------------------------------------------------------

describe('parseCsr: input forms', () => {
  const der = rsaCsr({ attributes: [extensionRequest(sanExtension(dns('a.example.com')))] });
  const b64 = der.toString('base64');
  const lines = b64.match(/.{1,64}/g)!.join('\n');
  const pem = `-----BEGIN CERTIFICATE REQUEST-----\n${lines}\n-----END CERTIFICATE REQUEST-----\n`;

  const forms: Array<[string, string | Buffer]> = [
    ['PEM, LF', pem],
    ['PEM, CRLF', pem.replace(/\n/g, '\r\n')],
    ['PEM with surrounding whitespace', `\n\n  \t${pem}\n  \n`],
    ['PEM, NEW CERTIFICATE REQUEST', pem.replace(/CERTIFICATE REQUEST/g, 'NEW CERTIFICATE REQUEST')],
    ['PEM, newlines turned into spaces', pem.replace(/\n/g, ' ')],
    ['PEM, one line', pem.replace(/\n/g, '')],
    ['PEM as a Buffer', Buffer.from(pem)],
    [
      'PEM with a UTF-8 byte-order mark (Windows editors)',
      Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(pem)]),
    ],
    ['PEM string with a byte-order mark', `\ufeff${pem}`],
    ['DER', der],
    ['base64 without armour', b64],
    ['base64 without armour, wrapped', `${lines}\n`],
  ];
  for (const [label, input] of forms) {
    test(label, async () => {
      const csr = await parseCsr(input);
      assert.deepEqual(csr.der, der);
      assert.deepEqual(csr.dnsNames, ['a.example.com']);
    });
  }

  test('the result owns its bytes', async () => {
    const input = Buffer.from(der);
    const csr = await parseCsr(input);
    input.fill(0);
    assert.deepEqual(csr.der, der);
    assert.equal((await parseCsr(csr.der)).commonName, 'a.example.com');
  });
});

// ---- refusals -------------------------------------------------------------------------------

describe('parseCsr: refusals', () => {
  const good = rsaCsr();
  const goodPem = `-----BEGIN CERTIFICATE REQUEST-----\n${good.toString('base64')}\n-----END CERTIFICATE REQUEST-----`;
  // Any DER that is not a CSR: an SPKI is a SEQUENCE of two fields.
  const notACsr = spkiOf(nodeKeys.rsa.publicKey);

  test('garbage is not PEM or DER', async () => {
    const rows: Array<[string, string | Buffer]> = [
      ['empty', ''],
      ['whitespace', '   \n'],
      ['text', 'hello world'],
      ['random bytes', crypto.randomBytes(300)],
      ['truncated DER', good.subarray(0, good.length - 10)],
      ['DER with a trailing byte', Buffer.concat([good, Buffer.from([0])])],
      ['bad base64', goodPem.replace(/M/, '*')],
      ['base64 of a bad length', good.toString('base64').slice(0, -1)],
      ['mismatched labels', goodPem.replace('END CERTIFICATE REQUEST', 'END NEW CERTIFICATE REQUEST')],
      ['two blocks', `${goodPem}\n${goodPem}`],
      ['missing END', goodPem.replace(/-----END[\s\S]*$/, '')],
      ['a number', 42 as unknown as string],
      ['null', null as unknown as string],
    ];
    for (const [label, input] of rows) {
      await assert.rejects(
        async () => parseCsr(input),
        (e: unknown) =>
          e instanceof CertError && e.kind === 'bad_csr' && e.message === 'The CSR is not valid PEM or DER.',
        label,
      );
    }
  });

  test('other PEM blocks, other DER structures, oversized input', async () => {
    await refusedWith(
      () => parseCsr(goodPem.replace(/CERTIFICATE REQUEST/g, 'CERTIFICATE')),
      'bad_csr',
      /The PEM block is not a CERTIFICATE REQUEST\./,
    );
    await refusedWith(
      () => parseCsr(goodPem.replace(/CERTIFICATE REQUEST/g, 'PRIVATE KEY')),
      'bad_csr',
      /not a CERTIFICATE REQUEST/,
    );
    await refusedWith(
      () => parseCsr(notACsr),
      'bad_csr',
      /^The CSR is malformed: a CertificationRequest has exactly three fields\.$/,
    );
    await refusedWith(() => parseCsr(Buffer.alloc(MAX_CSR_BYTES + 1, 0x30)), 'bad_csr', /too large/);
    await refusedWith(() => parseCsr('A'.repeat(MAX_CSR_BYTES * 2 + 4)), 'bad_csr', /too large/);
  });

  test('signature tampering', async () => {
    const kinds: Array<[string, Buffer]> = [
      ['RSA', good],
      [
        'ECDSA',
        buildCsr({ spki: spkiOf(nodeKeys.p256.publicKey), sign: signEcdsa(nodeKeys.p256.privateKey), attributes: [] }),
      ],
      [
        'Ed25519',
        buildCsr({
          spki: spkiOf(nodeKeys.ed25519.publicKey),
          sign: signEdDsa(nodeKeys.ed25519.privateKey, OIDS.ed25519),
          attributes: [],
        }),
      ],
    ];
    for (const [label, der] of kinds) {
      assert.equal((await parseCsr(der)).commonName, 'a.example.com', label);
      // One flipped bit in the last octet of the signature.
      const flipped = Buffer.from(der);
      flipped[flipped.length - 1]! ^= 0x01;
      await refusedWith(() => parseCsr(flipped), 'bad_csr', /^The CSR signature does not verify\.$/);
      // The signed info altered: a.example.com -> b.example.com.
      const altered = Buffer.from(der);
      const at = altered.indexOf('a.example.com');
      assert.ok(at > 0);
      altered[at] = 'b'.charCodeAt(0);
      await refusedWith(() => parseCsr(altered), 'bad_csr', /does not verify/);
    }
  });

  test('a signature by another key, and an algorithm that does not fit the key', async () => {
    const other = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    await refusedWith(() => parseCsr(rsaCsr({ sign: signRsa(other) })), 'bad_csr', /does not verify/);
    await refusedWith(
      () => parseCsr(rsaCsr({ sign: signEcdsa(nodeKeys.p256.privateKey) })),
      'bad_csr',
      /does not match its public key/,
    );
    await refusedWith(
      () => parseCsr(buildCsr({ spki: spkiOf(nodeKeys.p256.publicKey), sign: signRsa(nodeKeys.rsa.privateKey) })),
      'bad_csr',
      /does not match its public key/,
    );
  });

  test('signature algorithms', async () => {
    const weak =
      (algOid: string): Signer =>
      (info) => ({ alg: seq(oid(algOid), NULL), sig: crypto.sign('sha1', info, nodeKeys.rsa.privateKey) });
    await refusedWith(() => parseCsr(rsaCsr({ sign: weak(OIDS.sha1Rsa) })), 'bad_csr', /signed with SHA-1/);
    await refusedWith(
      () =>
        parseCsr(
          buildCsr({
            spki: spkiOf(nodeKeys.p256.publicKey),
            sign: (info) => ({
              alg: seq(oid(OIDS.ecdsaSha1)),
              sig: crypto.sign('sha1', info, nodeKeys.p256.privateKey),
            }),
          }),
        ),
      'bad_csr',
      /signed with SHA-1/,
    );
    await refusedWith(
      () => parseCsr(rsaCsr({ sign: () => ({ alg: seq(oid(OIDS.sm2sm3)), sig: Buffer.alloc(64, 1) }) })),
      'bad_csr',
      /signature algorithm is not supported/,
    );
    // PKCS#1 v1.5 parameters may be NULL or absent (RFC 4055 §5); ECDSA must have none (RFC 5758 §3.2).
    const absent: Signer = (info) => ({
      alg: seq(oid(OIDS.sha256Rsa)),
      sig: crypto.sign('sha256', info, nodeKeys.rsa.privateKey),
    });
    assert.equal((await parseCsr(rsaCsr({ sign: absent }))).signatureAlgorithm, 'sha256WithRSAEncryption');
    const ecWithNull: Signer = (info) => ({
      alg: seq(oid(OIDS.ecdsaSha256), NULL),
      sig: crypto.sign('sha256', info, nodeKeys.p256.privateKey),
    });
    await refusedWith(
      () => parseCsr(buildCsr({ spki: spkiOf(nodeKeys.p256.publicKey), sign: ecWithNull })),
      'bad_csr',
      /must not have parameters/,
    );
  });

  test('RSASSA-PSS parameters (RFC 4055 §3.1)', async () => {
    const key = nodeKeys.rsa.privateKey;
    assert.equal((await parseCsr(rsaCsr({ sign: signPss(key, 'sha256', 32) }))).signatureAlgorithm, 'rsassa-pss');
    assert.equal((await parseCsr(rsaCsr({ sign: signPss(key, 'sha512', 0) }))).signatureAlgorithm, 'rsassa-pss');
    // Verified with the salt length the parameters state: a different one must not verify.
    const lying: Signer = (info) => {
      const real = signPss(key, 'sha256', 20)(info);
      return { alg: signPss(key, 'sha256', 32)(info).alg, sig: real.sig };
    };
    await refusedWith(() => parseCsr(rsaCsr({ sign: lying })), 'bad_csr', /does not verify/);
    // No parameters means the SHA-1 defaults.
    const defaults: Signer = () => ({ alg: seq(oid(OIDS.pss), seq()), sig: Buffer.alloc(256, 1) });
    await refusedWith(() => parseCsr(rsaCsr({ sign: defaults })), 'bad_csr', /signed with SHA-1/);
    await refusedWith(
      () => parseCsr(rsaCsr({ sign: () => ({ alg: seq(oid(OIDS.pss)), sig: Buffer.alloc(256, 1) }) })),
      'bad_csr',
      /SHA-1/,
    );
    await refusedWith(
      () => parseCsr(rsaCsr({ sign: signPss(key, 'sha256', 32, 'sha512') })),
      'bad_csr',
      /same hash for MGF1/,
    );
    // An id-RSASSA-PSS key (RFC 4055 §1.2) verifies, and is then refused by the key rules.
    const pssKey = crypto.generateKeyPairSync('rsa-pss', { modulusLength: 2048 });
    const csr = await parseCsr(
      buildCsr({ spki: spkiOf(pssKey.publicKey), sign: signPss(pssKey.privateKey, 'sha256', 32) }),
    );
    assert.deepEqual(csr.key, { type: 'other', name: 'RSASSA-PSS' });
    assert.match(keyRefusal(csr.key) ?? 'accepted', /rsaEncryption algorithm, not RSASSA-PSS/);
  });

  test('the version must be v1 (0)', async () => {
    await refusedWith(() => parseCsr(rsaCsr({ version: 1 })), 'bad_csr', /version is not supported/);
  });

  test('SPKI encodings the certificate could not carry', async () => {
    const rsaSpki = spkiOf(nodeKeys.rsa.publicKey);
    // rsaEncryption without its NULL parameters (RFC 3279 §2.3.1)
    const noNull = Buffer.from(
      rsaSpki.toString('hex').replace('300d06092a864886f70d0101010500', '300b06092a864886f70d010101'),
      'hex',
    );
    const fixLen = (b: Buffer): Buffer => seq(b.subarray(4)); // re-wrap the outer SEQUENCE (long form, 2 length octets)
    await refusedWith(
      () => parseCsr(rsaCsr({ spki: fixLen(noNull) })),
      'bad_csr',
      /rsaEncryption parameters must be NULL/,
    );
    // P-256 point in compressed form
    const jwk = nodeKeys.p256.publicKey.export({ format: 'jwk' });
    const x = Buffer.from(jwk.x!, 'base64url');
    const yOdd = Buffer.from(jwk.y!, 'base64url')[31]! & 1;
    const compressed = seq(
      seq(oid('1.2.840.10045.2.1'), oid('1.2.840.10045.3.1.7')),
      bitString(Buffer.concat([Buffer.from([2 + yOdd]), x])),
    );
    await refusedWith(
      () => parseCsr(buildCsr({ spki: compressed, sign: signEcdsa(nodeKeys.p256.privateKey) })),
      'bad_csr',
      /uncompressed point form/,
    );
    // A point that is not on the curve
    const offCurve = Buffer.from(spkiOf(nodeKeys.p256.publicKey));
    offCurve[offCurve.length - 1]! ^= 0x01;
    await refusedWith(
      () => parseCsr(buildCsr({ spki: offCurve, sign: signEcdsa(nodeKeys.p256.privateKey) })),
      'bad_csr',
      /public key cannot be read/,
    );
    // Ed25519 with parameters
    const edParams = seq(seq(oid(OIDS.ed25519), NULL), bitString(spkiOf(nodeKeys.ed25519.publicKey).subarray(12)));
    await refusedWith(
      () => parseCsr(buildCsr({ spki: edParams, sign: signEdDsa(nodeKeys.ed25519.privateKey, OIDS.ed25519) })),
      'bad_csr',
      /EdDSA public keys have no parameters/,
    );
  });
});

// ---- CSRs built with node:crypto ----------------------------------------------------------------

describe('parseCsr: structures built with node:crypto', () => {
  test('no attributes field at all, and an empty one', async () => {
    for (const attributes of [undefined, []]) {
      const csr = await parseCsr(rsaCsr({ attributes }));
      assert.equal(csr.commonName, 'a.example.com');
      assert.deepEqual([csr.dnsNames, csr.ipAddresses, csr.otherSanTypes], [[], [], []]);
    }
  });

  test('other attributes and extensions are ignored; SANs in order', async () => {
    const csr = await parseCsr(
      rsaCsr({
        attributes: [
          seq(oid(OIDS.challengePassword), set(utf8('not a secret'))),
          extensionRequest(
            seq(oid(OIDS.keyUsage), tlv(0x01, Buffer.from([0xff])), octets(Buffer.from('03020780', 'hex'))),
            sanExtension(
              dns('z.example.com'),
              ip([10, 0, 0, 1]),
              ctx(6, false, Buffer.from('https://x.example/')),
              dns('a.example.com'),
              ip([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
              ip([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
              ip([0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 1, 0, 2, 0, 3, 0, 4]),
              ip([0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 8]),
              ctx(1, false, Buffer.from('x@y.z')),
              ctx(6, false, Buffer.from('https://y.example/')),
              ctx(4, true, cnName('dir')),
              ctx(8, false, oid('1.2.3.4').subarray(2)),
            ),
          ),
        ],
      }),
    );
    assert.deepEqual(csr.dnsNames, ['z.example.com', 'a.example.com']);
    assert.deepEqual(csr.ipAddresses, ['10.0.0.1', '2001:db8::', '::', 'fe80::1:2:3:4', '1:2:3:4:5:6:7:8']);
    assert.deepEqual(csr.otherSanTypes, ['URI', 'email', 'directoryName', 'registeredID']);
  });

  test('subject string types, and a non-string value', async () => {
    const subject = name(
      [OIDS.c, tlv(0x13, Buffer.from('CN'))],
      [OIDS.o, tlv(0x1e, Buffer.from('00e90041', 'hex'))], // BMPString
      [OIDS.o, tlv(0x14, Buffer.from([0xe9, 0x41]))], // T61String
      ['2.5.4.5', int(5)], // serialNumber as an INTEGER: kept as RFC 4514 hex
      [OIDS.cn, tlv(0x13, Buffer.from('*.example.com'))], // '*' in a PrintableString
    );
    const csr = await parseCsr(rsaCsr({ subject }));
    assert.deepEqual(csr.subject, [
      { oid: '2.5.4.6', value: 'CN' },
      { oid: '2.5.4.10', value: 'éA' },
      { oid: '2.5.4.10', value: 'éA' },
      { oid: '2.5.4.5', value: '#020105' },
      { oid: '2.5.4.3', value: '*.example.com' },
    ]);
    assert.equal(csr.commonName, '*.example.com');
  });

  test('malformed extension requests', async () => {
    const rows: Array<[string, Buffer[], RegExp]> = [
      [
        'two SAN extensions',
        [extensionRequest(sanExtension(dns('a.example.com')), sanExtension(dns('b.example.com')))],
        /an extension appears twice/,
      ],
      [
        'two extensionRequest attributes',
        [extensionRequest(sanExtension(dns('a.example.com'))), extensionRequest()],
        /more than one extensionRequest/,
      ],
      ['an empty SAN', [extensionRequest(sanExtension())], /empty subjectAltName/],
      ['a 5-octet iPAddress', [extensionRequest(sanExtension(ip([1, 2, 3, 4, 5])))], /4 or 16 octets/],
      ['a non-ASCII dNSName', [extensionRequest(sanExtension(dns('b\u00fccher.example')))], /non-ASCII/],
      [
        'an unknown GeneralName',
        [extensionRequest(sanExtension(ctx(9, false, Buffer.from('x'))))],
        /unknown GeneralName/,
      ],
      [
        'trailing bytes in the SAN value',
        [extensionRequest(seq(oid(OIDS.san), octets(Buffer.concat([seq(dns('a.example.com')), Buffer.from([0])]))))],
        /invalid subjectAltName \(trailing data/,
      ],
      [
        'a bad criticality',
        [extensionRequest(seq(oid(OIDS.san), tlv(0x01, Buffer.from([1])), octets(seq(dns('a.example.com')))))],
        /invalid BOOLEAN/,
      ],
    ];
    for (const [label, attributes, pattern] of rows) {
      await assert.rejects(
        async () => parseCsr(rsaCsr({ attributes })),
        (e: unknown) =>
          e instanceof CertError &&
          e.kind === 'bad_csr' &&
          e.message.startsWith('The CSR is malformed: ') &&
          pattern.test(e.message),
        label,
      );
    }
  });

  test('a signature BIT STRING with unused bits', async () => {
    // Whatever the last bit is, the CSR is malformed: either the padding is not zero (X.690
    // §11.2.1) or the signature is not a whole number of octets.
    await refusedWith(() => parseCsr(rsaCsr({ unusedBits: 1 })), 'bad_csr', /whole number of octets|non-zero padding/);
  });

  test('DSA, Ed448: parsed and verified, then refused by the key rules', async () => {
    const dsa = crypto.generateKeyPairSync('dsa', { modulusLength: 2048, divisorLength: 256 });
    const dsaCsr = await parseCsr(
      buildCsr({
        spki: spkiOf(dsa.publicKey),
        sign: (info) => ({ alg: seq(oid(OIDS.dsaSha256)), sig: crypto.sign('sha256', info, dsa.privateKey) }),
      }),
    );
    assert.equal(dsaCsr.signatureAlgorithm, 'dsa-with-SHA256');
    assert.match(keyRefusal(dsaCsr.key) ?? 'accepted', /^DSA keys are not allowed in the Web PKI/);
    const ed448 = crypto.generateKeyPairSync('ed448');
    const edCsr = await parseCsr(
      buildCsr({ spki: spkiOf(ed448.publicKey), sign: signEdDsa(ed448.privateKey, OIDS.ed448) }),
    );
    assert.equal(edCsr.signatureAlgorithm, 'Ed448');
    assert.match(keyRefusal(edCsr.key) ?? 'accepted', /^Ed448 keys are not allowed in the Web PKI/);
  });

  test('a Fermat-weak RSA key: the CSR verifies, the key rules refuse it', async () => {
    // p and q share their top ~500 bits (SC-073). The private key is assembled from them.
    const random = (bits: number): bigint => BigInt('0x' + crypto.randomBytes(bits / 8).toString('hex'));
    const nextPrime = (from: bigint): bigint => {
      let c = from | 1n;
      while (!crypto.checkPrimeSync(c)) c += 2n;
      return c;
    };
    const inverse = (a: bigint, m: bigint): bigint => {
      let [r0, r1, s0, s1] = [a % m, m, 1n, 0n];
      while (r1 !== 0n) {
        const q = r0 / r1;
        [r0, r1, s0, s1] = [r1, r0 - q * r1, s1, s0 - q * s1];
      }
      return ((s0 % m) + m) % m;
    };
    const e = 65537n;
    let p: bigint;
    let q: bigint;
    do {
      p = nextPrime((3n << 1022n) + (random(1024) >> 3n));
      q = nextPrime(p + (1n << 400n));
    } while ((p - 1n) % e === 0n || (q - 1n) % e === 0n);
    const n = p * q;
    const d = inverse(e, (p - 1n) * (q - 1n));
    const b64 = (v: bigint): string =>
      Buffer.from(v.toString(16).padStart(Math.ceil(v.toString(16).length / 2) * 2, '0'), 'hex').toString('base64url');
    const privateKey = crypto.createPrivateKey({
      key: {
        kty: 'RSA',
        n: b64(n),
        e: b64(e),
        d: b64(d),
        p: b64(p),
        q: b64(q),
        dp: b64(d % (p - 1n)),
        dq: b64(d % (q - 1n)),
        qi: b64(inverse(q, p)),
      },
      format: 'jwk',
    });
    const csr = await parseCsr(buildCsr({ spki: spkiOf(privateKey), sign: signRsa(privateKey) }));
    assert.equal(csr.key.type === 'rsa' && csr.key.bits, 2048);
    assert.match(keyRefusal(csr.key) ?? 'accepted', /prime factors are too close together/);
  });
});

// ---- robustness -----------------------------------------------------------------------------

describe('parseCsr: robustness', () => {
  test('mutated CSRs are either parsed or refused as bad_csr, with a safe message', async () => {
    const der = rsaCsr({ attributes: [extensionRequest(sanExtension(dns('secret-name.example'), ip([1, 2, 3, 4])))] });
    let s = 0x2545f491;
    const rand = (n: number): number => {
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      return (s >>> 0) % n;
    };
    const outcomes = new Map<string, number>();
    for (let i = 0; i < 2000; i++) {
      const m = Buffer.from(der);
      // Mostly in the structure before the signature, where the parser has work to do.
      const edits = 1 + rand(2);
      for (let k = 0; k < edits; k++) m[rand(m.length - 256)] = rand(256);
      let outcome: string;
      try {
        const csr: ParsedCsr = await parseCsr(rand(4) === 0 ? m.toString('base64') : m);
        outcome = `parsed ${csr.signatureAlgorithm}`;
      } catch (e) {
        assert.ok(e instanceof CertError, `unexpected ${String(e)}`);
        assert.equal(e.kind, 'bad_csr');
        assert.match(e.message, /^The (CSR|PEM) /);
        assert.doesNotMatch(e.message, /secret-name|c2VjcmV0|7365637265/);
        outcome = e.message.replace(/offset \d+/, 'offset N');
      }
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    }
    assert.ok((outcomes.get('The CSR signature does not verify.') ?? 0) > 0);
    assert.ok([...outcomes.keys()].some((k) => k.startsWith('The CSR is malformed: ')));
  });
});
