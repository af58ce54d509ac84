import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startChallengeServer, type ChallengeServer } from '../../test/challenge-server.js';
import { createDnsResolver } from './dns-resolver.js';
import { checkDnsTxt, dnsRecordName } from './dns-txt.js';
import type { DnsResolver } from './ports.js';

const TOKEN = '202604150000001abcdefghijklmnopqrstuvwxyz0123456789';

test('dnsRecordName puts _dnsauth under the base domain (CAS API reference: DescribeCertificateState domain verification fields)', () => {
  assert.equal(dnsRecordName('Example.COM.'), '_dnsauth.example.com');
  assert.equal(dnsRecordName('*.example.com'), '_dnsauth.example.com');
  assert.equal(dnsRecordName('www.example.com'), '_dnsauth.www.example.com');
});

describe('checkDnsTxt', () => {
  let cs: ChallengeServer;
  let resolver: DnsResolver;
  before(async () => {
    cs = await startChallengeServer();
    resolver = createDnsResolver({ server: cs.dnsAddress, timeoutMs: 1000, tries: 2 });
    cs.setTxt('_dnsauth.match.test', ['unrelated', TOKEN]);
    cs.setTxt('_dnsauth.spaces.test', [`  ${TOKEN} `]);
    cs.setTxt('_dnsauth.mismatch.test', ['some-other-token']);
    cs.setTxt('_dnsauth.prefix.test', [`${TOKEN}x`]);
    cs.setTxt('_dnsauth.long.test', ['y'.repeat(400)]); // split into two strings on the wire
    cs.setTxt('_dnsauth.wild.test', [TOKEN]);
    cs.setServfail('_dnsauth.broken.test');
  });
  after(() => cs.close());

  const cases: Array<{ name: string; domain: string; expected?: string; reason?: string }> = [
    { name: 'one of several records matches', domain: 'match.test' },
    { name: 'surrounding whitespace is ignored', domain: 'spaces.test' },
    { name: 'a multi-chunk record is joined before comparing', domain: 'long.test', expected: 'y'.repeat(400) },
    { name: 'a wildcard is checked at its base domain', domain: '*.wild.test' },
    {
      name: 'mismatch',
      domain: 'mismatch.test',
      reason: 'No TXT record at _dnsauth.mismatch.test matches the expected value.',
    },
    {
      name: 'a longer value is not a match',
      domain: 'prefix.test',
      reason: 'No TXT record at _dnsauth.prefix.test matches the expected value.',
    },
    { name: 'missing record', domain: 'absent.test', reason: 'No TXT record found at _dnsauth.absent.test.' },
    {
      name: 'record at the name itself, not under _dnsauth, does not count',
      domain: 'www.match.test',
      reason: 'No TXT record found at _dnsauth.www.match.test.',
    },
    {
      name: 'SERVFAIL',
      domain: 'broken.test',
      reason: 'DNS lookup for TXT at _dnsauth.broken.test failed (SERVFAIL); try again later.',
    },
  ];
  for (const c of cases) {
    test(c.name, async () => {
      const result = await checkDnsTxt({ resolver }, { domain: c.domain, expected: c.expected ?? TOKEN });
      assert.deepEqual(result, c.reason === undefined ? { ok: true } : { ok: false, reason: c.reason });
    });
  }

  test('an empty expected value never matches, even an empty record', async () => {
    cs.setTxt('_dnsauth.empty.test', ['']);
    const result = await checkDnsTxt({ resolver }, { domain: 'empty.test', expected: '  ' });
    assert.equal(result.ok, false);
  });
});
