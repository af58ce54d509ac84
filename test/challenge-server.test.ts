// The loopback challenge server must behave like a real authoritative server, or the
// validation tests that rely on it prove nothing. Queried here with raw packets (UDP and TCP)
// and with node's own resolver.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import http from 'node:http';
import net from 'node:net';
import { Resolver } from 'node:dns/promises';
import { createHash, X509Certificate } from 'node:crypto';
import tls from 'node:tls';
import dnsPacket from 'dns-packet';
import type { Answer, DecodedPacket, RecordType } from 'dns-packet';
import { startChallengeServer, type ChallengeServer } from './challenge-server.js';

function hostPort(address: string): { host: string; port: number } {
  const colon = address.lastIndexOf(':');
  return { host: address.slice(0, colon), port: Number(address.slice(colon + 1)) };
}

let nextId = 1;
function encodeQuery(name: string, type: RecordType, edns = false): Buffer {
  return dnsPacket.encode({
    type: 'query',
    id: nextId++,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ type, name, class: 'IN' }],
    additionals: edns
      ? [
          {
            type: 'OPT',
            name: '.',
            udpPayloadSize: 4096,
            extendedRcode: 0,
            ednsVersion: 0,
            flags: 0,
            flag_do: false,
            options: [],
          },
        ]
      : [],
  });
}

type Decoded = DecodedPacket & { rcode?: string };

function queryUdp(address: string, name: string, type: RecordType, edns = false): Promise<Decoded> {
  const { host, port } = hostPort(address);
  const socket = dgram.createSocket('udp4');
  return new Promise<Decoded>((resolve, reject) => {
    socket.once('message', (msg) => resolve(dnsPacket.decode(msg)));
    socket.once('error', reject);
    socket.send(encodeQuery(name, type, edns), port, host);
  }).finally(() => socket.close());
}

/** Several queries pipelined on one TCP connection (RFC 7766 §6.2.1.1). */
function queryTcp(address: string, questions: Array<[string, RecordType]>): Promise<Decoded[]> {
  const { host, port } = hostPort(address);
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, host);
    const replies: Decoded[] = [];
    let pending = Buffer.alloc(0);
    socket.on('error', reject);
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 2 && pending.length >= 2 + pending.readUInt16BE(0)) {
        replies.push(dnsPacket.streamDecode(pending) as Decoded);
        pending = pending.subarray(2 + pending.readUInt16BE(0));
      }
      if (replies.length === questions.length) {
        socket.end();
        resolve(replies);
      }
    });
    socket.write(
      Buffer.concat(
        questions.map(([n, t]) =>
          dnsPacket.streamEncode({
            type: 'query',
            id: nextId++,
            questions: [{ type: t, name: n, class: 'IN' }],
          }),
        ),
      ),
    );
  });
}

function httpGet(
  port: number,
  host: string,
  path: string,
): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, headers: { Host: host }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), headers: res.headers }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

/** A comparable view of an answer: type, owner and data. */
function summarize(a: Answer): string {
  if (a.type === 'OPT') return 'OPT';
  const data = 'data' in a ? a.data : undefined;
  if (a.type === 'TXT') return `TXT ${a.name} ${(data as Buffer[]).map((b) => b.toString()).join('|')}`;
  if (a.type === 'CAA') {
    const caa = data as { flags: number; tag: string; value: string };
    return `CAA ${a.name} ${caa.flags} ${caa.tag} ${caa.value}`;
  }
  // The rest of the records in these tests (A, AAAA, CNAME, NS) carry their data as a string.
  return `${a.type} ${a.name} ${data as string}`;
}

