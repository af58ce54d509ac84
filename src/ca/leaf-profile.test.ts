import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { createHierarchy, loadIssuer, type Issuer, type IssuerMaterial } from './hierarchy.js';
import { lintLeafTbs, prepareLeafTbs, signLeaf, type LeafIssuer, type LeafRequest } from './leaf-profile.js';
import { generateSerial } from './serial.js';
import {
  OID,
  authorityInfoAccess,
  authorityKeyIdentifier,
  basicConstraints,
  buildTbs,
  certificatePolicies,
  crlDistributionPoints,
  encodeKeyUsageBits,
  encodeName,
  extKeyUsage,
  extension,
  keyUsage,
  subjectAltName,
  subjectKeyIdentifier,
  type TbsFields,
} from './x509.js';
import { contextPrimitive, sequence } from '../crypto/der-writer.js';
import { toPem } from '../crypto/pem.js';
import { CertError } from '../domain/errors.js';

const random = { bytes: (n: number) => randomBytes(n) };
const NOW = Date.parse('2026-05-01T00:00:00Z');
const DAY = 86_400_000;
const ecSpki = createPublicKey(generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey).export({
  type: 'spki',
  format: 'der',
});
const rsaSpki = createPublicKey(generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey).export({
  type: 'spki',
  format: 'der',
});
const edSpki = createPublicKey(generateKeyPairSync('ed25519').privateKey).export({ type: 'spki', format: 'der' });

let root: IssuerMaterial;
let issuer: Issuer;
let li: LeafIssuer;
before(async () => {
  const h = await createHierarchy({ algorithm: 'ecdsa-p256', now: NOW - DAY, random });
  root = h.root;
  issuer = loadIssuer(h.issuing.certDer, h.issuing.privateKeyPkcs8Der);
  li = { issuer, caIssuersUrl: 'http://pki.test/ca/e1.cer', crlUrl: 'http://pki.test/crl/e1.crl' };
});

const isInvalid = (e: unknown): boolean => e instanceof CertError && e.kind === 'invalid_parameter';

function request(over: Partial<LeafRequest> = {}): LeafRequest {
  return {
    serial: Buffer.from('0102030405060708090a0b0c0d0e0f10', 'hex'),
    notBefore: NOW,
    notAfter: NOW + 90 * DAY,
    spki: ecSpki,
    dnsNames: ['a.example', 'b.example'],
    policy: 'dv',
    keyType: 'ec',
    ...over,
  };
}

/** The subscriber profile written out plainly with the x509 helpers, for comparison and for the lint table. */
function plainFields(over: Partial<TbsFields> = {}, extOver: Partial<Record<string, Buffer | null>> = {}): TbsFields {
  const exts: Array<[string, Buffer]> = [
    ['ku', keyUsage(['digitalSignature'])],
    ['eku', extKeyUsage([OID.serverAuth])],
    ['bc', basicConstraints(false)],
    ['aki', authorityKeyIdentifier(issuer.keyId)],
    ['aia', authorityInfoAccess({ caIssuers: li.caIssuersUrl })],
    ['san', subjectAltName(['a.example', 'b.example'], false)],
    ['pol', certificatePolicies([{ policyId: OID.domainValidated }])],
    ['crl', crlDistributionPoints([li.crlUrl])],
  ];
  const extensions: Buffer[] = [];
  for (const [k, v] of exts) {
    const o = extOver[k];
    if (o === null) continue;
    extensions.push(o ?? v);
  }
  if (extOver.extra) extensions.push(extOver.extra);
  return {
    serial: Buffer.from('0102030405060708090a0b0c0d0e0f10', 'hex'),
    signatureAlgorithm: issuer.signer.signatureAlgorithm,
    issuer: issuer.subjectDer,
    notBefore: NOW,
    notAfter: NOW + 90 * DAY,
    subject: encodeName([[OID.commonName, 'a.example']]),
    spki: ecSpki,
    extensions,
    ...over,
  };
}

