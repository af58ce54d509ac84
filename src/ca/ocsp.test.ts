// OCSP messages against OpenSSL: requests `openssl ocsp -reqout` writes are read right, and
// responses we sign are accepted and read back by `openssl ocsp -respin` verified against
// the issuing CA and the root.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHierarchy, loadIssuer, type Issuer } from './hierarchy.js';
import type { KeyAlgorithm } from './signer.js';
import {
  MAX_REQUESTS_PER_OCSP_REQUEST,
  OID_SHA1,
  buildOcspRequest,
  buildOcspResponse,
  buildOcspResponsesForSerials,
  computeIssuerHashes,
  encodeCertId,
  ocspErrorResponse,
  parseOcspRequest,
  type OcspCertStatus,
} from './ocsp.js';
import { toPem } from '../crypto/pem.js';
import { DerError } from '../crypto/der-reader.js';
import { explicit, integer, nullValue, octetString, oid, sequence } from '../crypto/der-writer.js';

const OID_SHA256 = '2.16.840.1.101.3.4.2.1';
const DAY = 86_400_000;
const tmp = mkdtempSync(join(tmpdir(), 'certdesk-ocsp-'));
let fileCounter = 0;

function file(content: Buffer | string, ext: string): string {
  const p = join(tmp, `f${++fileCounter}.${ext}`);
  writeFileSync(p, content);
  return p;
}

function openssl(args: string[]): { status: number | null; out: string; err: string } {
  const r = spawnSync('openssl', args, { encoding: 'utf8' });
  return { status: r.status, out: r.stdout, err: r.stderr };
}

interface Ca {
  issuer: Issuer;
  issuingPem: string;
  rootPem: string;
}

async function makeCa(algorithm: KeyAlgorithm): Promise<Ca> {
  const h = await createHierarchy({ algorithm, now: Date.now() - 3_600_000, random: { bytes: (n) => randomBytes(n) } });
  return {
    issuer: loadIssuer(h.issuing.certDer, h.issuing.privateKeyPkcs8Der),
    issuingPem: file(toPem('CERTIFICATE', h.issuing.certDer), 'pem'),
    rootPem: file(toPem('CERTIFICATE', h.root.certDer), 'pem'),
  };
}

describe('OCSP requests', () => {
  let ca: Ca;
  before(async () => {
    ca = await makeCa('ecdsa-p256');
  });

  const cases: Array<{ name: string; args: string[]; alg: string; serials: string[] }> = [
    {
      name: 'SHA-1 CertID with a nonce (openssl default)',
      args: ['-serial', '0x1234'],
      alg: OID_SHA1,
      serials: ['1234'],
    },
    {
      name: 'SHA-1 CertID without a nonce',
      args: ['-no_nonce', '-serial', '0x1234'],
      alg: OID_SHA1,
      serials: ['1234'],
    },
    { name: 'SHA-256 CertID', args: ['-sha256', '-serial', '0xABCDEF'], alg: OID_SHA256, serials: ['ABCDEF'] },
    {
      name: 'a serial with the high bit set keeps no sign octet',
      args: ['-serial', '0x80FF'],
      alg: OID_SHA1,
      serials: ['80FF'],
    },
    {
      name: 'a 16-octet serial as certdesk issues them',
      args: ['-serial', '0x0A1B2C3D4E5F60718293A4B5C6D7E8F9'],
      alg: OID_SHA1,
      serials: ['0A1B2C3D4E5F60718293A4B5C6D7E8F9'],
    },
    {
      name: 'several CertIDs',
      args: ['-serial', '0x01', '-serial', '0x02', '-serial', '0x03'],
      alg: OID_SHA1,
      serials: ['01', '02', '03'],
    },
  ];
  for (const c of cases) {
    test(`reads ${c.name}`, () => {
      const out = join(tmp, `req${++fileCounter}.der`);
      const r = openssl(['ocsp', '-issuer', ca.issuingPem, ...c.args, '-reqout', out]);
      assert.equal(r.status, 0, r.err);
      const req = parseOcspRequest(readFileSync(out));
      const hashes = computeIssuerHashes(ca.issuer, c.alg === OID_SHA1 ? 'sha1' : 'sha256');
      assert.deepEqual(
        req.certIds.map((id) => id.serialHex),
        c.serials,
      );
      for (const id of req.certIds) {
        assert.equal(id.hashAlgorithm, c.alg);
        assert.ok(id.issuerNameHash.equals(hashes.nameHash), 'issuerNameHash is the hash of the issuer subject');
        assert.ok(id.issuerKeyHash.equals(hashes.keyHash), 'issuerKeyHash is the hash of the issuer key');
      }
    });
  }

  test('a request built here reads back the same, with the CertID bytes kept', () => {
    const hashes = computeIssuerHashes(ca.issuer, 'sha1');
    const ids = [
      encodeCertId(OID_SHA1, hashes, Buffer.from('7f01', 'hex')),
      encodeCertId(OID_SHA1, hashes, Buffer.from('00ff', 'hex')),
    ];
    const req = parseOcspRequest(buildOcspRequest(ids));
    assert.deepEqual(
      req.certIds.map((c) => c.serialHex),
      ['7F01', 'FF'],
    );
    assert.ok(req.certIds[0]!.der.equals(ids[0]!));
    // OpenSSL reads it too.
    const r = openssl(['ocsp', '-reqin', file(buildOcspRequest(ids), 'der'), '-req_text']);
    assert.equal(r.status, 0, r.err);
    assert.match(r.out, /Serial Number: 7F01/);
  });

  const hashes = () => computeIssuerHashes(ca.issuer, 'sha1');
  const certId = () => encodeCertId(OID_SHA1, hashes(), Buffer.from([1]));
  /** A CertID of our issuer ending in the given serial encoding(s). */
  const rawCertId = (...tail: Buffer[]) =>
    sequence(
      sequence(oid(OID_SHA1), nullValue()),
      octetString(hashes().nameHash),
      octetString(hashes().keyHash),
      ...tail,
    );
  const malformed: Array<[string, () => Buffer]> = [
    ['nothing', () => Buffer.alloc(0)],
    ['random bytes', () => randomBytes(40)],
    ['a truncated request', () => buildOcspRequest([certId()]).subarray(0, 30)],
    ['trailing bytes', () => Buffer.concat([buildOcspRequest([certId()]), Buffer.from([0])])],
    ['an empty requestList', () => sequence(sequence(sequence()))],
    ['version v2', () => sequence(sequence(explicit(0, integer(1)), sequence(sequence(certId()))))],
    ['too many CertIDs', () => buildOcspRequest(Array.from({ length: MAX_REQUESTS_PER_OCSP_REQUEST + 1 }, certId))],
    ['a CertID with an extra field', () => buildOcspRequest([rawCertId(integer(1), integer(2))])],
    // X.690 §8.3.2: 00 01 is not the minimal encoding of 1.
    ['a non-minimal serial', () => buildOcspRequest([rawCertId(Buffer.from([0x02, 0x02, 0x00, 0x01]))])],
    ['an unknown field in Request', () => sequence(sequence(sequence(sequence(certId(), integer(1)))))],
  ];
  for (const [name, make] of malformed) {
    test(`refuses ${name}`, () => {
      assert.throws(() => parseOcspRequest(make()), DerError);
    });
  }

  test('a negative or zero serial is read, with no serial to look up', () => {
    assert.equal(parseOcspRequest(buildOcspRequest([rawCertId(integer(-5n))])).certIds[0]!.serialHex, null);
    assert.equal(parseOcspRequest(buildOcspRequest([rawCertId(integer(0))])).certIds[0]!.serialHex, null);
  });
});

