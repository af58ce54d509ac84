// The hand-written DER/CSR reader (src/crypto/der-reader.ts, src/ca/csr.ts) against a
// maintained ASN.1 library, @peculiar/asn1-csr (PKI.js's authors' schemas over asn1js):
//
// 1. Differential: real CSRs that `openssl req` makes, for every key type and signature
//    algorithm certdesk reads, plus CSRs that must be refused. Both readers must agree on
//    accept/reject and on the decoded fields (subject, subjectAltName dNSNames and iPAddresses,
//    SubjectPublicKeyInfo bytes, the key, the signature algorithm).
// 2. Mutation fuzz, with a fixed seed: thousands of bit flips, byte changes, truncations,
//    insertions, deletions and length-octet changes of those CSRs. parseCsr must throw
//    nothing but a CertError, return for every input (the loop finishing is the proof: the
//    reader is synchronous), and never accept an input the reference reads as malformed, nor
//    decode an accepted one differently from it.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AsnConvert } from '@peculiar/asn1-schema';
import { CertificationRequest } from '@peculiar/asn1-csr';
import { Extensions, GeneralNames, id_ce_subjectAltName } from '@peculiar/asn1-x509';
import { CertError } from '../domain/errors.js';
import { parseCsr, type ParsedCsr } from './csr.js';

const ID_EXTENSION_REQUEST = '1.2.840.113549.1.9.14';
const SIGNATURE_OIDS: Record<string, string> = {
  sha256WithRSAEncryption: '1.2.840.113549.1.1.11',
  sha384WithRSAEncryption: '1.2.840.113549.1.1.12',
  sha512WithRSAEncryption: '1.2.840.113549.1.1.13',
  'rsassa-pss': '1.2.840.113549.1.1.10',
  'ecdsa-with-SHA256': '1.2.840.10045.4.3.2',
  'ecdsa-with-SHA384': '1.2.840.10045.4.3.3',
  'ecdsa-with-SHA512': '1.2.840.10045.4.3.4',
  Ed25519: '1.3.101.112',
};

/** What the reference library reads from a CSR DER; throws when it cannot read it. */
interface Reference {
  subject: Array<{ oid: string; value: string }>;
  dnsNames: string[];
  ipAddresses: string[];
  spki: Buffer;
  signatureOid: string;
  /** The self-signature checked with node:crypto over the reference's own pieces. */
  signatureVerifies: boolean;
}

/** The reference gives iPAddress as text; IPv6 is put in RFC 5952 form (node's URL parser writes that form) to compare. */
function ipText(text: string): string {
  return text.includes(':') ? new URL(`http://[${text}]/`).hostname.slice(1, -1) : text;
}

function readWithReference(der: Buffer): Reference {
  const csr = AsnConvert.parse(der, CertificationRequest);
  const info = csr.certificationRequestInfo;
  const subject: Reference['subject'] = [];
  for (const rdn of info.subject) for (const atv of rdn) subject.push({ oid: atv.type, value: atv.value.toString() });
  const dnsNames: string[] = [];
  const ipAddresses: string[] = [];
  for (const attr of info.attributes) {
    if (attr.type !== ID_EXTENSION_REQUEST) continue;
    for (const value of attr.values) {
      for (const ext of AsnConvert.parse(value, Extensions)) {
        if (ext.extnID !== id_ce_subjectAltName) continue;
        for (const gn of AsnConvert.parse(ext.extnValue, GeneralNames)) {
          if (gn.dNSName !== undefined) dnsNames.push(gn.dNSName);
          if (gn.iPAddress !== undefined) ipAddresses.push(ipText(gn.iPAddress));
        }
      }
    }
  }
  const spki = Buffer.from(AsnConvert.serialize(info.subjectPKInfo));
  // The bytes as received (the library keeps them), never a re-encoding.
  const signed = Buffer.from(csr.certificationRequestInfoRaw ?? AsnConvert.serialize(info));
  const signatureOid = csr.signatureAlgorithm.algorithm;
  let signatureVerifies: boolean;
  try {
    const key = crypto.createPublicKey({ key: spki, format: 'der', type: 'spki' });
    const signature = Buffer.from(csr.signature);
    const digest =
      signatureOid === SIGNATURE_OIDS['ecdsa-with-SHA384'] || signatureOid === SIGNATURE_OIDS.sha384WithRSAEncryption
        ? 'sha384'
        : signatureOid === SIGNATURE_OIDS['ecdsa-with-SHA512'] ||
            signatureOid === SIGNATURE_OIDS.sha512WithRSAEncryption
          ? 'sha512'
          : signatureOid === SIGNATURE_OIDS.Ed25519
            ? null
            : 'sha256';
    signatureVerifies =
      signatureOid === SIGNATURE_OIDS['rsassa-pss']
        ? crypto.verify(
            'sha256',
            signed,
            { key, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: crypto.constants.RSA_PSS_SALTLEN_AUTO },
            signature,
          )
        : crypto.verify(digest, signed, key, signature);
  } catch {
    signatureVerifies = false;
  }
  return { subject, dnsNames, ipAddresses, spki, signatureOid, signatureVerifies };
}

