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
      // A lookup failure may heal by itself (retry, ACME `dns`); a record that refuses us is
      // permanent (ACME `caa`).
      const permanent = c.reason !== undefined && !c.reason.startsWith('CAA lookup');
      assert.deepEqual(
        result,
        c.reason === undefined
          ? { ok: true }
          : permanent
            ? { ok: false, reason: c.reason, permanent, problem: 'caa' }
            : { ok: false, reason: c.reason, problem: 'dns' },
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

// RFC 8657 parameters: only read when the caller says which ACME account and method it is.
describe('checkCaa with RFC 8657 accounturi and validationmethods', () => {
  const ACCT = 'https://certdesk.example/acme/acct/1';
  const OTHER = 'https://certdesk.example/acme/acct/2';
  let cs: ChallengeServer;
  let resolver: DnsResolver;
  before(async () => {
    cs = await startChallengeServer();
    resolver = createDnsResolver({ server: cs.dnsAddress, timeoutMs: 1000, tries: 2 });
    const zones: Record<string, CaaSpec[]> = {
      'acct.test': [issue(`${US}; accounturi=${ACCT}`)],
      'acct-other.test': [issue(`${US}; accounturi=${OTHER}`)],
      'acct-two-records.test': [issue(`${US}; accounturi=${OTHER}`), issue(`${US}; accounturi=${ACCT}`)],
      'acct-twice.test': [issue(`${US}; accounturi=${ACCT}; accounturi=${ACCT}`)],
      'acct-spaces.test': [issue(`${US} ;  accounturi = ${ACCT} `)],
      'acct-case.test': [issue(`${US}; AccountURI=${OTHER}`)],
      'acct-upper-url.test': [issue(`${US}; accounturi=${ACCT.toUpperCase()}`)],
      'acct-bare.test': [issue(US), issue(`${US}; accounturi=${OTHER}`)],
      'methods.test': [issue(`${US}; validationmethods=dns-01,http-01`)],
      'methods-spaces.test': [issue(`${US}; validationmethods=dns-01, tls-alpn-01`)],
      'methods-twice.test': [issue(`${US}; validationmethods=http-01; validationmethods=http-01`)],
      'methods-prefix.test': [issue(`${US}; validationmethods=dns-01-extended`)],
      'both.test': [
        issue(`${US}; accounturi=${ACCT}; validationmethods=dns-01`),
        issue(`${US}; accounturi=${OTHER}; validationmethods=http-01`),
      ],
      'unknown-param.test': [issue(`${US}; policy=ev; x-vendor=1`)],
      'malformed-param.test': [issue(`${US}; accounturi`)],
      'other-ca-acct.test': [issue(`letsencrypt.org; accounturi=${ACCT}`)],
      'wild-acct.test': [issue(`${US}; accounturi=${ACCT}`), issuewild(`${US}; accounturi=${OTHER}`)],
    };
    for (const [name, records] of Object.entries(zones)) cs.setCaa(name, records);
  });
  after(() => cs.close());

  type Method = 'http-01' | 'dns-01' | 'tls-alpn-01' | 'dns-account-01';
  const cases: Array<{
    name: string;
    target: string;
    accountUri?: string;
    method?: Method;
    /** The part of the reason after "CAA record at <zone> authorizes certdesk.example only under ..." */
    unmet?: string;
  }> = [
    { name: 'accounturi equal to the account', target: 'acct.test', accountUri: ACCT },
    {
      name: 'accounturi of another account',
      target: 'acct-other.test',
      accountUri: ACCT,
      unmet: `issue "${US}; accounturi=${OTHER}": accounturi names another ACME account`,
    },
    // No account given (the CAS path): today's behaviour, the parameter is not read.
    { name: 'accounturi without an account to compare', target: 'acct-other.test' },
    // RFC 8657 appendix A: two records, two accounts; either one authorizes.
    { name: 'one of two records names the account', target: 'acct-two-records.test', accountUri: ACCT },
    {
      // RFC 8657 §3: even two equal accounturi parameters make the property unsatisfiable.
      name: 'two accounturi parameters on one property',
      target: 'acct-twice.test',
      accountUri: ACCT,
      unmet: `issue "${US}; accounturi=${ACCT}; accounturi=${ACCT}": more than one accounturi, which no account can satisfy`,
    },
    // RFC 8659 §4.2 allows whitespace around ";" and "=".
    { name: 'whitespace around the parameter', target: 'acct-spaces.test', accountUri: ACCT },
    {
      // Tags are read case-insensitively so that a differently cased tag still restricts.
      name: 'a capitalised tag still restricts',
      target: 'acct-case.test',
      accountUri: ACCT,
      unmet: `issue "${US}; AccountURI=${OTHER}": accounturi names another ACME account`,
    },
    {
      // The URI is compared as the account's Location was given out, not case-folded.
      name: 'an account URL in other case is another URL',
      target: 'acct-upper-url.test',
      accountUri: ACCT,
      unmet: `issue "${US}; accounturi=${ACCT.toUpperCase()}": accounturi names another ACME account`,
    },
    // A property without accounturi matches any account (RFC 8657 §3).
    { name: 'a bare issue beside a restricted one', target: 'acct-bare.test', accountUri: ACCT },
    { name: 'validationmethods lists the method', target: 'methods.test', method: 'http-01' },
    {
      name: 'validationmethods does not list the method',
      target: 'methods.test',
      method: 'tls-alpn-01',
      unmet: `issue "${US}; validationmethods=dns-01,http-01": validationmethods does not list tls-alpn-01`,
    },
    // dns-account-01 is its own method name: a list naming dns-01 does not cover it.
    {
      name: 'dns-01 in the list does not admit dns-account-01',
      target: 'methods.test',
      method: 'dns-account-01',
      unmet: `issue "${US}; validationmethods=dns-01,http-01": validationmethods does not list dns-account-01`,
    },
    { name: 'a space after the comma is tolerated', target: 'methods-spaces.test', method: 'tls-alpn-01' },
    {
      name: 'a method name that only starts with the method',
      target: 'methods-prefix.test',
      method: 'dns-01',
      unmet: `issue "${US}; validationmethods=dns-01-extended": validationmethods does not list dns-01`,
    },
    {
      name: 'two validationmethods parameters on one property',
      target: 'methods-twice.test',
      method: 'http-01',
      unmet: `issue "${US}; validationmethods=http-01; validationmethods=http-01": more than one validationmethods, which no request can satisfy`,
    },
    { name: 'validationmethods without a method to compare', target: 'methods.test', accountUri: ACCT },
    // RFC 8657 appendix A: each (account, method) pair is one record; both must hold on one record.
    { name: 'account and method on the same record', target: 'both.test', accountUri: ACCT, method: 'dns-01' },
    {
      name: 'account of one record, method of the other',
      target: 'both.test',
      accountUri: ACCT,
      method: 'http-01',
      unmet:
        `issue "${US}; accounturi=${ACCT}; validationmethods=dns-01": validationmethods does not list http-01; ` +
        `issue "${US}; accounturi=${OTHER}; validationmethods=http-01": accounturi names another ACME account`,
    },
    // RFC 8659 §4.2: parameters certdesk does not define are ignored.
    { name: 'unknown parameters', target: 'unknown-param.test', accountUri: ACCT, method: 'http-01' },
    { name: 'a parameter without "=" is skipped', target: 'malformed-param.test', accountUri: ACCT },
    // issuewild replaces issue for wildcards (RFC 8659 §4.3), parameters included.
    {
      name: 'wildcard: the issuewild parameters decide',
      target: '*.wild-acct.test',
      accountUri: ACCT,
      unmet: `issuewild "${US}; accounturi=${OTHER}": accounturi names another ACME account`,
    },
    { name: 'non-wildcard: the issue parameters decide', target: 'wild-acct.test', accountUri: ACCT },
  ];
  for (const c of cases) {
    test(c.name, async () => {
      const opts: Parameters<typeof checkCaa>[1] = { name: c.target, issuerDomain: US };
      if (c.accountUri !== undefined) opts.accountUri = c.accountUri;
      if (c.method !== undefined) opts.method = c.method;
      const result = await checkCaa({ resolver }, opts);
      const zone = c.target.replace(/^\*\./, '');
      assert.deepEqual(
        result,
        c.unmet === undefined
          ? { ok: true }
          : {
              ok: false,
              reason: `CAA record at ${zone} authorizes ${US} only under conditions this request does not meet (${c.unmet}).`,
              permanent: true,
              problem: 'caa',
            },
      );
    });
  }

  test('an IP identifier has no CAA: permitted without any DNS query (BR §3.2.2.8 covers dNSNames)', async () => {
    cs.setCaa('1.2.0.192.in-addr.arpa', [issue(';')]);
    cs.setCaa('2.1', [issue(';')]); // where climbing "192.0.2.1" label by label would land
    const before = cs.dnsQueries().length;
    for (const ip of ['192.0.2.1', '2001:db8::1']) {
      assert.deepEqual(await checkCaa({ resolver }, { name: ip, issuerDomain: US, accountUri: ACCT }), { ok: true });
    }
    assert.equal(cs.dnsQueries().length, before);
  });

  test('another CA named with our account URI still does not authorize us', async () => {
    const result = await checkCaa({ resolver }, { name: 'other-ca-acct.test', issuerDomain: US, accountUri: ACCT });
    assert.deepEqual(result, {
      ok: false,
      reason: `CAA record at other-ca-acct.test does not authorize ${US} (issue "letsencrypt.org; accounturi=${ACCT}").`,
      permanent: true,
      problem: 'caa',
    });
  });
});
