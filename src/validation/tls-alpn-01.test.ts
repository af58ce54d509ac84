// tls-alpn-01 (RFC 8737, RFC 8738 §6) through the real node:tls connector against the
// challenge server's tls-alpn-01 responder, whose certificates are each wrong in one way.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import tls from 'node:tls';
import { sequence, octetString } from '../crypto/der-writer.js';
import { startChallengeServer, type ChallengeServer, type TlsAlpnSpec } from '../../test/challenge-server.js';
import { acmeTlsCertificate } from '../../test/tls-alpn-responder.js';
import { createDnsResolver } from './dns-resolver.js';
import { reverseDnsName } from './ip-identifier.js';
import type { DnsResolver, TlsConnector } from './ports.js';
import { createTlsConnector } from './tls-connector.js';
import { checkTlsAlpn01, TLS_ALPN_01_BR_METHOD, TLS_ALPN_01_IP_BR_METHOD } from './tls-alpn-01.js';

const KEY_AUTH = 'evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA.9jg46WB3rR_AHD-EBXdN7cBkH1WOu0tA3M9fm21mqTI';

describe('checkTlsAlpn01', () => {
  let cs: ChallengeServer;
  let deps: { resolver: DnsResolver; tls: TlsConnector };
  const names: Record<string, Partial<TlsAlpnSpec>> = {
    'ok.test': {},
    'fallback.test': {},
    'wrong-digest.test': { keyAuthorization: `${KEY_AUTH}x` },
    'no-extension.test': { omitAcmeIdentifier: true },
    'non-critical.test': { critical: false },
    // The digest wrapped in a SEQUENCE: right bytes, wrong type.
    'not-octet-string.test': {},
    'wrong-san.test': { san: [{ dns: 'other.test' }] },
    'extra-san.test': { san: [{ dns: 'extra-san.test' }, { dns: 'www.extra-san.test' }] },
    'no-san.test': { omitSan: true },
    'ip-san.test': { san: [{ ip: '127.0.0.1' }] },
    'upper-san.test': { san: [{ dns: 'UPPER-SAN.test' }] },
    'not-self-signed.test': { notSelfSigned: true },
    'refuse-alpn.test': { refuseAlpn: true },
  };

  before(async () => {
    cs = await startChallengeServer();
    deps = {
      resolver: createDnsResolver({ server: cs.dnsAddress, timeoutMs: 1000, tries: 2 }),
      tls: createTlsConnector(),
    };
    for (const [name, spec] of Object.entries(names)) {
      cs.setA(name, name === 'fallback.test' ? ['127.0.0.2', '127.0.0.1'] : ['127.0.0.1']); // nothing listens on .2
      const digestInSequence =
        name === 'not-octet-string.test' ? { acmeIdentifierValue: sequence(octetString(Buffer.alloc(32))) } : {};
      cs.setTlsAlpn(name, { keyAuthorization: KEY_AUTH, ...spec, ...digestInSequence });
    }
    cs.setA('unregistered.test', ['127.0.0.1']);
    cs.setA('private.test', ['127.0.0.1']);
    cs.setTxt('noaddress.test', ['x']);
    cs.setServfail('broken.test');
    // IP identifiers: the responder is asked under the reverse name (RFC 8738 §6).
    cs.setTlsAlpn(reverseDnsName('127.0.0.1'), { keyAuthorization: KEY_AUTH, san: [{ ip: '127.0.0.1' }] });
  });
  after(() => cs.close());

  const check = (identifier: string, over: { allowPrivate?: boolean; port?: number; timeoutMs?: number } = {}) =>
    checkTlsAlpn01(deps, {
      identifier,
      keyAuthorization: KEY_AUTH,
      port: over.port ?? cs.tlsAlpnPort,
      allowPrivate: over.allowPrivate ?? true,
      timeoutMs: over.timeoutMs ?? 5000,
    });
  const at = (name: string, address = '127.0.0.1'): string => `${name} (${address}) on port ${cs.tlsAlpnPort}`;
  const cert = (name: string, why: string): string => `The acme-tls/1 certificate from ${at(name)} ${why}.`;

  const cases: Array<{ name: string; identifier: string; reason?: (id: string) => string; problem?: string }> = [
    { name: 'a correct responder passes', identifier: 'ok.test' },
    { name: 'case and a trailing dot in the identifier do not matter', identifier: 'OK.test.' },
    // DNS names compare without case (RFC 4343), in the certificate as elsewhere.
    { name: 'a SAN in other case still names the identifier', identifier: 'upper-san.test' },
    { name: 'the first address refuses, the next one answers', identifier: 'fallback.test' },
    { name: 'an IPv4 identifier: reverse name as SNI, iPAddress SAN (RFC 8738 §6)', identifier: '127.0.0.1' },
    {
      name: 'wrong digest',
      identifier: 'wrong-digest.test',
      reason: (id) => cert(id, 'does not carry the SHA-256 digest of the key authorization'),
      problem: 'unauthorized',
    },
    {
      name: 'missing acmeIdentifier extension',
      identifier: 'no-extension.test',
      reason: (id) => cert(id, 'has no acmeIdentifier extension'),
      problem: 'unauthorized',
    },
    {
      // RFC 8737 §3: "The acmeIdentifier extension MUST be critical".
      name: 'acmeIdentifier not critical',
      identifier: 'non-critical.test',
      reason: (id) => cert(id, 'has an acmeIdentifier extension that is not marked critical'),
      problem: 'unauthorized',
    },
    {
      name: 'acmeIdentifier value is not an OCTET STRING',
      identifier: 'not-octet-string.test',
      reason: (id) => cert(id, 'has an acmeIdentifier extension that is not an OCTET STRING'),
      problem: 'unauthorized',
    },
    {
      name: 'SAN names another host',
      identifier: 'wrong-san.test',
      reason: (id) => cert(id, `does not name ${id} in its subjectAltName`),
      problem: 'unauthorized',
    },
    {
      // RFC 8737 §3: the identifier "and no other entries".
      name: 'SAN names the host and one more',
      identifier: 'extra-san.test',
      reason: (id) => cert(id, `must name only ${id} in its subjectAltName (it has 2 names)`),
      problem: 'unauthorized',
    },
    {
      name: 'no SAN',
      identifier: 'no-san.test',
      reason: (id) => cert(id, 'has no subjectAltName'),
      problem: 'unauthorized',
    },
    {
      // A dns identifier needs a dNSName, not the address it resolves to.
      name: 'an iPAddress SAN for a dns identifier',
      identifier: 'ip-san.test',
      reason: (id) => cert(id, `does not name ${id} in its subjectAltName`),
      problem: 'unauthorized',
    },
    {
      name: 'signed by another key under another name',
      identifier: 'not-self-signed.test',
      reason: (id) => cert(id, 'is not self-signed'),
      problem: 'unauthorized',
    },
    {
      name: 'the server refuses acme-tls/1 (no_application_protocol alert)',
      identifier: 'refuse-alpn.test',
      reason: (id) => `The TLS server at ${at(id)} does not offer the acme-tls/1 protocol.`,
      problem: 'tls',
    },
    {
      // The responder's fallback for unknown names refuses acme-tls/1, as an ordinary server would.
      name: 'no certificate registered for the name',
      identifier: 'unregistered.test',
      reason: (id) => `The TLS server at ${at(id)} does not offer the acme-tls/1 protocol.`,
      problem: 'tls',
    },
    {
      name: 'a wildcard is refused before any connection (BR §3.2.2.4.20)',
      identifier: '*.ok.test',
      reason: () => 'tls-alpn-01 cannot validate the wildcard name *.ok.test; use dns-01 or dns-account-01.',
      problem: 'unauthorized',
    },
    {
      name: 'no address',
      identifier: 'noaddress.test',
      reason: (id) => `${id} has no A or AAAA record.`,
      problem: 'dns',
    },
    {
      name: 'SERVFAIL',
      identifier: 'broken.test',
      reason: (id) => `DNS lookup for ${id} failed (SERVFAIL); try again later.`,
      problem: 'dns',
    },
  ];
  for (const c of cases) {
    test(c.name, async () => {
      const result = await check(c.identifier);
      if (c.reason === undefined) {
        assert.deepEqual(result, { ok: true });
        return;
      }
      const id = c.identifier.toLowerCase().replace(/\.$/, '');
      const expected: Record<string, unknown> = { ok: false, reason: c.reason(id) };
      if (c.identifier.startsWith('*.')) expected.permanent = true;
      expected.problem = c.problem;
      assert.deepEqual(result, expected);
    });
  }

  test('SNI is the name; for an IP it is the reverse name, and no DNS lookup is made', async () => {
    const sniBefore = cs.tlsServerNames().length;
    const dnsBefore = cs.dnsQueries().length;
    assert.deepEqual(await check('127.0.0.1'), { ok: true });
    assert.deepEqual(cs.tlsServerNames().slice(sniBefore), ['1.0.0.127.in-addr.arpa']);
    assert.equal(cs.dnsQueries().length, dnsBefore);
    assert.deepEqual(await check('ok.test'), { ok: true });
    assert.deepEqual(cs.tlsServerNames().slice(sniBefore + 1), ['ok.test']);
  });

  test('an IP identifier whose certificate names it as a dNSName fails', async () => {
    cs.setTlsAlpn(reverseDnsName('127.0.0.1'), { keyAuthorization: KEY_AUTH, san: [{ dns: '127.0.0.1' }] });
    try {
      assert.deepEqual(await check('127.0.0.1'), {
        ok: false,
        reason: `The acme-tls/1 certificate from 127.0.0.1 (127.0.0.1) on port ${cs.tlsAlpnPort} does not name 127.0.0.1 in its subjectAltName.`,
        problem: 'unauthorized',
      });
    } finally {
      cs.setTlsAlpn(reverseDnsName('127.0.0.1'), { keyAuthorization: KEY_AUTH, san: [{ ip: '127.0.0.1' }] });
    }
  });

  test('non-public targets are refused unless allowPrivate', async () => {
    assert.deepEqual(await check('private.test', { allowPrivate: false }), {
      ok: false,
      reason: 'private.test resolves only to non-public addresses.',
      problem: 'connection',
    });
    assert.deepEqual(await check('127.0.0.1', { allowPrivate: false }), {
      ok: false,
      reason: '127.0.0.1 is not a public address; certdesk does not connect to it.',
      permanent: true,
      problem: 'connection',
    });
  });

  test('nothing listening', async () => {
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    assert.deepEqual(await check('ok.test', { port }), {
      ok: false,
      reason: `Could not connect to ok.test (127.0.0.1) on port ${port}.`,
      problem: 'connection',
    });
  });

  test('a server that accepts and never answers times out', async () => {
    const silent = net.createServer(() => undefined);
    const sockets: net.Socket[] = [];
    silent.on('connection', (s) => sockets.push(s));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as net.AddressInfo).port;
    try {
      assert.deepEqual(await check('ok.test', { port, timeoutMs: 300 }), {
        ok: false,
        reason: `The TLS handshake with ok.test (127.0.0.1) on port ${port} did not complete within 300 ms.`,
        problem: 'connection',
      });
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  test('a correct certificate without ALPN negotiated is refused (RFC 8737 §3)', async () => {
    // A TLS server that ignores ALPN entirely but presents a perfect validation certificate.
    const good = acmeTlsCertificate('ok.test', { keyAuthorization: KEY_AUTH });
    const plain = tls.createServer({ cert: good.certPem, key: good.keyPem }, (s) => s.end());
    plain.on('tlsClientError', () => undefined);
    await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
    const port = (plain.address() as net.AddressInfo).port;
    try {
      assert.deepEqual(await check('ok.test', { port }), {
        ok: false,
        reason: `The TLS server at ok.test (127.0.0.1) on port ${port} negotiated no protocol instead of acme-tls/1.`,
        problem: 'tls',
      });
    } finally {
      await new Promise<void>((resolve) => plain.close(() => resolve()));
    }
  });

  test('a plain TCP service that is not TLS fails the handshake', async () => {
    // resume(): a socket that never reads never sees the client leave, and close() would wait.
    const notTls = net.createServer((s) => s.end('SSH-2.0-OpenSSH_9.2\r\n').resume());
    await new Promise<void>((resolve) => notTls.listen(0, '127.0.0.1', resolve));
    const port = (notTls.address() as net.AddressInfo).port;
    try {
      assert.deepEqual(await check('ok.test', { port }), {
        ok: false,
        reason: `The TLS handshake with ok.test (127.0.0.1) on port ${port} failed.`,
        problem: 'tls',
      });
    } finally {
      await new Promise<void>((resolve) => notTls.close(() => resolve()));
    }
  });

  test('an IPv6 identifier: ip6.arpa SNI, 16-octet iPAddress SAN (server on ::1)', async () => {
    const good = acmeTlsCertificate(reverseDnsName('::1'), { keyAuthorization: KEY_AUTH, san: [{ ip: '::1' }] });
    const sni: string[] = [];
    const v6 = tls.createServer(
      {
        cert: good.certPem,
        key: good.keyPem,
        ALPNCallback: ({ servername, protocols }) => {
          sni.push(servername ?? '');
          return protocols.includes('acme-tls/1') ? 'acme-tls/1' : undefined;
        },
      },
      (s) => s.end(),
    );
    v6.on('tlsClientError', () => undefined);
    await new Promise<void>((resolve) => v6.listen(0, '::1', resolve));
    const port = (v6.address() as net.AddressInfo).port;
    try {
      // Any textual form of the address; it is normalized before use.
      assert.deepEqual(await check('0:0:0:0:0:0:0:1', { port }), { ok: true });
      assert.deepEqual(sni, [`1.${'0.'.repeat(31)}ip6.arpa`]);
    } finally {
      await new Promise<void>((resolve) => v6.close(() => resolve()));
    }
  });

  test('BR methods', () => {
    assert.equal(TLS_ALPN_01_BR_METHOD, '3.2.2.4.20');
    assert.equal(TLS_ALPN_01_IP_BR_METHOD, '3.2.2.5.7');
  });
});
