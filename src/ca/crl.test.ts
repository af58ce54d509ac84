// CRLs checked by the real OpenSSL (`openssl crl -verify` against the issuing CA, the text
// dump for reasons, CRL number and IDP) and, for the streamed encoding, byte for byte
// against a naive encoding built from the generic DER writer.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHierarchy, loadIssuer, type Issuer } from './hierarchy.js';
import type { KeyAlgorithm } from './signer.js';
import { RevokedListWriter, buildCrl, type CrlFields, type RevokedEntry } from './crl.js';
import { authorityKeyIdentifier, extension } from './x509.js';
import { explicit, integer, sequence, x509Time } from '../crypto/der-writer.js';
import { encodingOf, readChildren, readDer } from '../crypto/der-reader.js';
import { toPem } from '../crypto/pem.js';
import { CertError } from '../domain/errors.js';

const random = { bytes: (n: number) => randomBytes(n) };
const NOW = Date.parse('2026-05-01T08:30:00Z');
const DAY = 86_400_000;
const PARTITION_URL = 'http://pki.certdesk.test/crl/issuing-p3.crl';

const dir = mkdtempSync(join(tmpdir(), 'certdesk-crl-'));
after(() => rmSync(dir, { recursive: true, force: true }));

let fileNo = 0;
function write(der: Buffer, label?: string): string {
  const path = join(dir, `f${++fileNo}`);
  writeFileSync(path, label ? toPem(label, der) : der);
  return path;
}

/** `openssl crl -verify` against the issuing CA; returns the text dump and what verify said. */
function opensslCrl(crl: Buffer, issuer: Issuer): { text: string; verify: string; status: number | null } {
  const r = spawnSync(
    'openssl',
    [
      'crl',
      '-inform',
      'DER',
      '-in',
      write(crl),
      '-CAfile',
      write(issuer.certDer, 'CERTIFICATE'),
      '-verify',
      '-text',
      '-noout',
    ],
    { encoding: 'utf8', maxBuffer: 256 << 20 },
  );
  return { text: r.stdout, verify: r.stderr, status: r.status };
}

/** Serials listed, as OpenSSL prints them (upper-case hex, one line each). */
function listedSerials(text: string): string[] {
  return [...text.matchAll(/Serial Number: ([0-9A-F]+)/g)].map((m) => m[1]!);
}

async function issuerFor(algorithm: KeyAlgorithm): Promise<Issuer> {
  const { issuing } = await createHierarchy({ algorithm, now: NOW - DAY, random });
  return loadIssuer(issuing.certDer, issuing.privateKeyPkcs8Der);
}

const REASON_TEXT: Array<[number | null, string | undefined]> = [
  [null, undefined],
  [0, undefined], // unspecified: the extension is omitted (RFC 5280 §5.3.1)
  [1, 'Key Compromise'],
  [3, 'Affiliation Changed'],
  [4, 'Superseded'],
  [5, 'Cessation Of Operation'],
  [9, 'Privilege Withdrawn'],
];

function serial(): string {
  return random
    .bytes(16)
    .toString('hex')
    .toUpperCase()
    .replace(/^[0-7]/, '1');
}