describe('OCSP responses verified by openssl', () => {
  for (const algorithm of ['ecdsa-p256', 'rsa-2048'] as const) {
    describe(algorithm, () => {
      let ca: Ca;
      before(async () => {
        ca = await makeCa(algorithm);
      });

      const statuses: Array<{ name: string; status: OcspCertStatus; expect: RegExp[]; absent?: RegExp }> = [
        { name: 'good', status: { kind: 'good' }, expect: [/^0x1234: good$/m] },
        {
          name: 'revoked with a reason',
          status: { kind: 'revoked', revokedAt: Date.parse('2026-01-02T03:04:05Z'), reason: 1 },
          expect: [/^0x1234: revoked$/m, /Reason: keyCompromise/, /Revocation Time: Jan {2}2 03:04:05 2026 GMT/],
        },
        {
          name: 'revoked without a reason (unspecified is left out, BR §7.2.2)',
          status: { kind: 'revoked', revokedAt: Date.parse('2026-01-02T03:04:05Z'), reason: 0 },
          expect: [/^0x1234: revoked$/m],
          absent: /Reason:/,
        },
        { name: 'unknown', status: { kind: 'unknown' }, expect: [/^0x1234: unknown$/m] },
      ];
      for (const s of statuses) {
        test(`${s.name}: signature, status and validity`, () => {
          const now = Date.now();
          const certId = encodeCertId(OID_SHA1, computeIssuerHashes(ca.issuer, 'sha1'), Buffer.from([0x12, 0x34]));
          const der = buildOcspResponse(ca.issuer, now, [
            { certId, status: s.status, thisUpdate: now, nextUpdate: now + 4 * DAY },
          ]);
          const r = openssl([
            'ocsp',
            '-respin',
            file(der, 'der'),
            '-issuer',
            ca.issuingPem,
            '-CAfile',
            ca.rootPem,
            '-serial',
            '0x1234',
            '-no_nonce',
            '-resp_text',
          ]);
          assert.equal(r.status, 0, r.err);
          assert.match(r.err, /Response verify OK/);
          for (const re of s.expect) assert.match(r.out, re);
          if (s.absent) assert.doesNotMatch(r.out, s.absent);
          // RFC 5019 §2.2.2: responderID byKey; no certificates needed, the CA signs itself.
          assert.match(r.out, /Responder Id: [0-9A-F]{40}/);
          assert.doesNotMatch(r.out, /Certificate:\n\s+Data:/);
          const thisUpdate = Date.parse(/This Update: (.+)$/m.exec(r.out)![1]!);
          const nextUpdate = Date.parse(/Next Update: (.+)$/m.exec(r.out)![1]!);
          assert.equal(nextUpdate - thisUpdate, 4 * DAY);
        });
      }

      test('a response signed by another key fails verification', async () => {
        const other = await makeCa('ecdsa-p256');
        const now = Date.now();
        const certId = encodeCertId(OID_SHA1, computeIssuerHashes(ca.issuer, 'sha1'), Buffer.from([0x12, 0x34]));
        const der = buildOcspResponse(other.issuer, now, [
          { certId, status: { kind: 'good' }, thisUpdate: now, nextUpdate: now + DAY },
        ]);
        const r = openssl([
          'ocsp',
          '-respin',
          file(der, 'der'),
          '-issuer',
          ca.issuingPem,
          '-CAfile',
          ca.rootPem,
          '-serial',
          '0x1234',
          '-no_nonce',
        ]);
        assert.doesNotMatch(r.err, /Response verify OK/);
        assert.match(r.err, /verify error|Response Verify Failure/i);
      });

      test('several SingleResponses and a SHA-256 CertID', () => {
        const now = Date.now();
        const h256 = computeIssuerHashes(ca.issuer, 'sha256');
        const der = buildOcspResponse(ca.issuer, now, [
          {
            certId: encodeCertId(OID_SHA256, h256, Buffer.from([0x01])),
            status: { kind: 'good' },
            thisUpdate: now,
            nextUpdate: now + DAY,
          },
          {
            certId: encodeCertId(OID_SHA256, h256, Buffer.from([0x02])),
            status: { kind: 'revoked', revokedAt: now - 1000, reason: 4 },
            thisUpdate: now,
            nextUpdate: now + DAY,
          },
        ]);
        const r = openssl([
          'ocsp',
          '-respin',
          file(der, 'der'),
          '-issuer',
          ca.issuingPem,
          '-CAfile',
          ca.rootPem,
          '-sha256',
          '-serial',
          '0x01',
          '-serial',
          '0x02',
          '-no_nonce',
        ]);
        assert.equal(r.status, 0, r.err);
        assert.match(r.err, /Response verify OK/);
        assert.match(r.out, /^0x01: good$/m);
        assert.match(r.out, /^0x02: revoked$/m);
        assert.match(r.out, /Reason: superseded/);
      });
    });
  }

  const errors = [
    ['malformedRequest', 1],
    ['internalError', 2],
    ['tryLater', 3],
    ['unauthorized', 6],
  ] as const;
  for (const [status, code] of errors) {
    test(`the ${status} response is the bare status (RFC 6960 §4.2.1)`, () => {
      const der = ocspErrorResponse(status);
      assert.deepEqual([...der], [0x30, 0x03, 0x0a, 0x01, code]);
      const r = openssl(['ocsp', '-respin', file(der, 'der'), '-resp_text', '-noverify']);
      assert.match(r.out, new RegExp(`Responder Error: ${status} \\(${code}\\)`, 'i'));
    });
  }
});

