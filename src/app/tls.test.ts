// The listeners' TLS sources: the self-issued certificate is re-issued before it expires, and
// operator-provided files are re-read when they change (a half-written pair is not taken).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHierarchy, loadIssuer, type Issuer } from '../ca/hierarchy.js';
import { ipAddressBytes } from '../ca/listener-certificate.js';
import { silentLogger } from './logger.js';
import { fileTlsSource, listenerNames, selfIssuedTlsSource, type TlsMaterial } from './tls.js';

const random = { bytes: (n: number) => randomBytes(n) };
const clock = { now: () => Date.now() };

async function hierarchy(): Promise<{ issuing: Issuer }> {
  const m = await createHierarchy({ algorithm: 'ecdsa-p256', now: Date.now(), random, publicUrl: 'http://pki.test' });
  return { issuing: loadIssuer(m.issuing.certDer, m.issuing.privateKeyPkcs8Der) };
}

/** The sources' timers are unref'd (they must not keep a server alive): hold the loop while waiting. */
async function holding<T>(p: Promise<T>): Promise<T> {
  const hold = setInterval(() => {}, 1000);
  try {
    return await p;
  } finally {
    clearInterval(hold);
  }
}

const leafOf = (m: TlsMaterial) =>
  new X509Certificate(m.cert.slice(0, m.cert.indexOf('-----END CERTIFICATE-----') + 25));

test('listenerNames: the public host and specific listen addresses, loopback always, wildcards never', () => {
  assert.deepEqual(listenerNames(['ca.example.com', '0.0.0.0', '10.0.0.5', '::', 'CA.example.com']), [
    'ca.example.com',
    '10.0.0.5',
    'localhost',
    '127.0.0.1',
    '::1',
  ]);
});

test('iPAddress bytes of IPv4 and IPv6 (RFC 5280 §4.2.1.6)', () => {
  assert.equal(ipAddressBytes('127.0.0.1').toString('hex'), '7f000001');
  assert.equal(ipAddressBytes('::1').toString('hex'), '00000000000000000000000000000001');
  assert.equal(ipAddressBytes('2001:db8::8:1').toString('hex'), '20010db8000000000000000000080001');
  assert.equal(ipAddressBytes('::ffff:10.1.2.3').toString('hex'), '00000000000000000000ffff0a010203');
});

test('the self-issued certificate names the listener, chains to the issuing CA, and is re-issued before it expires', async () => {
  const h = await hierarchy();
  const source = await selfIssuedTlsSource({
    issuer: h.issuing,
    names: listenerNames(['ca.example.com']),
    clock,
    random,
    logger: silentLogger,
    lifetimeMs: 900,
  });
  try {
    const first = leafOf(source.current());
    assert.ok(first.checkIssued(new X509Certificate(h.issuing.certDer)));
    assert.ok(first.verify(new X509Certificate(h.issuing.certDer).publicKey));
    assert.equal(first.checkHost('ca.example.com'), 'ca.example.com');
    assert.equal(first.checkIP('::1'), '::1');
    assert.match(first.keyUsage?.join(',') ?? '', /1\.3\.6\.1\.5\.5\.7\.3\.1/);
    const renewed = await holding(new Promise<TlsMaterial>((resolve) => source.onChange(resolve)));
    assert.notEqual(leafOf(renewed).serialNumber, first.serialNumber);
    assert.equal(leafOf(source.current()).serialNumber, leafOf(renewed).serialNumber);
  } finally {
    source.close();
  }
});

test('certificate files are re-read when they change; a mismatched pair is not taken', async () => {
  const h = await hierarchy();
  const dir = mkdtempSync(join(tmpdir(), 'certdesk-tlsfile-'));
  const issue = async () =>
    (
      await selfIssuedTlsSource({ issuer: h.issuing, names: ['localhost'], clock, random, logger: silentLogger })
    ).current();
  const a = await issue();
  const b = await issue();
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  writeFileSync(cert, a.cert);
  writeFileSync(key, a.key);
  const source = fileTlsSource({ certFile: cert, keyFile: key, logger: silentLogger, pollMs: 20 });
  try {
    assert.equal(source.current().cert, a.cert);
    const changed = new Promise<TlsMaterial>((resolve) => source.onChange(resolve));
    // Half of a renewal: the new certificate with the old key is refused, the old pair kept.
    writeFileSync(cert, b.cert);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(source.current().cert, a.cert);
    writeFileSync(key, b.key);
    assert.equal((await holding(changed)).cert, b.cert);
  } finally {
    source.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
