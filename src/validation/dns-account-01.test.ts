// dns-account-01 against the real loopback DNS server.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startChallengeServer, type ChallengeServer } from '../../test/challenge-server.js';
import {
  base32,
  checkDnsAccount01,
  DNS_ACCOUNT_01_BR_METHOD,
  dnsAccount01RecordName,
  dnsAccountLabel,
  keyAuthorizationDigest,
} from './dns-account-01.js';
import { createDnsResolver } from './dns-resolver.js';
import type { DnsResolver } from './ports.js';

// The draft's own example account URL and label.
const DRAFT_ACCOUNT = 'https://example.com/acme/acct/ExampleAccount';
const ACCOUNT = 'https://certdesk.test/acme/acct/42';
const OTHER_ACCOUNT = 'https://certdesk.test/acme/acct/43';
const KEY_AUTH = 'evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA.9jg46WB3rR_AHD-EBXdN7cBkH1WOu0tA3M9fm21mqTI';

describe('dns-account-01 names and values', () => {
  test('base32 against the RFC 4648 §10 test vectors (lower case, padding dropped)', () => {
    const vectors: Array<[string, string]> = [
      ['', ''],
      ['f', 'my'],
      ['fo', 'mzxq'],
      ['foo', 'mzxw6'],
      ['foob', 'mzxw6yq'],
      ['fooba', 'mzxw6ytb'],
      ['foobar', 'mzxw6ytboi'],
    ];
    for (const [input, expected] of vectors) assert.equal(base32(Buffer.from(input)), expected, input);
  });
  test('the label of the draft example account', () => {
    assert.equal(dnsAccountLabel(DRAFT_ACCOUNT), '_ujmmovf2vn55tgye');
    assert.equal(dnsAccount01RecordName('example.org', DRAFT_ACCOUNT), '_ujmmovf2vn55tgye._acme-challenge.example.org');
  });
  test('a label is "_" and 16 lower-case base32 characters, one per account URL', () => {
    assert.match(dnsAccountLabel(ACCOUNT), /^_[a-z2-7]{16}$/);
    assert.notEqual(dnsAccountLabel(ACCOUNT), dnsAccountLabel(OTHER_ACCOUNT));
    // The URL is hashed as given: a trailing slash is another account URL.
    assert.notEqual(dnsAccountLabel(ACCOUNT), dnsAccountLabel(`${ACCOUNT}/`));
  });
  test('a wildcard is validated at its base name; case and a trailing dot do not matter', () => {
    const label = dnsAccountLabel(ACCOUNT);
    assert.equal(dnsAccount01RecordName('*.Example.ORG.', ACCOUNT), `${label}._acme-challenge.example.org`);
  });
  test('the value is base64url(SHA-256(key authorization)), unpadded', () => {
    // SHA-256("abc") is the FIPS 180-4 example digest ba7816bf...15ad, here in base64url.
    assert.equal(keyAuthorizationDigest('abc'), 'ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0');
    assert.match(keyAuthorizationDigest(KEY_AUTH), /^[A-Za-z0-9_-]{43}$/);
  });
  test('BR method', () => {
    assert.equal(DNS_ACCOUNT_01_BR_METHOD, '3.2.2.4.21');
  });
});

describe('checkDnsAccount01', () => {
  let cs: ChallengeServer;
  let resolver: DnsResolver;
  const digest = keyAuthorizationDigest(KEY_AUTH);
  const at = (domain: string, account = ACCOUNT): string => dnsAccount01RecordName(domain, account);
  before(async () => {
    cs = await startChallengeServer();
    resolver = createDnsResolver({ server: cs.dnsAddress, timeoutMs: 1000, tries: 2 });
    cs.setTxt(at('ok.test'), [digest]);
    cs.setTxt(at('among.test'), ['stale-value-from-another-order', digest]);
    cs.setTxt(at('wrong.test'), ['not-the-digest']);
    cs.setTxt(at('padded.test'), [` ${digest}`]);
    cs.setTxt(at('wild.test'), [digest]);
    // The plain dns-01 record with the right value is not enough.
    cs.setTxt('_acme-challenge.plain.test', [digest]);
    // Another account's record is not ours.
    cs.setTxt(at('other.test', OTHER_ACCOUNT), [digest]);
    cs.setCname(at('alias.test'), 'delegated.validation.test');
    cs.setTxt('delegated.validation.test', [digest]);
    cs.setServfail(at('broken.test'));
  });
  after(() => cs.close());

  const cases: Array<{ name: string; domain: string; reason?: string; problem?: string; permanent?: boolean }> = [
    { name: 'the record holds the digest', domain: 'ok.test' },
    { name: 'one of several records holds it', domain: 'among.test' },
    { name: 'a wildcard uses the base name (wildcards allowed)', domain: '*.wild.test' },
    {
      name: 'a CNAME at the record name is followed, as for dns-01 (delegated validation zones)',
      domain: 'alias.test',
    },
    {
      name: 'wrong value',
      domain: 'wrong.test',
      reason: `No TXT record at ${dnsAccount01RecordName('wrong.test', ACCOUNT)} matches the expected value.`,
      problem: 'unauthorized',
    },
    {
      // Exact comparison: base64url has no spaces, so a space means a mistyped record.
      name: 'surrounding whitespace is not trimmed',
      domain: 'padded.test',
      reason: `No TXT record at ${dnsAccount01RecordName('padded.test', ACCOUNT)} matches the expected value.`,
      problem: 'unauthorized',
    },
    {
      name: 'only the unlabelled dns-01 record exists',
      domain: 'plain.test',
      reason: `No TXT record found at ${dnsAccount01RecordName('plain.test', ACCOUNT)}.`,
      problem: 'unauthorized',
    },
    {
      name: "another account's record",
      domain: 'other.test',
      reason: `No TXT record found at ${dnsAccount01RecordName('other.test', ACCOUNT)}.`,
      problem: 'unauthorized',
    },
    {
      name: 'SERVFAIL is a dns problem, not a wrong answer',
      domain: 'broken.test',
      reason: `DNS lookup for TXT at ${dnsAccount01RecordName('broken.test', ACCOUNT)} failed (SERVFAIL); try again later.`,
      problem: 'dns',
    },
    {
      name: 'an IP identifier is refused (RFC 8738 §7)',
      domain: '192.0.2.1',
      reason: 'dns-account-01 cannot validate an IP address; use http-01 or tls-alpn-01.',
      problem: 'unauthorized',
      permanent: true,
    },
  ];
  for (const c of cases) {
    test(c.name, async () => {
      const result = await checkDnsAccount01(
        { resolver },
        { domain: c.domain, accountUrl: ACCOUNT, keyAuthorization: KEY_AUTH },
      );
      if (c.reason === undefined) {
        assert.deepEqual(result, { ok: true });
        return;
      }
      const expected: Record<string, unknown> = { ok: false, reason: c.reason };
      if (c.permanent === true) expected.permanent = true;
      expected.problem = c.problem;
      assert.deepEqual(result, expected);
    });
  }

  test('the lookup goes to the labelled name only', async () => {
    const before = cs.dnsQueries().length;
    await checkDnsAccount01({ resolver }, { domain: 'ok.test', accountUrl: ACCOUNT, keyAuthorization: KEY_AUTH });
    const asked = cs
      .dnsQueries()
      .slice(before)
      .map((q) => `${q.type} ${q.name}`);
    assert.deepEqual([...new Set(asked)], [`TXT ${at('ok.test')}`]);
  });
});