describe('challenge server: DNS', () => {
  let cs: ChallengeServer;
  before(async () => {
    cs = await startChallengeServer();
    cs.setA('www.example.test', ['192.0.2.10', '192.0.2.11']);
    cs.setAaaa('www.example.test', ['2001:db8::10']);
    cs.setA('deep.ent.example.test', ['192.0.2.20']);
    cs.setCname('alias.example.test', 'www.example.test');
    cs.setCname('dangling.example.test', 'gone.example.test');
    cs.setServfail('broken.example.test');
    cs.setCaa('caa.example.test', [
      { flags: 0, tag: 'issue', value: 'ca.example' },
      { flags: 128, tag: 'tbs', value: 'unknown' },
    ]);
    cs.setTxt('long.example.test', ['x'.repeat(300)]);
  });
  after(() => cs.close());

  const cases: Array<{ name: string; q: string; type: RecordType; rcode: string; answers: string[] }> = [
    {
      name: 'A records, authoritative',
      q: 'www.example.test',
      type: 'A',
      rcode: 'NOERROR',
      answers: ['A www.example.test 192.0.2.10', 'A www.example.test 192.0.2.11'],
    },
    {
      name: 'names are case-insensitive',
      q: 'WWW.Example.TEST',
      type: 'AAAA',
      rcode: 'NOERROR',
      answers: ['AAAA www.example.test 2001:db8::10'],
    },
    { name: 'existing name, other type: NODATA', q: 'www.example.test', type: 'TXT', rcode: 'NOERROR', answers: [] },
    { name: 'unknown name: NXDOMAIN', q: 'nothing.example.test', type: 'A', rcode: 'NXDOMAIN', answers: [] },
    {
      name: 'empty non-terminal: NODATA, not NXDOMAIN',
      q: 'ent.example.test',
      type: 'A',
      rcode: 'NOERROR',
      answers: [],
    },
    {
      name: 'CNAME answered and chased',
      q: 'alias.example.test',
      type: 'A',
      rcode: 'NOERROR',
      answers: [
        'CNAME alias.example.test www.example.test',
        'A www.example.test 192.0.2.10',
        'A www.example.test 192.0.2.11',
      ],
    },
    {
      name: 'CNAME asked for itself',
      q: 'alias.example.test',
      type: 'CNAME',
      rcode: 'NOERROR',
      answers: ['CNAME alias.example.test www.example.test'],
    },
    {
      name: 'CNAME to a missing name: NXDOMAIN with the CNAME',
      q: 'dangling.example.test',
      type: 'TXT',
      rcode: 'NXDOMAIN',
      answers: ['CNAME dangling.example.test gone.example.test'],
    },
    { name: 'SERVFAIL on demand', q: 'broken.example.test', type: 'CAA', rcode: 'SERVFAIL', answers: [] },
    {
      name: 'CAA with the critical flag and any tag',
      q: 'caa.example.test',
      type: 'CAA',
      rcode: 'NOERROR',
      answers: ['CAA caa.example.test 0 issue ca.example', 'CAA caa.example.test 128 tbs unknown'],
    },
    {
      name: 'long TXT split into 255-byte strings',
      q: 'long.example.test',
      type: 'TXT',
      rcode: 'NOERROR',
      answers: [`TXT long.example.test ${'x'.repeat(255)}|${'x'.repeat(45)}`],
    },
  ];
  for (const c of cases) {
    test(c.name, async () => {
      const res = await queryUdp(cs.dnsAddress, c.q, c.type);
      assert.equal(res.type, 'response');
      assert.equal(res.rcode, c.rcode);
      assert.equal(res.flag_rd, true, 'RD is copied from the query');
      if (c.rcode !== 'SERVFAIL') assert.equal(res.flag_aa, true);
      assert.deepEqual((res.answers ?? []).map(summarize), c.answers);
    });
  }

  test('clear() and setServfail(name, false) undo earlier settings', async () => {
    cs.setA('temp.example.test', ['192.0.2.30']);
    assert.equal((await queryUdp(cs.dnsAddress, 'temp.example.test', 'A')).answers?.length, 1);
    cs.clear('temp.example.test');
    assert.equal((await queryUdp(cs.dnsAddress, 'temp.example.test', 'A')).rcode, 'NXDOMAIN');

    cs.setServfail('flaky.example.test');
    cs.setA('flaky.example.test', ['192.0.2.31']);
    assert.equal((await queryUdp(cs.dnsAddress, 'flaky.example.test', 'A')).rcode, 'SERVFAIL');
    cs.setServfail('flaky.example.test', false);
    assert.deepEqual((await queryUdp(cs.dnsAddress, 'flaky.example.test', 'A')).answers?.map(summarize), [
      'A flaky.example.test 192.0.2.31',
    ]);
  });

  test('answers pipelined queries over TCP on the same port', async () => {
    const [a, b] = await queryTcp(cs.dnsAddress, [
      ['www.example.test', 'A'],
      ['nothing.example.test', 'TXT'],
    ]);
    assert.equal(a?.rcode, 'NOERROR');
    assert.equal(a?.flag_aa, true);
    assert.deepEqual(a?.answers?.map(summarize), ['A www.example.test 192.0.2.10', 'A www.example.test 192.0.2.11']);
    assert.equal(b?.rcode, 'NXDOMAIN');
  });

  test("a UDP answer over the client's buffer is truncated (TC), within it is whole", async () => {
    const values = Array.from({ length: 6 }, (_, i) => `${i}`.repeat(400)); // ~2.5 kB
    cs.setTxt('wide.example.test', values);

    const plain = await queryUdp(cs.dnsAddress, 'wide.example.test', 'TXT');
    assert.equal(plain.flag_tc, true, 'no EDNS: 512-byte limit');
    assert.equal(plain.answers?.length, 0);
    const withEdns = await queryUdp(cs.dnsAddress, 'wide.example.test', 'TXT', true);
    assert.equal(withEdns.flag_tc, false, 'EDNS buffer of 4096 bytes');
    assert.equal(withEdns.answers?.length, 6);
    assert.ok(
      withEdns.additionals?.some((a) => a.type === 'OPT'),
      'EDNS answered with EDNS',
    );
  });

  test('the query log records each question with its transport', async () => {
    await queryUdp(cs.dnsAddress, 'Logged.Example.Test', 'CAA');
    const last = cs.dnsQueries().at(-1);
    assert.deepEqual(last, { name: 'logged.example.test', type: 'CAA', transport: 'udp' });
  });
});

