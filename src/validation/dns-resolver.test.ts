// createDnsResolver against the real loopback DNS server: the mapping of DNS outcomes to
// "empty" versus DnsLookupError is what CAA safety rests on (BR 3.2.2.8, RFC 8659).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { startChallengeServer, type ChallengeServer } from '../../test/challenge-server.js';
import { createDnsResolver } from './dns-resolver.js';
import { DnsLookupError, type DnsResolver } from './ports.js';

describe('createDnsResolver', () => {
  let cs: ChallengeServer;
  let resolver: DnsResolver;
  before(async () => {
    cs = await startChallengeServer();
    resolver = createDnsResolver({ server: cs.dnsAddress, timeoutMs: 1000, tries: 2 });
  });
  after(() => cs.close());

  test('txt joins the character-strings of each record', async () => {
    const long = 'a'.repeat(250) + 'b'.repeat(250); // two 255-byte strings on the wire
    cs.setTxt('txt.example.test', [long, 'short']);
    assert.deepEqual((await resolver.txt('txt.example.test')).sort(), [long, 'short'].sort());
  });

  test("caa maps node's {critical, <tag>} shape back to {flags, tag, value}", async () => {
    cs.setCaa('caa.example.test', [
      { flags: 0, tag: 'issue', value: 'ca.example; accounturi=https://x' },
      { flags: 128, tag: 'tbs', value: 'whatever' },
      { flags: 0, tag: 'iodef', value: 'mailto:sec@example.test' },
    ]);
    const records = await resolver.caa('caa.example.test');
    assert.deepEqual(
      records.sort((x, y) => x.tag.localeCompare(y.tag)),
      [
        { flags: 0, tag: 'iodef', value: 'mailto:sec@example.test' },
        { flags: 0, tag: 'issue', value: 'ca.example; accounturi=https://x' },
        { flags: 128, tag: 'tbs', value: 'whatever' },
      ],
    );
  });

  test('addresses returns A then AAAA', async () => {
    cs.setA('host.example.test', ['192.0.2.1']);
    cs.setAaaa('host.example.test', ['2001:db8::1']);
    assert.deepEqual(await resolver.addresses('host.example.test'), ['192.0.2.1', '2001:db8::1']);
  });

  const empties: Array<[string, (r: DnsResolver) => Promise<unknown[]>]> = [
    ['NXDOMAIN txt', (r) => r.txt('missing.example.test')],
    ['NXDOMAIN caa', (r) => r.caa('missing.example.test')],
    ['NXDOMAIN addresses', (r) => r.addresses('missing.example.test')],
    ['NODATA txt', (r) => r.txt('host.example.test')],
    ['NODATA caa', (r) => r.caa('host.example.test')],
  ];
  for (const [name, lookup] of empties) {
    test(`${name} resolves to []`, async () => {
      assert.deepEqual(await lookup(resolver), []);
    });
  }

  test('SERVFAIL rejects with DnsLookupError reason SERVFAIL', async () => {
    cs.setServfail('broken.example.test');
    for (const lookup of [resolver.txt, resolver.caa, resolver.addresses]) {
      await assert.rejects(lookup('broken.example.test'), (e: unknown) => {
        assert.ok(e instanceof DnsLookupError);
        assert.equal(e.reason, 'SERVFAIL');
        return true;
      });
    }
  });

  test('a server that never answers rejects with reason timeout', async () => {
    const silent = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => silent.bind(0, '127.0.0.1', resolve));
    try {
      const slow = createDnsResolver({ server: `127.0.0.1:${silent.address().port}`, timeoutMs: 100, tries: 1 });
      await assert.rejects(slow.caa('example.test'), (e: unknown) => {
        assert.ok(e instanceof DnsLookupError);
        assert.equal(e.reason, 'timeout');
        return true;
      });
    } finally {
      silent.close();
    }
  });
});