for (const algorithm of ['ecdsa-p256', 'ecdsa-p384', 'rsa-2048'] as const) {
  describe(`CRL signed by a ${algorithm} issuing CA`, () => {
    let issuer: Issuer;
    before(async () => {
      issuer = await issuerFor(algorithm);
    });

    test('lists every entry with its reason code, CRL number and AKI; openssl verifies it', async () => {
      const entries: RevokedEntry[] = REASON_TEXT.map(([reason], i) => ({
        serialHex: serial(),
        revokedAt: NOW - i * 3_600_000 + 123,
        reason,
      }));
      const crl = await buildCrl({ issuer, thisUpdate: NOW, nextUpdate: NOW + 7 * DAY, crlNumber: 42 }, entries);
      const { text, verify, status } = opensslCrl(crl, issuer);
      assert.equal(status, 0, verify);
      assert.match(verify, /verify OK/);
      assert.match(text, /Version 2 \(0x1\)/);
      assert.match(text, /X509v3 CRL Number: \n\s+42\n/);
      assert.match(
        text,
        new RegExp(
          `Authority Key Identifier: \\n\\s+(keyid:)?${[...issuer.keyId].map((b) => b.toString(16).padStart(2, '0').toUpperCase()).join(':')}`,
        ),
      );
      assert.match(text, /Last Update: May {2}1 08:30:00 2026 GMT/);
      assert.match(text, /Next Update: May {2}8 08:30:00 2026 GMT/);
      assert.doesNotMatch(text, /Issuing Distribution Point/, 'the full CRL has no IDP');
      assert.deepEqual(
        listedSerials(text),
        entries.map((e) => e.serialHex),
      );
      // Each entry's block runs from its serial to the next; its reason is there or absent.
      const blocks = text.split(/Serial Number: /).slice(1);
      REASON_TEXT.forEach(([, name], i) => {
        const block = blocks[i]!;
        if (name) assert.match(block, new RegExp(`X509v3 CRL Reason Code: \\n\\s+${name}`), `reason ${name}`);
        else assert.doesNotMatch(block, /CRL Reason Code/, 'no reasonCode for an unspecified reason');
      });
      assert.match(blocks[1]!, /Revocation Date: May {2}1 07:30:00 2026 GMT/, 'milliseconds are dropped');
    });

    test('a partition carries a critical issuingDistributionPoint naming its URL, user certificates only', async () => {
      const crl = await buildCrl(
        { issuer, thisUpdate: NOW, nextUpdate: NOW + 7 * DAY, crlNumber: 7, partitionUrl: PARTITION_URL },
        [{ serialHex: serial(), revokedAt: NOW, reason: 1 }],
      );
      const { text, verify, status } = opensslCrl(crl, issuer);
      assert.equal(status, 0, verify);
      assert.match(verify, /verify OK/);
      assert.match(
        text,
        /X509v3 Issuing Distribution Point: critical\n\s+Full Name:\n\s+URI:http:\/\/pki\.certdesk\.test\/crl\/issuing-p3\.crl\s+Only User Certificates/,
      );
    });
  });
}