describe('prepareLeafTbs', () => {
  test('the template output is byte-identical to the profile written out plainly, and lints clean', () => {
    const tbs = prepareLeafTbs(li, request());
    assert.deepEqual(tbs, buildTbs(plainFields()));
    lintLeafTbs(tbs, li);
  });

  test('signLeaf produces a certificate the issuing CA key verifies', () => {
    const tbs = prepareLeafTbs(li, request());
    const der = signLeaf(li, tbs);
    const x509 = new X509Certificate(der);
    assert.ok(x509.verify(createPublicKey({ key: issuer.spki, format: 'der', type: 'spki' })));
    assert.ok(der.subarray(4, 4 + tbs.length).equals(tbs), 'the signed certificate embeds the recorded TBS unchanged');
  });

  test('DV subject defaults to the first name', () => {
    assert.equal(new X509Certificate(signLeaf(li, prepareLeafTbs(li, request()))).subject, 'CN=a.example');
  });

  test("commonName '' gives an empty subject and a critical SAN", () => {
    const tbs = prepareLeafTbs(li, request({ subject: { commonName: '' } }));
    lintLeafTbs(tbs, li);
    const der = signLeaf(li, tbs);
    assert.equal(new X509Certificate(der).subject ?? '', '');
    const text = execFileSync('openssl', ['x509', '-noout', '-text'], {
      input: toPem('CERTIFICATE', der),
      encoding: 'utf8',
    });
    assert.match(text, /X509v3 Subject Alternative Name: critical\n\s+DNS:a\.example, DNS:b\.example\n/);
  });

  test('IP addresses (RFC 8738) go in iPAddress SANs after the DNS names; addresses alone: empty subject', () => {
    const mixed = prepareLeafTbs(li, request({ dnsNames: ['a.example'], ipAddresses: ['192.0.2.7', '2001:db8::1'] }));
    lintLeafTbs(mixed, li);
    const x = new X509Certificate(signLeaf(li, mixed));
    assert.equal(x.subject, 'CN=a.example');
    assert.equal(x.subjectAltName, 'DNS:a.example, IP Address:192.0.2.7, IP Address:2001:DB8:0:0:0:0:0:1');
    const only = prepareLeafTbs(li, request({ dnsNames: [], ipAddresses: ['::1'] }));
    lintLeafTbs(only, li);
    const text = execFileSync('openssl', ['x509', '-noout', '-text'], {
      input: toPem('CERTIFICATE', signLeaf(li, only)),
      encoding: 'utf8',
    });
    assert.match(text, /X509v3 Subject Alternative Name: critical\n\s+IP Address:0:0:0:0:0:0:0:1\n/);
    assert.throws(() => prepareLeafTbs(li, request({ dnsNames: [], ipAddresses: [] })), isInvalid);
    assert.throws(() => prepareLeafTbs(li, request({ ipAddresses: ['::1', '::1'] })), isInvalid);
  });

  test('a first name longer than 64 characters is left out of the subject (ub-common-name)', () => {
    const long = `${'x'.repeat(60)}.example`;
    const tbs = prepareLeafTbs(li, request({ dnsNames: [long, 'b.example'] }));
    lintLeafTbs(tbs, li);
    assert.equal(new X509Certificate(signLeaf(li, tbs)).subject ?? '', '');
  });

  test('an explicit commonName must be one of the names (any case)', () => {
    const tbs = prepareLeafTbs(li, request({ subject: { commonName: 'B.example' } }));
    lintLeafTbs(tbs, li);
    assert.equal(new X509Certificate(signLeaf(li, tbs)).subject, 'CN=B.example');
    assert.throws(() => prepareLeafTbs(li, request({ subject: { commonName: 'c.example' } })), isInvalid);
  });

  test('DV never copies identity attributes', () => {
    const tbs = prepareLeafTbs(li, request({ subject: { organization: 'Evil Corp', country: 'US', locality: 'X' } }));
    assert.equal(new X509Certificate(signLeaf(li, tbs)).subject, 'CN=a.example');
  });

  test('OV carries C, ST, L, O, CN in BR §7.1.4.2 order and the OV policy', () => {
    const tbs = prepareLeafTbs(
      li,
      request({
        policy: 'ov',
        keyType: 'rsa',
        spki: rsaSpki,
        subject: { organization: '示例', country: 'CN', locality: 'Hangzhou' },
      }),
    );
    lintLeafTbs(tbs, li);
    const x509 = new X509Certificate(signLeaf(li, tbs));
    assert.equal(x509.subject, 'C=CN\nL=Hangzhou\nO=示例\nCN=a.example');
    assert.ok(tbs.includes(Buffer.from('060667810c010202', 'hex')));
  });

  test('OCSP URL, when configured, goes into AIA; each LeafIssuer keeps its own template', () => {
    const withOcsp: LeafIssuer = { ...li, ocspUrl: 'http://ocsp.pki.test' };
    const tbs = prepareLeafTbs(withOcsp, request());
    lintLeafTbs(tbs, withOcsp);
    const aia = new X509Certificate(signLeaf(withOcsp, tbs)).infoAccess ?? '';
    assert.match(aia, /OCSP - URI:http:\/\/ocsp\.pki\.test/);
    assert.match(aia, /CA Issuers - URI:http:\/\/pki\.test\/ca\/e1\.cer/);
    assert.doesNotMatch(new X509Certificate(signLeaf(li, prepareLeafTbs(li, request()))).infoAccess ?? '', /OCSP/);
  });

  test('a serial with its high bit set is padded and stays positive', () => {
    const serial = Buffer.from('ff0102030405060708090a0b0c0d0e0f', 'hex');
    const tbs = prepareLeafTbs(li, request({ serial }));
    lintLeafTbs(tbs, li);
    assert.ok(
      tbs.includes(Buffer.concat([Buffer.from([0x02, 17, 0x00]), serial])),
      'INTEGER of 17 octets with a 0x00 pad',
    );
    assert.equal(new X509Certificate(signLeaf(li, tbs)).serialNumber.toLowerCase(), serial.toString('hex'));
  });

  test('random serials from generateSerial lint clean', () => {
    for (let i = 0; i < 20; i++) lintLeafTbs(prepareLeafTbs(li, request({ serial: generateSerial(random) })), li);
  });

  const refused: Array<[string, Partial<LeafRequest>, (e: unknown) => boolean]> = [
    ['no DNS names', { dnsNames: [] }, isInvalid],
    ['a repeated DNS name', { dnsNames: ['a.example', 'A.example'] }, isInvalid],
    ['a non-ASCII DNS name', { dnsNames: ['bücher.example'] }, isInvalid],
    ['OV without organization', { policy: 'ov', subject: { country: 'CN', locality: 'X' } }, isInvalid],
    ['OV without province or locality', { policy: 'ov', subject: { organization: 'O', country: 'CN' } }, isInvalid],
    [
      'OV with a lower-case country',
      { policy: 'ov', subject: { organization: 'O', country: 'cn', locality: 'X' } },
      isInvalid,
    ],
    [
      'OV with a 65-character organization',
      { policy: 'ov', subject: { organization: 'o'.repeat(65), country: 'CN', locality: 'X' } },
      isInvalid,
    ],
    ['an empty serial', { serial: Buffer.alloc(0) }, isInvalid],
    ['a key that is not an SPKI', { spki: Buffer.from('nope') }, (e) => e instanceof CertError && e.kind === 'bad_key'],
  ];
  for (const [name, over, check] of refused)
    test(`refuses ${name}`, () => assert.throws(() => prepareLeafTbs(li, request(over)), check));
});