describe('challenge server: HTTP', () => {
  let cs: ChallengeServer;
  before(async () => {
    cs = await startChallengeServer();
  });
  after(() => cs.close());

  test('routes by Host header without its port, with status, headers and body', async () => {
    cs.setHttp('Site.Example.test', '/file.txt', { status: 201, body: 'hello', headers: { 'X-Test': 'yes' } });
    cs.setHttp('other.example.test', '/file.txt', { body: 'other' });

    const hit = await httpGet(cs.httpPort, `site.example.test:${cs.httpPort}`, '/file.txt');
    assert.equal(hit.status, 201);
    assert.equal(hit.body, 'hello');
    assert.equal(hit.headers['x-test'], 'yes');
    const other = await httpGet(cs.httpPort, 'other.example.test', '/file.txt?x=1');
    assert.deepEqual([other.status, other.body], [200, 'other']);
    assert.equal((await httpGet(cs.httpPort, 'site.example.test', '/missing')).status, 404);
    assert.equal((await httpGet(cs.httpPort, 'unknown.example.test', '/file.txt')).status, 404);
  });

  test('clearHttp(host) forgets that host only', async () => {
    cs.setHttp('a.example.test', '/', { body: 'a' });
    cs.setHttp('b.example.test', '/', { body: 'b' });
    cs.clearHttp('a.example.test');
    assert.equal((await httpGet(cs.httpPort, 'a.example.test', '/')).status, 404);
    assert.equal((await httpGet(cs.httpPort, 'b.example.test', '/')).body, 'b');
  });

  test('close() returns while a delayed response is still pending', async () => {
    const slow = await startChallengeServer();
    slow.setHttp('slow.example.test', '/', { body: 'late', delayMs: 60_000 });
    const pending = httpGet(slow.httpPort, 'slow.example.test', '/').then(
      () => 'answered',
      () => 'aborted',
    );
    // Give the request a moment to reach the server (not an assertion: if it has not
    // arrived yet the connection is refused, which is also 'aborted').
    await new Promise((r) => setTimeout(r, 50));
    await slow.close();
    assert.equal(await pending, 'aborted');
  });
});