/** Both readers' views must match field by field. */
function assertSameFields(ours: ParsedCsr, ref: Reference, label: string): void {
  assert.deepEqual(ours.subject, ref.subject, `${label}: subject`);
  assert.deepEqual(ours.dnsNames, ref.dnsNames, `${label}: dNSNames`);
  assert.deepEqual(ours.ipAddresses, ref.ipAddresses, `${label}: iPAddresses`);
  assert.ok(ours.spki.equals(ref.spki), `${label}: SubjectPublicKeyInfo bytes`);
  assert.equal(SIGNATURE_OIDS[ours.signatureAlgorithm], ref.signatureOid, `${label}: signature algorithm`);
  assert.equal(ref.signatureVerifies, true, `${label}: the reference verifies what parseCsr accepted`);
  const refKey = crypto.createPublicKey({ key: ref.spki, format: 'der', type: 'spki' });
  if (ours.key.type === 'rsa') {
    const jwk = refKey.export({ format: 'jwk' });
    assert.ok(ours.key.modulus.equals(Buffer.from(jwk.n!, 'base64url')), `${label}: RSA modulus`);
    assert.equal(ours.key.exponent, BigInt(`0x${Buffer.from(jwk.e!, 'base64url').toString('hex')}`));
  } else if (ours.key.type === 'ec') {
    assert.equal(ours.key.curve, refKey.asymmetricKeyDetails?.namedCurve === 'prime256v1' ? 'P-256' : 'P-384');
  }
}

type Outcome = { ok: true; csr: ParsedCsr } | { ok: false; error: unknown };

async function ours(input: Buffer): Promise<Outcome> {
  try {
    return { ok: true, csr: await parseCsr(input) };
  } catch (error) {
    return { ok: false, error };
  }
}

function reference(der: Buffer): Reference | undefined {
  try {
    return readWithReference(der);
  } catch {
    return undefined; // malformed for the reference
  }
}

// ---- real CSRs, made by openssl ---------------------------------------------------------------

interface Sample {
  label: string;
  der: Buffer;
}