describe('OCSP responses built for many serials at once', () => {
  // RSA PKCS #1 v1.5 signatures are deterministic, so the batch builder's output can be
  // compared byte for byte with buildOcspResponse's for the same serial, times and status.
  test('each equals what buildOcspResponse signs for its serial, and openssl reads it', async () => {
    const ca = await makeCa('rsa-2048');
    const hashes = computeIssuerHashes(ca.issuer, 'sha1');
    const now = Date.now();
    const status: OcspCertStatus = { kind: 'revoked', revokedAt: now, reason: 1 };
    // Serials of different lengths, one with the high bit set (an INTEGER needing a 0x00 octet).
    const serials = [
      Buffer.from('01', 'hex'),
      Buffer.from('7f0102', 'hex'),
      randomBytes(16),
      Buffer.from('ff'.repeat(20), 'hex'),
    ];
    const batch = buildOcspResponsesForSerials(
      ca.issuer,
      { hashAlgorithm: OID_SHA1, hashes },
      now,
      serials,
      status,
      now,
      now + 4 * DAY,
    );
    assert.equal(batch.length, serials.length);
    serials.forEach((serial, i) => {
      const one = buildOcspResponse(ca.issuer, now, [
        { certId: encodeCertId(OID_SHA1, hashes, serial), status, thisUpdate: now, nextUpdate: now + 4 * DAY },
      ]);
      assert.deepEqual(batch[i], one, `serial ${serial.toString('hex')}`);
    });
    const r = openssl([
      'ocsp',
      '-respin',
      file(batch[1]!, 'der'),
      '-issuer',
      ca.issuingPem,
      '-CAfile',
      ca.rootPem,
      '-serial',
      '0x7f0102',
      '-no_nonce',
    ]);
    assert.equal(r.status, 0, r.err);
    assert.match(r.err, /Response verify OK/);
    assert.match(r.out, /^0x7F0102: revoked$/im);
    assert.match(r.out, /Reason: keyCompromise/);
  });
});