describe('challenge server with node resolver', () => {
  let cs: ChallengeServer;
  before(async () => {
    cs = await startChallengeServer();
  });
  after(() => cs.close());

  test("a TXT answer bigger than the EDNS buffer reaches node's resolver over TCP", async () => {
    const values = Array.from({ length: 8 }, (_, i) => `${i}`.repeat(400)); // ~3.3 kB > 1232
    cs.setTxt('big.example.test', values);
    const resolver = new Resolver({ timeout: 2000, tries: 2 });
    resolver.setServers([cs.dnsAddress]);
    const records = await resolver.resolveTxt('big.example.test');
    assert.deepEqual(
      records.map((chunks) => chunks.join('')),
      values,
    );
    const transports = cs
      .dnsQueries()
      .filter((q) => q.name === 'big.example.test')
      .map((q) => q.transport);
    assert.ok(transports.includes('tcp'), `expected a TCP retry, saw ${transports.join(',')}`);
  });
});

// The tls-alpn-01 responder, seen by a bare node:tls client (the validator's own tests are in
// src/validation/tls-alpn-01.test.ts).
describe('challenge server: tls-alpn-01', () => {
  let cs: ChallengeServer;
  before(async () => {
    cs = await startChallengeServer();
  });
  after(() => cs.close());

  function handshake(servername: string): Promise<{ alpn: string | false | null; cert: X509Certificate } | string> {
    return new Promise((resolve) => {
      const socket = tls.connect({
        host: '127.0.0.1',
        port: cs.tlsAlpnPort,
        servername,
        ALPNProtocols: ['acme-tls/1'],
        rejectUnauthorized: false,
      });
      socket.once('secureConnect', () => {
        resolve({ alpn: socket.alpnProtocol, cert: socket.getPeerX509Certificate()! });
        socket.destroy();
      });
      socket.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
    });
  }

  test('a registered name gets acme-tls/1 and its validation certificate', async () => {
    cs.setTlsAlpn('alpn.example.test', { keyAuthorization: 'token.thumbprint' });
    const got = await handshake('alpn.example.test');
    if (typeof got === 'string') assert.fail(`handshake failed: ${got}`);
    assert.equal(got.alpn, 'acme-tls/1');
    assert.equal(got.cert.subjectAltName, 'DNS:alpn.example.test');
    assert.ok(got.cert.checkIssued(got.cert) && got.cert.verify(got.cert.publicKey), 'self-signed');
    // RFC 8737 §3: critical (01 01 ff) id-pe-acmeIdentifier holding OCTET STRING (04 20) of the digest.
    const digest = createHash('sha256').update('token.thumbprint').digest('hex');
    assert.ok(got.cert.raw.toString('hex').includes(`06082b0601050507011f0101ff04220420${digest}`));
    assert.deepEqual(cs.tlsServerNames().slice(-1), ['alpn.example.test']);
  });

  test('an unknown name, or one set to refuse, gets the no_application_protocol alert', async () => {
    assert.equal(await handshake('unknown.example.test'), 'ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL');
    cs.setTlsAlpn('refuse.example.test', { keyAuthorization: 'x', refuseAlpn: true });
    assert.equal(await handshake('refuse.example.test'), 'ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL');
    cs.setTlsAlpn('cleared.example.test', { keyAuthorization: 'x' });
    cs.clearTlsAlpn('cleared.example.test');
    assert.equal(await handshake('cleared.example.test'), 'ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL');
  });
});