const KINDS: Array<{ label: string; newkey: string[]; extra?: string[] }> = [
  { label: 'RSA-2048 sha256', newkey: ['-newkey', 'rsa:2048'] },
  { label: 'RSA-3072 sha384', newkey: ['-newkey', 'rsa:3072'], extra: ['-sha384'] },
  { label: 'RSA-4096 sha512', newkey: ['-newkey', 'rsa:4096'], extra: ['-sha512'] },
  {
    label: 'RSA-2048 RSASSA-PSS',
    newkey: ['-newkey', 'rsa:2048'],
    extra: ['-sigopt', 'rsa_padding_mode:pss', '-sigopt', 'rsa_pss_saltlen:32', '-sha256'],
  },
  { label: 'P-256 sha256', newkey: ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'] },
  { label: 'P-256 sha512', newkey: ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'], extra: ['-sha512'] },
  { label: 'P-384 sha384', newkey: ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-384'], extra: ['-sha384'] },
  // Read (and left to the key rules to refuse): the reader must still agree on the fields.
  { label: 'Ed25519', newkey: ['-newkey', 'ed25519'] },
];

const SUBJECTS = [
  ['/CN=www.example.com', 'subjectAltName=DNS:www.example.com,DNS:example.com'],
  [
    '/C=DE/ST=Berlin/O=Beispiel GmbH/CN=shop.example.de',
    'subjectAltName=DNS:shop.example.de,IP:192.0.2.7,IP:2001:db8::1',
  ],
  ['/CN=Grüße.example', 'subjectAltName=DNS:xn--gre-6ka8i.example,email:a@example.com'],
] as const;

const samples: Sample[] = [];
let pemSample = '';

before(() => {
  const dir = mkdtempSync(join(tmpdir(), 'certdesk-csr-diff-'));
  try {
    KINDS.forEach((kind, k) => {
      const [subj, san] = SUBJECTS[k % SUBJECTS.length]!;
      const out = join(dir, `${k}.der`);
      execFileSync(
        'openssl',
        [
          'req',
          '-new',
          ...kind.newkey,
          ...(kind.extra ?? []),
          '-nodes',
          '-keyout',
          join(dir, `${k}.key`),
          '-subj',
          subj,
          '-utf8',
          '-addext',
          san,
          '-outform',
          'DER',
          '-out',
          out,
        ],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      );
      samples.push({ label: kind.label, der: readFileSync(out) });
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  pemSample = `-----BEGIN CERTIFICATE REQUEST-----\n${samples[0]!.der.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`;
});

describe('parseCsr against @peculiar/asn1-csr', () => {
  test('real CSRs of every key type and signature algorithm: both accept, same fields', async () => {
    assert.equal(samples.length, KINDS.length);
    for (const s of samples) {
      const mine = await ours(s.der);
      assert.ok(mine.ok, `${s.label}: parseCsr refused it: ${mine.ok ? '' : String(mine.error)}`);
      const ref = reference(s.der);
      assert.ok(ref, `${s.label}: the reference cannot read it`);
      assertSameFields(mine.csr, ref, s.label);
    }
    assert.ok((await ours(Buffer.from(pemSample))).ok, 'the same CSR as PEM');
  });

  test('refusals the two agree on: a changed signature, a truncated CSR, trailing garbage inside the request', async () => {
    for (const s of samples) {
      const badSig = Buffer.from(s.der);
      badSig[badSig.length - 5]! ^= 0x01;
      const r1 = await ours(badSig);
      assert.ok(!r1.ok && r1.error instanceof CertError && r1.error.kind === 'bad_csr', `${s.label}: bad signature`);
      assert.equal(reference(badSig)?.signatureVerifies ?? false, false, `${s.label}: the reference sees it fail too`);

      const truncated = s.der.subarray(0, s.der.length - 10);
      assert.ok(!(await ours(truncated)).ok && reference(truncated) === undefined, `${s.label}: truncated`);
    }
  });

  test('stricter than the reference where DER is (non-minimal length, indefinite length): refused by parseCsr', async () => {
    const der = samples[4]!.der;
    // Outer SEQUENCE re-encoded with a needless leading zero length octet (BER allows it, DER does not).
    const n = der[1]! & 0x7f;
    assert.ok(der[1]! & 0x80 && n <= 2, 'the CSR length uses the long form');
    const longForm = Buffer.concat([Buffer.from([0x30, 0x80 | (n + 1), 0x00]), der.subarray(2)]);
    const mine = await ours(longForm);
    assert.ok(!mine.ok && mine.error instanceof CertError, 'non-minimal length refused');
    const indefinite = Buffer.concat([Buffer.from([0x30, 0x80]), der.subarray(2 + n), Buffer.from([0, 0])]);
    assert.ok(!(await ours(indefinite)).ok, 'indefinite length refused');
  });
});

// ---- mutation fuzz ----------------------------------------------------------------------------

/** mulberry32: a small, well-known PRNG; fixed seed, so every run fuzzes the same inputs. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Offsets of the length octets of every TLV header in a well-formed DER value. */
function lengthOffsets(der: Buffer, from = 0, to = der.length, out: number[] = []): number[] {
  let p = from;
  while (p < to) {
    const id = der[p]!;
    const lenAt = p + 1;
    let len = der[lenAt]!;
    let hdr = 2;
    if (len & 0x80) {
      const n = len & 0x7f;
      len = 0;
      for (let i = 0; i < n; i++) len = len * 256 + der[lenAt + 1 + i]!;
      hdr += n;
    }
    out.push(lenAt);
    if (id & 0x20) lengthOffsets(der, p + hdr, p + hdr + len, out);
    p += hdr + len;
  }
  return out;
}

/** One mutation of `der`; length changes only on well-formed input (`lengths` are its length octets). */
function mutate(der: Buffer, rnd: () => number, lengths: number[] | undefined): { kind: string; bytes: Buffer } {
  const pick = (n: number) => Math.floor(rnd() * n);
  const b = Buffer.from(der);
  const kind = pick(lengths === undefined ? 5 : 7);
  switch (kind) {
    case 0: {
      const at = pick(b.length);
      b[at]! ^= 1 << pick(8);
      return { kind: 'bit flip', bytes: b };
    }
    case 1: {
      b[pick(b.length)] = pick(256);
      return { kind: 'byte set', bytes: b };
    }
    case 2:
      return { kind: 'truncation', bytes: b.subarray(0, pick(b.length)) };
    case 3: {
      const at = pick(b.length + 1);
      return { kind: 'insertion', bytes: Buffer.concat([b.subarray(0, at), Buffer.from([pick(256)]), b.subarray(at)]) };
    }
    case 4: {
      const at = pick(b.length);
      return { kind: 'deletion', bytes: Buffer.concat([b.subarray(0, at), b.subarray(at + 1)]) };
    }
    case 5: {
      const at = lengths![pick(lengths!.length)]!;
      const choices = [b[at]! + 1, b[at]! - 1, 0x80, 0x84, 0xff, 0x00, b[at]! ^ 0x80];
      b[at] = choices[pick(choices.length)]! & 0xff;
      return { kind: 'length change', bytes: b };
    }
    default: {
      // Several changes at once.
      let out: Buffer = mutate(b, rnd, lengths).bytes;
      for (let i = 0; i < 1 + pick(4); i++) out = mutate(out, rnd, undefined).bytes;
      return { kind: 'several', bytes: out };
    }
  }
}

describe('parseCsr mutation fuzz (seed 20261207)', () => {
  test('thousands of mutated CSRs: only CertError, never an acceptance the reference disputes', async () => {
    const rnd = prng(20261207);
    const MUTANTS_PER_SAMPLE = 600;
    const kinds = new Map<string, number>();
    let accepted = 0;
    let total = 0;
    for (const s of samples) {
      const lengths = lengthOffsets(s.der);
      for (let i = 0; i < MUTANTS_PER_SAMPLE; i++) {
        const m = mutate(s.der, rnd, lengths);
        kinds.set(m.kind, (kinds.get(m.kind) ?? 0) + 1);
        total += 1;
        // A tenth also goes in as PEM, the form CAS clients send.
        const input =
          i % 10 === 0
            ? Buffer.from(
                `-----BEGIN CERTIFICATE REQUEST-----\n${m.bytes.toString('base64')}\n-----END CERTIFICATE REQUEST-----`,
              )
            : m.bytes;
        const mine = await ours(input);
        if (!mine.ok) {
          assert.ok(
            mine.error instanceof CertError,
            `${s.label} ${m.kind} #${i}: threw ${String(mine.error)} (not a CertError)`,
          );
          assert.ok(
            mine.error.kind === 'bad_csr' || mine.error.kind === 'bad_key',
            `${s.label}: kind ${mine.error.kind}`,
          );
          continue;
        }
        accepted += 1;
        const ref = reference(m.bytes);
        assert.ok(ref, `${s.label} ${m.kind} #${i}: parseCsr accepted what the reference reads as malformed DER`);
        assertSameFields(mine.csr, ref, `${s.label} ${m.kind} #${i}`);
      }
    }
    assert.equal(total, samples.length * MUTANTS_PER_SAMPLE);
    assert.ok(total >= 4000, `${total} mutants`);
    for (const k of ['bit flip', 'byte set', 'truncation', 'insertion', 'deletion', 'length change', 'several'])
      assert.ok((kinds.get(k) ?? 0) > 100, `${k}: ${kinds.get(k)}`);
    // Almost every mutant breaks the signature or the DER; the few accepted ones were checked above.
    assert.ok(accepted < total / 10, `${accepted} of ${total} accepted`);
  });
});
