// CAA per RFC 8659 §3-4 against the real loopback DNS server.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startChallengeServer, type ChallengeServer, type CaaSpec } from '../../test/challenge-server.js';
import { checkCaa } from './caa.js';
import { createDnsResolver } from './dns-resolver.js';
import type { DnsResolver } from './ports.js';

const US = 'certdesk.example';
const issue = (value: string, flags = 0): CaaSpec => ({ flags, tag: 'issue', value });
const issuewild = (value: string): CaaSpec => ({ flags: 0, tag: 'issuewild', value });

describe('checkCaa', () => {
  let cs: ChallengeServer;
  let resolver: DnsResolver;
  before(async () => {
    cs = await startChallengeServer();
    resolver = createDnsResolver({ server: cs.dnsAddress, timeoutMs: 1000, tries: 2 });
    const zones: Record<string, CaaSpec[]> = {
      'ours.test': [issue(US)],
      'ours-upper.test': [issue('CertDesk.Example.')],
      'ours-params.test': [issue(`${US}; accounturi=https://certdesk.example/acct/1`)],
      'ours-among.test': [issue('letsencrypt.org'), issue(US)],
      'other.test': [issue('letsencrypt.org')],
      'parent.test': [issue('letsencrypt.org')],
      'child.ok.parent.test': [issue(US)],
      'empty.test': [issue(';')],
      'blank.test': [issue('')],
      'iodef.test': [{ flags: 0, tag: 'iodef', value: 'mailto:security@iodef.test' }],
      'critical.test': [issue(US), { flags: 128, tag: 'tbs', value: 'x' }],
      'noncritical.test': [issue(US), { flags: 0, tag: 'tbs', value: 'x' }],
      'critical-issue.test': [issue(US, 128)],
      'wild.test': [issue('letsencrypt.org'), issuewild(US)],
      'wild-other.test': [issue(US), issuewild('letsencrypt.org')],
      'wild-none.test': [issuewild(';'), issue(US)],
      'issue-only.test': [issue(US)],
      'upper-tag.test': [{ flags: 0, tag: 'ISSUE', value: US }],
    };
    for (const [name, records] of Object.entries(zones)) cs.setCaa(name, records);
    cs.setA('www.other.test', ['192.0.2.1']); // exists, but no CAA: climb to other.test
    cs.setServfail('broken.test');
    cs.setServfail('brokenparent.test');
    cs.setCname('alias.test', 'target.alias-host.test');
    cs.setCaa('target.alias-host.test', [issue('letsencrypt.org')]);
  });
  after(() => cs.close());

  const cases: Array<{ name: string; target: string; reason?: string }> = [
    { name: 'no CAA anywhere permits', target: 'www.nothing.test' },
    { name: 'issue names us', target: 'ours.test' },
    { name: 'issuer comparison ignores case and a trailing dot', target: 'ours-upper.test' },
    { name: 'parameters after ; are ignored', target: 'ours-params.test' },
    { name: 'one of several issue records names us', target: 'ours-among.test' },
    { name: 'tags match case-insensitively (RFC 8659 §4.1)', target: 'upper-tag.test' },
    {
      name: 'issue names another CA',
      target: 'other.test',
      reason: `CAA record at other.test does not authorize ${US} (issue "letsencrypt.org").`,
    },
    {
      name: 'climbs to the parent when the name has no CAA',
      target: 'www.other.test',
      reason: `CAA record at other.test does not authorize ${US} (issue "letsencrypt.org").`,
    },
    { name: 'the closest non-empty set wins over the parent', target: 'www.child.ok.parent.test' },
    {
      name: 'an empty issuer (";") forbids everyone',
      target: 'empty.test',
      reason: `CAA record at empty.test does not authorize ${US} (issue ";").`,
    },
    {
      // RFC 8659 allows a zero-length value, but node's c-ares (1.34) rejects such a record
      // as EBADRESP. The outcome is still a refusal (fail closed), only the reason differs.
      name: 'an empty value forbids everyone (c-ares reports it as malformed)',
      target: 'blank.test',
      reason: 'CAA lookup for blank.test failed (malformed answer); issuance is not permitted until it succeeds.',
    },
    { name: 'a set with only iodef restricts nothing', target: 'iodef.test' },
    {
      name: 'a critical unknown tag forbids',
      target: 'critical.test',
      reason:
        'CAA record at critical.test has a critical property "tbs" that certdesk does not support, so issuance is forbidden.',
    },
    { name: 'a non-critical unknown tag is ignored', target: 'noncritical.test' },
    { name: 'the critical flag on a known tag is fine', target: 'critical-issue.test' },
    { name: 'wildcard: issuewild names us', target: '*.wild.test' },
    {
      name: 'non-wildcard ignores issuewild',
      target: 'wild.test',
      reason: `CAA record at wild.test does not authorize ${US} (issue "letsencrypt.org").`,
    },
    {
      name: 'wildcard: issuewild overrides issue',
      target: '*.wild-other.test',
      reason: `CAA record at wild-other.test does not authorize ${US} (issuewild "letsencrypt.org").`,
    },
    { name: 'non-wildcard under an issuewild for another CA', target: 'wild-other.test' },
    {
      name: 'wildcard: issuewild ";" forbids wildcards only',
      target: '*.wild-none.test',
      reason: `CAA record at wild-none.test does not authorize ${US} (issuewild ";").`,
    },
    { name: 'wildcard: without issuewild, issue applies', target: '*.issue-only.test' },
    {
      name: 'wildcard: climbs from the base domain',
      target: '*.www.other.test',
      reason: `CAA record at other.test does not authorize ${US} (issue "letsencrypt.org").`,
    },
    {
      name: 'a CNAME is followed',
      target: 'alias.test',
      reason: `CAA record at alias.test does not authorize ${US} (issue "letsencrypt.org").`,
    },
    {
      name: 'SERVFAIL is never permission',
      target: 'broken.test',
      reason: 'CAA lookup for broken.test failed (SERVFAIL); issuance is not permitted until it succeeds.',
    },
    {
      name: 'SERVFAIL while climbing is never permission',
      target: 'www.brokenparent.test',
      reason: 'CAA lookup for www.brokenparent.test failed (SERVFAIL); issuance is not permitted until it succeeds.',
    },
  ];
  for (const c of cases) {
    test(c.name, async () => {
      const result = await checkCaa({ resolver }, { name: c.target, issuerDomain: US });
      // A lookup failure may heal by itself (retry); a record that refuses us is permanent.
      const permanent = c.reason !== undefined && !c.reason.startsWith('CAA lookup');
      assert.deepEqual(
        result,
        c.reason === undefined
          ? { ok: true }
          : permanent
            ? { ok: false, reason: c.reason, permanent }
            : { ok: false, reason: c.reason },
      );
    });
  }

  test('tree climbing asks each level in order, up to the TLD and never the root', async () => {
    const before = cs.dnsQueries().length;
    await checkCaa({ resolver }, { name: '*.a.b.nothing.test', issuerDomain: US });
    const asked = cs
      .dnsQueries()
      .slice(before)
      .filter((q) => q.type === 'CAA')
      .map((q) => q.name);
    assert.deepEqual(asked, ['a.b.nothing.test', 'b.nothing.test', 'nothing.test', 'test']);
  });
});