describe('CRL encoding', () => {
  let issuer: Issuer;
  before(async () => {
    issuer = await issuerFor('ecdsa-p256');
  });

  test('an empty CRL leaves revokedCertificates out and still verifies', async () => {
    const crl = await buildCrl({ issuer, thisUpdate: NOW, nextUpdate: NOW + DAY, crlNumber: 1 }, []);
    const { text, verify, status } = opensslCrl(crl, issuer);
    assert.equal(status, 0, verify);
    assert.match(text, /No Revoked Certificates\./);
    // version, signature, issuer, thisUpdate, nextUpdate, crlExtensions: nothing between.
    assert.equal(readChildren(readChildren(readDer(crl))[0]!).length, 6);
  });

  /** TBSCertList built naively, one Buffer per entry, from the generic DER writer. */
  function naiveTbs(f: CrlFields, entries: RevokedEntry[]): Buffer {
    const list = entries.map((e) => {
      const hex = e.serialHex.length % 2 ? '0' + e.serialHex : e.serialHex;
      const ext =
        e.reason !== null && e.reason !== 0
          ? [sequence(extension('2.5.29.21', false, Buffer.from([0x0a, 0x01, e.reason])))]
          : [];
      return sequence(integer(Buffer.from(hex, 'hex')), x509Time(Math.floor(e.revokedAt / 1000) * 1000), ...ext);
    });
    return sequence(
      integer(1),
      f.issuer.signer.signatureAlgorithm,
      f.issuer.subjectDer,
      x509Time(f.thisUpdate),
      x509Time(f.nextUpdate),
      ...(list.length > 0 ? [sequence(...list)] : []),
      explicit(
        0,
        sequence(authorityKeyIdentifier(f.issuer.keyId), extension('2.5.29.20', false, integer(BigInt(f.crlNumber)))),
      ),
    );
  }

  const tbsOf = (crl: Buffer) => encodingOf(readChildren(readDer(crl))[0]!);

  // Sizes around the chunk and length-octet boundaries: 1-octet, 2-octet and 3-octet lengths,
  // and several chunks (4 KiB doubling to 1 MiB).
  for (const n of [1, 2, 3, 60, 1200, 30_000]) {
    test(`${n} entries stream to the same bytes as the naive encoding, from an iterable and an async iterable`, async () => {
      const reasons = [null, 1, 3, 4, 5, 9, 0];
      const serials = ['01', '7F', '80', '00FF', 'ABC', '0ABC', '7' + 'F'.repeat(39), '1'.repeat(40)];
      const entries: RevokedEntry[] = Array.from({ length: n }, (_, i) => ({
        serialHex: i < serials.length ? serials[i]! : serial(),
        revokedAt: NOW - i * 7919,
        reason: reasons[i % reasons.length]!,
      }));
      const f: CrlFields = { issuer, thisUpdate: NOW, nextUpdate: NOW + 7 * DAY, crlNumber: 2n ** 64n + BigInt(n) };
      const fromSync = await buildCrl(f, entries);
      const fromAsync = await buildCrl(
        f,
        (async function* () {
          for (const e of entries) yield e;
        })(),
      );
      const expected = naiveTbs(f, entries);
      assert.ok(tbsOf(fromSync).equals(expected), 'sync');
      assert.ok(tbsOf(fromAsync).equals(expected), 'async');
      if (n === 30_000) {
        const { text, verify, status } = opensslCrl(fromSync, issuer);
        assert.equal(status, 0, verify);
        assert.equal(listedSerials(text).length, n);
      }
    });
  }

  test('a time from 2050 on is a GeneralizedTime (RFC 5280 §5.1.2.4)', async () => {
    const late = Date.parse('2050-01-02T03:04:05Z');
    const f: CrlFields = { issuer, thisUpdate: late, nextUpdate: late + DAY, crlNumber: 3 };
    const entries = [{ serialHex: '0A', revokedAt: late, reason: null }];
    const crl = await buildCrl(f, entries);
    assert.ok(tbsOf(crl).equals(naiveTbs(f, entries)));
    assert.match(opensslCrl(crl, issuer).text, /Revocation Date: Jan {2}2 03:04:05 2050 GMT/);
  });

  test('revocation dates are encoded as x509Time() encodes them, 1950 to 2400 (leap days, the 2050 switch)', () => {
    const instants = [
      '1950-01-01T00:00:00Z',
      '1969-12-31T23:59:59Z',
      '2000-02-29T12:00:01Z',
      '2049-12-31T23:59:59Z',
      '2050-01-01T00:00:00Z',
      '2100-02-28T23:59:59Z',
      '2100-03-01T00:00:00Z',
      '2399-12-31T23:59:59Z',
    ].map((t) => Date.parse(t));
    // Every 37 days and 12,345 seconds, with milliseconds, across the range.
    for (let t = Date.parse('1950-01-01T00:00:00Z'); t < Date.parse('2400-01-01T00:00:00Z'); t += 37 * DAY + 12_345_678)
      instants.push(t);
    for (const t of instants) {
      const w = new RevokedListWriter();
      w.add({ serialHex: '01', revokedAt: t, reason: null });
      const der = Buffer.concat(w.takeChunks());
      // SEQUENCE, length, INTEGER 1: the Time follows at offset 5.
      assert.ok(der.subarray(5).equals(x509Time(Math.floor(t / 1000) * 1000)), new Date(t).toISOString());
    }
  });

  const bad: Array<[string, Partial<RevokedEntry>]> = [
    ['a serial that is not hex', { serialHex: 'XYZ' }],
    ['a zero serial', { serialHex: '0000' }],
    ['a serial over 20 octets', { serialHex: '8' + '0'.repeat(39) }],
    ['a serial with a non-hex digit inside', { serialHex: '01G2' }],
    ['a serial with a sign', { serialHex: '-1' }],
    ['certificateHold (no suspension, BR §4.9.13)', { reason: 6 }],
    ['the unused reason code 7', { reason: 7 }],
    ['removeFromCRL', { reason: 8 }],
  ];
  for (const [what, change] of bad) {
    test(`refuses ${what}`, async () => {
      const entry: RevokedEntry = { serialHex: '01', revokedAt: NOW, reason: null, ...change };
      await assert.rejects(
        buildCrl({ issuer, thisUpdate: NOW, nextUpdate: NOW + DAY, crlNumber: 1 }, [entry]),
        (e: unknown) => e instanceof CertError && e.kind === 'internal',
      );
    });
  }

  test('refuses a nextUpdate that does not follow thisUpdate, and a negative CRL number', async () => {
    await assert.rejects(buildCrl({ issuer, thisUpdate: NOW, nextUpdate: NOW, crlNumber: 1 }, []), CertError);
    await assert.rejects(buildCrl({ issuer, thisUpdate: NOW, nextUpdate: NOW + DAY, crlNumber: -1 }, []), CertError);
  });
});
