import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, createHash, createPublicKey } from 'node:crypto';
import {
  OID,
  assembleCertificate,
  authorityInfoAccess,
  authorityKeyIdentifier,
  basicConstraints,
  buildTbs,
  certificatePolicies,
  computeKeyId,
  crlDistributionPoints,
  decodeX509Time,
  encodeKeyUsageBits,
  encodeName,
  extKeyUsage,
  keyUsage,
  subjectAltName,
  type KeyUsage,
} from './x509.js';
import { createKeySigner, generateKeyPair } from './signer.js';
import { CertError } from '../domain/errors.js';
import { readDer } from '../crypto/der-reader.js';
import { tlv, x509Time } from '../crypto/der-writer.js';

const hex = (b: Buffer): string => b.toString('hex');

describe('extension encodings', () => {
  const keyUsageCases: Array<[KeyUsage[], string]> = [
    [['digitalSignature'], '03020780'],
    [['digitalSignature', 'keyEncipherment'], '030205a0'],
    [['digitalSignature', 'keyCertSign', 'cRLSign'], '03020186'],
    [['keyCertSign', 'cRLSign'], '03020106'],
    [['decipherOnly'], '0303070080'],
  ];
  for (const [usages, want] of keyUsageCases) {
    test(`keyUsage ${usages.join('+')} -> ${want}`, () => assert.equal(hex(encodeKeyUsageBits(usages)), want));
  }
  const cases: Array<[string, () => Buffer, string]> = [
    // Byte-for-byte what public CAs emit (e.g. Let's Encrypt leaves).
    ['basicConstraints cA=false, critical', () => basicConstraints(false), '300c0603551d130101ff04023000'],
    ['basicConstraints cA=true pathLen 0', () => basicConstraints(true, 0), '30120603551d130101ff040830060101ff020100'],
    ['keyUsage is critical', () => keyUsage(['digitalSignature']), '300e0603551d0f0101ff040403020780'],
    ['EKU serverAuth', () => extKeyUsage([OID.serverAuth]), '30130603551d25040c300a06082b06010505070301'],
    ['AKI keyIdentifier [0]', () => authorityKeyIdentifier(Buffer.from([1, 2])), '300d0603551d23040630048002' + '0102'],
    [
      'DV policy',
      () => certificatePolicies([{ policyId: OID.domainValidated }]),
      '30130603551d20040c300a3008060667810c010201',
    ],
    ['SAN dNSName', () => subjectAltName(['a.b'], false), '300e0603551d1104073005' + '8203612e62'],
    ['SAN critical', () => subjectAltName(['a.b'], true), '30110603551d110101ff04073005' + '8203612e62'],
    [
      'CRL DP fullName URI',
      () => crlDistributionPoints(['http://c']),
      '30190603551d1f0412' + '3010' + '300e' + 'a00c' + 'a00a' + '8608' + Buffer.from('http://c').toString('hex'),
    ],
    [
      'AIA OCSP then caIssuers',
      () => authorityInfoAccess({ caIssuers: 'http://i', ocsp: 'http://o' }),
      '303a06082b0601050507010104' +
        '2e302c' +
        '301406082b06010505073001' +
        '8608' +
        Buffer.from('http://o').toString('hex') +
        '301406082b06010505073002' +
        '8608' +
        Buffer.from('http://i').toString('hex'),
    ],
  ];
  for (const [name, f, want] of cases) test(name, () => assert.equal(hex(f()), want));

  test('SAN refuses non-ASCII names and empty lists', () => {
    assert.throws(
      () => subjectAltName(['bücher.example'], false),
      (e: unknown) => e instanceof CertError && e.kind === 'invalid_parameter',
    );
    assert.throws(
      () => subjectAltName([], false),
      (e: unknown) => e instanceof CertError,
    );
  });
  test('pathLen without cA is a programming error', () => assert.throws(() => basicConstraints(false, 0), CertError));
});