describe('lintLeafTbs (BR §4.3.1.2 pre-issuance lint)', () => {
  const ok: Array<[string, () => TbsFields]> = [
    ['the plain profile', () => plainFields()],
    [
      'DV with countryName',
      () =>
        plainFields({
          subject: encodeName([
            [OID.countryName, 'CN'],
            [OID.commonName, 'a.example'],
          ]),
        }),
    ],
    [
      'RSA key with keyEncipherment',
      () => plainFields({ spki: rsaSpki }, { ku: keyUsage(['digitalSignature', 'keyEncipherment']) }),
    ],
    [
      'OCSP instead of a CRL DP',
      () =>
        plainFields({}, { crl: null, aia: authorityInfoAccess({ caIssuers: li.caIssuersUrl, ocsp: 'http://o.test' }) }),
    ],
    ['no basicConstraints (MAY)', () => plainFields({}, { bc: null })],
  ];
  for (const [name, fields] of ok)
    test(`passes: ${name}`, () => assert.doesNotThrow(() => lintLeafTbs(buildTbs(fields()), li)));

  const bad: Array<[string, () => Buffer, RegExp]> = [
    [
      '7-octet serial',
      () => buildTbs(plainFields({ serial: randomBytes(7).fill(1, 0, 1) })),
      /serial must be 8 to 20 octets/,
    ],
    ['21-octet serial', () => buildTbs(plainFields({ serial: Buffer.alloc(21, 1) })), /serial must be 8 to 20 octets/],
    ['negative serial', () => buildTbs(plainFields({ serial: -(1n << 70n) })), /serial must be positive/],
    ['zero serial', () => buildTbs(plainFields({ serial: 0n })), /serial must be 8 to 20 octets/],
    ['notAfter equal to notBefore', () => buildTbs(plainFields({ notAfter: NOW })), /notBefore must precede notAfter/],
    [
      'validity past the issuer',
      () => buildTbs(plainFields({ notAfter: NOW + 9 * 365 * DAY })),
      /validity exceeds the issuer/,
    ],
    ['issuer name not the CA subject', () => buildTbs(plainFields({ issuer: root.subjectDer })), /issuer name differs/],
    [
      'signature algorithm of another key type',
      () => buildTbs(plainFields({ signatureAlgorithm: Buffer.from('300d06092a864886f70d01010b0500', 'hex') })),
      /signature algorithm/,
    ],
    ['Ed25519 subscriber key', () => buildTbs(plainFields({ spki: edSpki })), /RSA or EC/],
    ['no SAN', () => buildTbs(plainFields({}, { san: null })), /subjectAltName is required/],
    [
      'SAN with a URI',
      () =>
        buildTbs(
          plainFields(
            {},
            { san: extension(OID.subjectAltName, false, sequence(contextPrimitive(6, Buffer.from('http://a')))) },
          ),
        ),
      /only dNSName and iPAddress/,
    ],
    [
      'SAN empty',
      () => buildTbs(plainFields({}, { san: extension(OID.subjectAltName, false, sequence()) })),
      /subjectAltName is empty/,
    ],
    [
      'SAN repeats a name',
      () => buildTbs(plainFields({}, { san: subjectAltName(['a.example', 'A.EXAMPLE'], false) })),
      /repeats a name/,
    ],
    [
      'CN not among the SANs',
      () => buildTbs(plainFields({ subject: encodeName([[OID.commonName, 'c.example']]) })),
      /commonName is not one of the subjectAltName/,
    ],
    [
      'empty subject with non-critical SAN',
      () => buildTbs(plainFields({ subject: encodeName([]) })),
      /critical exactly when the subject is empty/,
    ],
    [
      'critical SAN with a subject',
      () => buildTbs(plainFields({}, { san: subjectAltName(['a.example', 'b.example'], true) })),
      /critical exactly when/,
    ],
    [
      'DV subject with organizationName',
      () =>
        buildTbs(
          plainFields({
            subject: encodeName([
              [OID.organizationName, 'O'],
              [OID.commonName, 'a.example'],
            ]),
          }),
        ),
      /DV subject may hold only/,
    ],
    [
      'OV policy without organizationName',
      () => buildTbs(plainFields({}, { pol: certificatePolicies([{ policyId: OID.organizationValidated }]) })),
      /OV subject needs/,
    ],
    [
      'subject attribute outside the profile',
      () =>
        buildTbs(
          plainFields({
            subject: encodeName([
              ['2.5.4.11', 'IT'],
              [OID.commonName, 'a.example'],
            ]),
          }),
        ),
      /not allowed in the subscriber profile/,
    ],
    [
      'EKU with clientAuth too',
      () => buildTbs(plainFields({}, { eku: extKeyUsage([OID.serverAuth, OID.clientAuth]) })),
      /serverAuth only/,
    ],
    ['no EKU', () => buildTbs(plainFields({}, { eku: null })), /extKeyUsage is required/],
    [
      'keyUsage with keyCertSign',
      () => buildTbs(plainFields({}, { ku: keyUsage(['digitalSignature', 'keyCertSign']) })),
      /not allowed for this key type/,
    ],
    [
      'keyEncipherment on an EC key',
      () => buildTbs(plainFields({}, { ku: keyUsage(['digitalSignature', 'keyEncipherment']) })),
      /not allowed for this key type/,
    ],
    [
      'keyUsage without digitalSignature',
      () => buildTbs(plainFields({ spki: rsaSpki }, { ku: keyUsage(['keyEncipherment']) })),
      /must include digitalSignature/,
    ],
    [
      'keyUsage not critical',
      () => buildTbs(plainFields({}, { ku: extension(OID.keyUsage, false, encodeKeyUsageBits(['digitalSignature'])) })),
      /keyUsage must be critical/,
    ],
    ['no keyUsage', () => buildTbs(plainFields({}, { ku: null })), /keyUsage is required/],
    ['basicConstraints cA=true', () => buildTbs(plainFields({}, { bc: basicConstraints(true) })), /cA false/],
    [
      'subjectKeyIdentifier present',
      () => buildTbs(plainFields({}, { extra: subjectKeyIdentifier(Buffer.alloc(20, 1)) })),
      /not allowed in the subscriber profile/,
    ],
    [
      'nameConstraints present',
      () => buildTbs(plainFields({}, { extra: extension(OID.nameConstraints, true, sequence()) })),
      /not allowed in the subscriber profile/,
    ],
    [
      'duplicate extension',
      () => buildTbs(plainFields({}, { extra: extKeyUsage([OID.serverAuth]) })),
      /duplicate extension/,
    ],
    [
      'AKI of another CA',
      () => buildTbs(plainFields({}, { aki: authorityKeyIdentifier(root.keyId) })),
      /authorityKeyIdentifier does not match/,
    ],
    ['no AKI', () => buildTbs(plainFields({}, { aki: null })), /authorityKeyIdentifier is required/],
    ['no AIA', () => buildTbs(plainFields({}, { aia: null })), /authorityInfoAccess is required/],
    [
      'AIA without caIssuers',
      () => buildTbs(plainFields({}, { aia: authorityInfoAccess({ ocsp: 'http://o.test' }) })),
      /needs a caIssuers URL/,
    ],
    [
      'AIA with an ldap URL',
      () => buildTbs(plainFields({}, { aia: authorityInfoAccess({ caIssuers: 'ldap://x' }) })),
      /http\(s\) URL/,
    ],
    ['neither CRL DP nor OCSP', () => buildTbs(plainFields({}, { crl: null })), /crlDistributionPoints is required/],
    [
      'both DV and OV policies',
      () =>
        buildTbs(
          plainFields(
            {},
            { pol: certificatePolicies([{ policyId: OID.domainValidated }, { policyId: OID.organizationValidated }]) },
          ),
        ),
      /exactly one reserved/,
    ],
    [
      'anyPolicy',
      () =>
        buildTbs(
          plainFields(
            {},
            { pol: certificatePolicies([{ policyId: OID.domainValidated }, { policyId: OID.anyPolicy }]) },
          ),
        ),
      /anyPolicy/,
    ],
    ['no certificatePolicies', () => buildTbs(plainFields({}, { pol: null })), /certificatePolicies is required/],
    ['no extensions at all', () => buildTbs({ ...plainFields(), extensions: [] }), /TBS must have/],
    ['truncated DER', () => buildTbs(plainFields()).subarray(0, 100), /malformed TBS certificate/],
  ];
  for (const [name, make, message] of bad) {
    test(`fails: ${name}`, () => {
      assert.throws(
        () => lintLeafTbs(make(), li),
        (e: unknown) =>
          e instanceof CertError && e.kind === 'internal' && e.message.startsWith('lint: ') && message.test(e.message),
      );
    });
  }
});
