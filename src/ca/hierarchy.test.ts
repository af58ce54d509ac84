// End to end through the real OpenSSL: for each CA algorithm, build the hierarchy, check it
// verifies and carries the BR CA profile, then issue a DV leaf (fresh EC key) and an OV leaf
// (fresh RSA key) and verify them for the sslserver purpose.

import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, createPublicKey, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHierarchy, loadIssuer, type IssuerMaterial } from './hierarchy.js';
import { lintLeafTbs, prepareLeafTbs, signLeaf, type LeafIssuer, type LeafRequest } from './leaf-profile.js';
import { generateSerial } from './serial.js';
import { generateKeyPair, type KeyAlgorithm } from './signer.js';
import { toPem } from '../crypto/pem.js';
import { CertError } from '../domain/errors.js';

const random = { bytes: (n: number) => randomBytes(n) };
const NOW = Date.parse('2026-05-01T08:30:00Z');
const DAY = 86_400_000;
// OpenSSL checks validity against -attime, so the tests do not depend on the wall clock.
const AT = String(Math.floor((NOW + DAY) / 1000));
const PUBLIC = 'https://pki.certdesk.test';

const dir = mkdtempSync(join(tmpdir(), 'certdesk-ca-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function openssl(...args: string[]): string {
  return execFileSync('openssl', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function writePem(name: string, der: Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, toPem('CERTIFICATE', der));
  return path;
}

const SIGNATURE_NAME: Record<KeyAlgorithm, string> = {
  'ecdsa-p256': 'ecdsa-with-SHA256',
  'ecdsa-p384': 'ecdsa-with-SHA384',
  'rsa-2048': 'sha256WithRSAEncryption',
  'rsa-3072': 'sha256WithRSAEncryption',
  'rsa-4096': 'sha256WithRSAEncryption',
};

async function subscriberSpki(algorithm: KeyAlgorithm): Promise<Buffer> {
  return createPublicKey(await generateKeyPair(algorithm)).export({ type: 'spki', format: 'der' });
}

describe('createHierarchy + leaf issuance, verified by openssl', () => {
  // RSA-4096 is the one slow case (two 4096-bit keys); everything else reuses the same steps.
  const algorithms: KeyAlgorithm[] = ['ecdsa-p256', 'ecdsa-p384', 'rsa-2048', 'rsa-3072', 'rsa-4096'];
  for (const algorithm of algorithms) {
    test(algorithm, async () => {
      const { root, issuing } = await createHierarchy({ algorithm, now: NOW, random, publicUrl: PUBLIC + '/' });
      const rootPem = writePem(`${algorithm}-root.pem`, root.certDer);
      const issuingPem = writePem(`${algorithm}-issuing.pem`, issuing.certDer);
      assert.match(openssl('verify', '-attime', AT, '-CAfile', rootPem, issuingPem), /: OK\s*$/);

      checkRoot(root, algorithm);
      checkIssuing(issuing, root, algorithm);

      const issuer = loadIssuer(issuing.certDer, issuing.privateKeyPkcs8Der);
      assert.deepEqual(issuer.subjectDer, issuing.subjectDer);
      assert.deepEqual(issuer.keyId, issuing.keyId);
      assert.equal(issuer.algorithm, algorithm);
      const leafIssuer: LeafIssuer = {
        issuer,
        caIssuersUrl: `${PUBLIC}/ca/issuing.cer`,
        crlUrl: `${PUBLIC}/crl/e1.crl`,
      };

      // DV, fresh P-256 subscriber key.
      const dv: LeafRequest = {
        serial: generateSerial(random),
        notBefore: NOW,
        notAfter: NOW + 199 * DAY,
        spki: await subscriberSpki('ecdsa-p256'),
        dnsNames: ['www.example.com', 'example.com', '*.api.example.com'],
        policy: 'dv',
        keyType: 'ec',
      };
      const dvCert = issue(leafIssuer, dv, `${algorithm}-dv.pem`, rootPem, issuingPem);
      assert.equal(dvCert.x509.subject, 'CN=www.example.com');
      assert.match(
        dvCert.text,
        /X509v3 Subject Alternative Name: \n\s+DNS:www\.example\.com, DNS:example\.com, DNS:\*\.api\.example\.com\n/,
      );
      assert.match(dvCert.text, /Policy: 2\.23\.140\.1\.2\.1\n/);
      assert.doesNotMatch(dvCert.text, /2\.23\.140\.1\.2\.2/);
      assert.match(dvCert.text, /X509v3 Key Usage: critical\n\s+Digital Signature\n/);
      assert.equal(dvCert.x509.publicKey.asymmetricKeyType, 'ec');

      // OV, fresh RSA-2048 subscriber key.
      const ov: LeafRequest = {
        serial: generateSerial(random),
        notBefore: NOW,
        notAfter: NOW + 90 * DAY,
        spki: await subscriberSpki('rsa-2048'),
        dnsNames: ['shop.example.org'],
        policy: 'ov',
        keyType: 'rsa',
        subject: {
          organization: 'Example Trading Co., Ltd.',
          country: 'CN',
          province: 'Zhejiang',
          locality: 'Hangzhou',
        },
      };
      const ovCert = issue(leafIssuer, ov, `${algorithm}-ov.pem`, rootPem, issuingPem);
      assert.equal(
        ovCert.x509.subject,
        'C=CN\nST=Zhejiang\nL=Hangzhou\nO=Example Trading Co.\\, Ltd.\nCN=shop.example.org',
      );
      assert.match(
        ovCert.text,
        /Subject: C = CN, ST = Zhejiang, L = Hangzhou, O = "Example Trading Co., Ltd.", CN = shop\.example\.org\n/,
      );
      assert.match(ovCert.text, /Policy: 2\.23\.140\.1\.2\.2\n/);
      assert.match(ovCert.text, /X509v3 Key Usage: critical\n\s+Digital Signature, Key Encipherment\n/);
      assert.equal(ovCert.x509.subjectAltName, 'DNS:shop.example.org');

      for (const [cert, req] of [
        [dvCert, dv],
        [ovCert, ov],
      ] as const) {
        const { x509, text } = cert;
        assert.equal(x509.serialNumber.toLowerCase(), req.serial.toString('hex'));
        assert.equal(req.serial.length, 16);
        assert.equal(new Date(x509.validFrom).getTime(), req.notBefore);
        assert.equal(new Date(x509.validTo).getTime(), req.notAfter);
        assert.equal(x509.issuer, 'C=XX\nO=certdesk\nCN=certdesk Issuing CA E1');
        assert.equal(x509.ca, false);
        assert.deepEqual(x509.keyUsage, ['1.3.6.1.5.5.7.3.1'], 'EKU is serverAuth only');
        assert.ok(x509.checkIssued(new X509Certificate(issuing.certDer)));
        assert.ok(x509.verify(new X509Certificate(issuing.certDer).publicKey));
        assert.equal(x509.infoAccess?.trim(), `CA Issuers - URI:${PUBLIC}/ca/issuing.cer`);
        assert.match(text, /X509v3 Extended Key Usage: \n\s+TLS Web Server Authentication\n/);
        assert.match(text, /X509v3 Basic Constraints: critical\n\s+CA:FALSE\n/);
        assert.match(text, new RegExp(`X509v3 Authority Key Identifier: \\n\\s+${colonHex(issuing.keyId)}\\n`));
        assert.match(
          text,
          new RegExp(`CRL Distribution Points: \\n\\s+Full Name:\\n\\s+URI:${PUBLIC}/crl/e1\\.crl\\n`),
        );
        assert.doesNotMatch(text, /Subject Key Identifier/, 'SKI is NOT RECOMMENDED for subscribers');
        assert.match(text, new RegExp(`Signature Algorithm: ${SIGNATURE_NAME[algorithm]}\\n`));
      }
    });
  }
});

function colonHex(b: Buffer): string {
  return b.toString('hex').toUpperCase().match(/../g)!.join(':');
}

function issue(
  li: LeafIssuer,
  req: LeafRequest,
  file: string,
  rootPem: string,
  issuingPem: string,
): { x509: X509Certificate; text: string } {
  const tbs = prepareLeafTbs(li, req);
  lintLeafTbs(tbs, li);
  const der = signLeaf(li, tbs);
  const path = writePem(file, der);
  assert.match(
    openssl('verify', '-attime', AT, '-purpose', 'sslserver', '-CAfile', rootPem, '-untrusted', issuingPem, path),
    /: OK\s*$/,
  );
  return { x509: new X509Certificate(der), text: openssl('x509', '-in', path, '-noout', '-text') };
}

function checkRoot(root: IssuerMaterial, algorithm: KeyAlgorithm): void {
  const x509 = new X509Certificate(root.certDer);
  assert.equal(root.algorithm, algorithm);
  assert.equal(x509.subject, 'C=XX\nO=certdesk\nCN=certdesk Root CA R1');
  assert.equal(x509.issuer, x509.subject);
  assert.ok(x509.verify(x509.publicKey));
  assert.equal(x509.ca, true);
  // ~25 years: the notAfter falls in 2051, encoded as GeneralizedTime (RFC 5280 §4.1.2.5).
  assert.equal(new Date(x509.validFrom).toISOString(), '2026-05-01T08:30:00.000Z');
  assert.equal(new Date(x509.validTo).toISOString(), '2051-05-01T08:29:59.000Z');
  assert.ok(root.certDer.includes(Buffer.from('20510501082959Z')));
  assert.equal(x509.serialNumber.length, 32);
  const text = openssl('x509', '-noout', '-text', '-in', writePem('tmp-root.pem', root.certDer));
  assert.match(text, /X509v3 Basic Constraints: critical\n\s+CA:TRUE\n/);
  assert.match(text, /X509v3 Key Usage: critical\n\s+Digital Signature, Certificate Sign, CRL Sign\n/);
  assert.match(text, new RegExp(`X509v3 Subject Key Identifier: \\n\\s+${colonHex(root.keyId)}\\n`));
  assert.doesNotMatch(text, /Extended Key Usage|Certificate Policies/);
}

function checkIssuing(issuing: IssuerMaterial, root: IssuerMaterial, algorithm: KeyAlgorithm): void {
  const x509 = new X509Certificate(issuing.certDer);
  assert.equal(x509.subject, 'C=XX\nO=certdesk\nCN=certdesk Issuing CA E1');
  assert.ok(x509.checkIssued(new X509Certificate(root.certDer)));
  assert.equal(new Date(x509.validTo).toISOString(), '2034-05-01T08:29:59.000Z');
  assert.deepEqual(x509.keyUsage, ['1.3.6.1.5.5.7.3.1']);
  const text = openssl('x509', '-noout', '-text', '-in', writePem('tmp-issuing.pem', issuing.certDer));
  assert.match(text, /X509v3 Basic Constraints: critical\n\s+CA:TRUE, pathlen:0\n/);
  assert.match(text, /X509v3 Key Usage: critical\n\s+Digital Signature, Certificate Sign, CRL Sign\n/);
  assert.match(text, /X509v3 Extended Key Usage: \n\s+TLS Web Server Authentication\n/);
  // BR 7.1.2.10.5 affiliated-CA form: anyPolicy alone, no reserved OID (lint e_ca_multiple_reserved_policy_oids).
  assert.match(text, /X509v3 Certificate Policies: \n\s+Policy: X509v3 Any Policy\n(?!\s+Policy:)/);
  assert.doesNotMatch(text, /2\.23\.140\.1\.2/);
  assert.match(text, new RegExp(`X509v3 Subject Key Identifier: \\n\\s+${colonHex(issuing.keyId)}\\n`));
  assert.match(text, new RegExp(`X509v3 Authority Key Identifier: \\n\\s+${colonHex(root.keyId)}\\n`));
  assert.match(text, new RegExp(`CA Issuers - URI:${PUBLIC}/ca/root\\.cer\\n`));
  assert.match(text, new RegExp(`URI:${PUBLIC}/crl/root\\.crl\\n`));
  assert.match(text, new RegExp(`Signature Algorithm: ${SIGNATURE_NAME[algorithm]}\\n`));
}

describe('createHierarchy options', () => {
  test('custom names and country; no publicUrl means no AIA and no CRL DP', async () => {
    const { root, issuing } = await createHierarchy({
      algorithm: 'ecdsa-p256',
      now: NOW,
      random,
      rootName: 'Acme Root X',
      issuingName: 'Acme TLS E9',
      organization: 'Acme',
      country: 'DE',
    });
    assert.equal(new X509Certificate(root.certDer).subject, 'C=DE\nO=Acme\nCN=Acme Root X');
    const x509 = new X509Certificate(issuing.certDer);
    assert.equal(x509.subject, 'C=DE\nO=Acme\nCN=Acme TLS E9');
    assert.equal(x509.infoAccess, undefined);
    const text = openssl('x509', '-noout', '-text', '-in', writePem('custom-issuing.pem', issuing.certDer));
    assert.doesNotMatch(text, /CRL Distribution Points/);
    assert.match(
      openssl(
        'verify',
        '-attime',
        AT,
        '-CAfile',
        writePem('custom-root.pem', root.certDer),
        join(dir, 'custom-issuing.pem'),
      ),
      /: OK\s*$/,
    );
  });

  for (const country of ['Germany', 'de', 'QQ', 'UK', '']) {
    test(`country "${country}" (not ISO 3166-1 alpha-2) is refused`, async () => {
      await assert.rejects(
        createHierarchy({ algorithm: 'ecdsa-p256', now: NOW, random, country }),
        (e: unknown) => e instanceof CertError && e.kind === 'invalid_parameter',
      );
    });
  }

  test('an empty or over-long organization is refused', async () => {
    for (const organization of ['  ', 'x'.repeat(65)]) {
      await assert.rejects(
        createHierarchy({ algorithm: 'ecdsa-p256', now: NOW, random, organization }),
        (e: unknown) => e instanceof CertError && e.kind === 'invalid_parameter',
      );
    }
  });
});

describe('loadIssuer', () => {
  const hierarchy = createHierarchy({ algorithm: 'ecdsa-p256', now: NOW, random });

  test('reads subject bytes, key id and validity from the certificate', async () => {
    const { issuing } = await hierarchy;
    const issuer = loadIssuer(issuing.certDer, issuing.privateKeyPkcs8Der);
    assert.deepEqual(issuer.spki, issuing.spki);
    assert.equal(issuer.notBefore, Math.floor(NOW / 1000) * 1000);
    assert.equal(new Date(issuer.notAfter).toISOString(), '2034-05-01T08:29:59.000Z');
    assert.ok(issuing.certDer.includes(issuer.subjectDer));
  });

  const failures: Array<[string, (h: Awaited<typeof hierarchy>) => [Buffer, Buffer], string]> = [
    ['a key that belongs to another certificate', (h) => [h.issuing.certDer, h.root.privateKeyPkcs8Der], 'bad_key'],
    ['a key that is not PKCS #8', (h) => [h.issuing.certDer, Buffer.from('nope')], 'bad_key'],
    [
      'a certificate that does not parse',
      (h) => [Buffer.from([0x30, 0x00]), h.issuing.privateKeyPkcs8Der],
      'bad_certificate',
    ],
  ];
  for (const [name, pick, kind] of failures) {
    test(`refuses ${name} (${kind})`, async () => {
      const [cert, key] = pick(await hierarchy);
      assert.throws(
        () => loadIssuer(cert, key),
        (e: unknown) => e instanceof CertError && e.kind === kind && !/BEGIN|PRIVATE/.test(e.message),
      );
    });
  }

  test('refuses a subscriber certificate as issuer', async () => {
    const { issuing } = await hierarchy;
    const li: LeafIssuer = {
      issuer: loadIssuer(issuing.certDer, issuing.privateKeyPkcs8Der),
      caIssuersUrl: 'http://x/ca',
      crlUrl: 'http://x/crl',
    };
    const leafKey = await generateKeyPair('ecdsa-p256');
    const spki = createPublicKey(leafKey).export({ type: 'spki', format: 'der' });
    const leaf = signLeaf(
      li,
      prepareLeafTbs(li, {
        serial: generateSerial(random),
        notBefore: NOW,
        notAfter: NOW + DAY,
        spki,
        dnsNames: ['a.example'],
        policy: 'dv',
        keyType: 'ec',
      }),
    );
    assert.throws(
      () => loadIssuer(leaf, leafKey.export({ type: 'pkcs8', format: 'der' })),
      (e: unknown) => e instanceof CertError && e.kind === 'bad_certificate',
    );
  });
});