describe('names', () => {
  test('countryName is PrintableString, other attributes UTF8String, one RDN each', () => {
    const der = encodeName([
      [OID.countryName, 'CN'],
      [OID.organizationName, '示例公司'],
      [OID.commonName, 'a.example'],
    ]);
    // SEQUENCE { SET { SEQUENCE { OID 2.5.4.6, PrintableString "CN" } } ... }
    assert.equal(hex(der.subarray(0, 15)), '3038' + '310b' + '3009' + '0603550406' + '1302434e');
    assert.ok(der.includes(Buffer.concat([Buffer.from([0x0c, 12]), Buffer.from('示例公司')])));
    assert.ok(der.includes(Buffer.concat([Buffer.from([0x0c, 9]), Buffer.from('a.example')])));
  });
  test('a country outside PrintableString is refused', () =>
    assert.throws(
      () => encodeName([[OID.countryName, 'Ü']]),
      (e: unknown) => e instanceof CertError,
    ));
  test('empty name is an empty SEQUENCE', () => assert.equal(hex(encodeName([])), '3000'));
});

describe('key identifiers (RFC 5280 §4.2.1.2 method 1)', () => {
  test('SHA-1 over the subjectPublicKey bits', async () => {
    const spki = createKeySigner(await generateKeyPair('ecdsa-p256')).spki;
    // A P-256 SPKI ends with the 65-octet uncompressed point, which is the whole BIT STRING content.
    assert.deepEqual(
      computeKeyId(spki),
      createHash('sha1')
        .update(spki.subarray(spki.length - 65))
        .digest(),
    );
  });
  test('rejects something that is not an SPKI', () => assert.throws(() => computeKeyId(Buffer.from([0x30, 0x00]))));
});

describe('buildTbs + assembleCertificate', () => {
  for (const algorithm of ['ecdsa-p384', 'rsa-2048'] as const) {
    test(`${algorithm}: a self-signed certificate node verifies and reads back`, async () => {
      const signer = createKeySigner(await generateKeyPair(algorithm));
      const name = encodeName([[OID.commonName, 'unit test']]);
      const notBefore = Date.parse('2026-05-01T00:00:00Z');
      const tbs = buildTbs({
        serial: 0x0102030405060708090an,
        signatureAlgorithm: signer.signatureAlgorithm,
        issuer: name,
        notBefore,
        notAfter: Date.parse('2051-05-01T00:00:00Z'),
        subject: name,
        spki: signer.spki,
        extensions: [basicConstraints(true), keyUsage(['keyCertSign', 'cRLSign'])],
      });
      const cert = new X509Certificate(assembleCertificate(tbs, signer));
      assert.ok(cert.verify(createPublicKey({ key: signer.spki, format: 'der', type: 'spki' })));
      assert.equal(cert.subject, 'CN=unit test');
      assert.equal(cert.serialNumber.toUpperCase(), '0102030405060708090A');
      assert.equal(cert.ca, true);
      assert.equal(new Date(cert.validFrom).getTime(), notBefore);
      assert.equal(new Date(cert.validTo).toISOString(), '2051-05-01T00:00:00.000Z');
    });
  }
});

describe('decodeX509Time', () => {
  for (const iso of [
    '2026-05-01T00:00:00Z',
    '2049-12-31T23:59:59Z',
    '2050-01-01T00:00:00Z',
    '1999-01-01T00:00:00Z',
    '1950-01-01T00:00:00Z',
  ]) {
    test(`${iso} round-trips`, () => assert.equal(decodeX509Time(readDer(x509Time(Date.parse(iso)))), Date.parse(iso)));
  }
  const bad: Array<[string, number, string]> = [
    ['fractional seconds', 0x18, '20260501000000.5Z'],
    ['no Z', 0x17, '260501000000'],
    ['missing seconds', 0x17, '2605010000Z'],
    ['month 13', 0x17, '261301000000Z'],
    ['30 February', 0x17, '260230000000Z'],
    ['hour 24', 0x17, '260501240000Z'],
    ['UTCTime digits in a GeneralizedTime', 0x18, '260501000000Z'],
  ];
  for (const [name, tag, text] of bad) {
    test(`rejects ${name}`, () => assert.throws(() => decodeX509Time(readDer(tlv(tag, Buffer.from(text))))));
  }
});
