import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CertError, type ErrorKind } from '../domain/errors.js';
import { getProduct } from './products.js';
import {
  MAX_NAMES,
  checkNamesForProduct,
  dcvBaseDomain,
  isWildcard,
  normalizeDomainName,
  parseDomainList,
} from './names.js';

const SINGLE = getProduct('geotrust-dv-1-starter');
const WILDCARD = getProduct('geotrust-dv-w-starter');

const label63 = 'a'.repeat(63);
const label64 = 'a'.repeat(64);
// 253 characters (the RFC 1035 limit), then 254, with every label within 63.
const name253 = `${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(63)}.${'e'.repeat(57)}.com`;
const name254 = `${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(63)}.${'e'.repeat(58)}.com`;

function assertCertError(fn: () => unknown, kind: ErrorKind, includes: string): CertError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof CertError, `expected a CertError, got ${String(caught)}`);
  assert.equal(caught.kind, kind, caught.message);
  assert.ok(caught.message.includes(includes), `"${caught.message}" should include "${includes}"`);
  assert.ok(caught.message.length <= 200, `message too long (${caught.message.length}): ${caught.message}`);
  return caught;
}

describe('normalizeDomainName', () => {
  const ok: Array<[string, string]> = [
    ['example.com', 'example.com'],
    ['  Example.COM  ', 'example.com'],
    ['example.com.', 'example.com'],
    ['\tWWW.Example.com.\n', 'www.example.com'],
    ['bücher.example', 'xn--bcher-kva.example'],
    ['BÜCHER.de', 'xn--bcher-kva.de'],
    // UTS #46 maps the ideographic full stop to ".".
    ['bücher\u3002de', 'xn--bcher-kva.de'],
    ['*.Bücher.de', '*.xn--bcher-kva.de'],
    ['xn--BCHER-KVA.de', 'xn--bcher-kva.de'],
    ['*.EXAMPLE.com', '*.example.com'],
    // Only one trailing dot is stripped; the rules refuse the empty label that remains.
    ['example.com..', 'example.com.'],
    // ASCII input is not run through the WHATWG host parser, which would turn it into 127.0.0.1.
    ['0x7f.0.0.1', '0x7f.0.0.1'],
    ['ex%41mple.com', 'ex%41mple.com'],
    // Fullwidth digits and dots are Unicode: converted, and then refused as an IP address by the rules.
    ['\uff11\uff12\uff17\uff0e\uff10\uff0e\uff10\uff0e\uff11', '127.0.0.1'],
  ];
  for (const [raw, expected] of ok) {
    test(`${JSON.stringify(raw)} -> ${expected}`, () => {
      assert.equal(normalizeDomainName(raw), expected);
    });
  }

  const bad: Array<[string, string]> = [
    ['', 'A domain name is empty.'],
    ['   ', 'A domain name is empty.'],
    ['.', 'A domain name is empty.'],
    // domainToASCII would percent-decode %41 to "a".
    ['ex%41mple.bücher.de', 'contains a character that is not allowed'],
    ['a b.bücher.de', 'contains a character that is not allowed'],
    ['bücher.de/path', 'contains a character that is not allowed'],
    ['xn--zz.bücher.de', 'is not a valid internationalized domain name'],
  ];
  for (const [raw, message] of bad) {
    test(`${JSON.stringify(raw)} is refused`, () => {
      assertCertError(() => normalizeDomainName(raw), 'name_rejected', message);
    });
  }
});

test('the long-name fixtures have the intended lengths', () => {
  assert.equal(name253.length, 253);
  assert.equal(name254.length, 254);
});

describe('parseDomainList: accepted', () => {
  const cases: Array<[string, string, string[]]> = [
    ['single name', 'example.com', ['example.com']],
    ['two names, spaces around the comma', 'a.example.com , b.example.com', ['a.example.com', 'b.example.com']],
    ['upper case and trailing dot are normalized', 'WWW.Example.COM.', ['www.example.com']],
    [
      'duplicates (after normalization) dropped, first order kept',
      'b.example.com, A.example.com,a.example.com., b.example.com',
      ['b.example.com', 'a.example.com'],
    ],
    ['IDN to punycode', 'bücher.de', ['xn--bcher-kva.de']],
    ['valid A-label', 'xn--bcher-kva.de', ['xn--bcher-kva.de']],
    ['emoji A-label', 'xn--ls8h.la', ['xn--ls8h.la']],
    ['empty items ignored', ',example.com,,', ['example.com']],
    [
      'five names',
      'a.example.com,b.example.com,c.example.com,d.example.com,e.example.com',
      ['a.example.com', 'b.example.com', 'c.example.com', 'd.example.com', 'e.example.com'],
    ],
    [
      'six items, five distinct',
      'a.example.com,b.example.com,c.example.com,d.example.com,e.example.com,A.example.com',
      ['a.example.com', 'b.example.com', 'c.example.com', 'd.example.com', 'e.example.com'],
    ],
    ['multi-label public suffix', 'www.example.co.uk', ['www.example.co.uk']],
    ['wildcard public-suffix rule (*.kawasaki.jp) with its exception', 'city.kawasaki.jp', ['city.kawasaki.jp']],
    ['private-section suffix name', 'foo.github.io', ['foo.github.io']],
    ['the owner of a private suffix', 'github.io', ['github.io']],
    ['hyphen and digits', 'a-b.1x.example.com', ['a-b.1x.example.com']],
    ['63-character label', `${label63}.example.com`, [`${label63}.example.com`]],
    ['253-character name', name253, [name253]],
    ['single-character labels', 'a.b.example.com', ['a.b.example.com']],
  ];
  for (const [label, raw, expected] of cases) {
    test(label, () => {
      assert.deepEqual(parseDomainList(raw, SINGLE), expected);
    });
  }

  const wildcards: Array<[string, string[]]> = [
    ['*.example.com', ['*.example.com']],
    ['*.Example.com, *.example.org', ['*.example.com', '*.example.org']],
    ['*.bücher.de', ['*.xn--bcher-kva.de']],
    ['*.www.example.co.uk', ['*.www.example.co.uk']],
    ['*.foo.github.io', ['*.foo.github.io']],
    ['*.example.com,*.example.com.', ['*.example.com']],
  ];
  for (const [raw, expected] of wildcards) {
    test(`wildcard product: ${raw}`, () => {
      assert.deepEqual(parseDomainList(raw, WILDCARD), expected);
    });
  }
});

describe('parseDomainList: refused', () => {
  // [input, product, kind, text the message must contain]
  const cases: Array<[string, typeof SINGLE, ErrorKind, string]> = [
    ['', SINGLE, 'invalid_parameter', 'At least one domain name is required.'],
    [' , ,', SINGLE, 'invalid_parameter', 'At least one domain name is required.'],
    [
      'a.example.com,b.example.com,c.example.com,d.example.com,e.example.com,f.example.com',
      SINGLE,
      'invalid_parameter',
      'At most 5 domain names are allowed.',
    ],
    [
      Array.from({ length: 1000 }, (_, i) => `n${i}.example.com`).join(','),
      SINGLE,
      'invalid_parameter',
      'At most 5 domain names are allowed.',
    ],
    // CAS API reference, certificate order actions: all single or all wildcard.
    ['*.example.com, www.example.com', SINGLE, 'name_rejected', 'cannot be mixed'],
    ['www.example.com, *.example.com', WILDCARD, 'name_rejected', 'cannot be mixed'],
    // The product decides single vs wildcard.
    [
      '*.example.com',
      SINGLE,
      'name_rejected',
      '"*.example.com" is a wildcard name, but geotrust-dv-1-starter is for single names only.',
    ],
    ['www.example.com', WILDCARD, 'name_rejected', '"www.example.com" is not a wildcard name'],
    // Wildcard only as the whole leftmost label.
    ['*.*.example.com', WILDCARD, 'name_rejected', '"*.*.example.com" has a "*" outside the leftmost label'],
    ['a*.example.com', SINGLE, 'name_rejected', '"a*.example.com" has a "*"'],
    ['*example.com', SINGLE, 'name_rejected', '"*example.com" has a "*"'],
    ['www.*.example.com', SINGLE, 'name_rejected', 'has a "*"'],
    ['*', WILDCARD, 'name_rejected', 'single label'],
    // IP addresses (BR §7.1.2.7: domain names only here).
    ['1.2.3.4', SINGLE, 'name_rejected', '"1.2.3.4" is an IP address'],
    ['[::1]', SINGLE, 'name_rejected', '"[::1]" is an IP address'],
    ['::1', SINGLE, 'name_rejected', '"::1" is an IP address'],
    ['2001:db8::1', SINGLE, 'name_rejected', 'is an IP address'],
    ['\uff11\uff12\uff17\uff0e\uff10\uff0e\uff10\uff0e\uff11', SINGLE, 'name_rejected', '"127.0.0.1" is an IP address'],
    ['10.1', SINGLE, 'name_rejected', 'ends in a numeric label'],
    ['0x7f.0.0.1', SINGLE, 'name_rejected', 'ends in a numeric label'],
    ['www.example.123', SINGLE, 'name_rejected', 'ends in a numeric label'],
    // Internal names (BR §4.2.2).
    ['localhost', SINGLE, 'name_rejected', '"localhost" is not a public domain name (a single label).'],
    ['com', SINGLE, 'name_rejected', '"com" is not a public domain name'],
    ['corp', SINGLE, 'name_rejected', '"corp" is not a public domain name'],
    ['host.internal', SINGLE, 'name_rejected', '"host.internal" is not a public domain name (no public suffix).'],
    ['foo.internal', SINGLE, 'name_rejected', '"foo.internal" is not a public domain name (no public suffix).'],
    ['x.local', SINGLE, 'name_rejected', '"x.local" is not a public domain name (no public suffix).'],
    ['example.local', SINGLE, 'name_rejected', 'no public suffix'],
    ['mail.corp', SINGLE, 'name_rejected', 'no public suffix'],
    ['bücher.example', SINGLE, 'name_rejected', '"xn--bcher-kva.example" is not a public domain name'],
    ['a.test', SINGLE, 'name_rejected', 'no public suffix'],
    ['a.invalid', SINGLE, 'name_rejected', 'no public suffix'],
    ['co.uk', SINGLE, 'name_rejected', '"co.uk" is a public suffix'],
    ['foo.kawasaki.jp', SINGLE, 'name_rejected', 'is a public suffix'],
    // BR §3.2.2.6: no wildcard directly over a public suffix, ICANN or private.
    ['*.com', WILDCARD, 'name_rejected', '"*.com" would cover a whole public suffix.'],
    ['*.co.uk', WILDCARD, 'name_rejected', '"*.co.uk" would cover a whole public suffix.'],
    ['*.github.io', WILDCARD, 'name_rejected', '"*.github.io" would cover a whole public suffix.'],
    ['*.internal', WILDCARD, 'name_rejected', 'no public suffix'],
    // Reverse zones (BR 3.2.2.4) and other special-use names.
    ['4.3.2.1.in-addr.arpa', SINGLE, 'name_rejected', 'reverse-lookup zone in-addr.arpa'],
    ['b.a.9.8.ip6.arpa', SINGLE, 'name_rejected', 'reverse-lookup zone ip6.arpa'],
    ['in-addr.arpa', SINGLE, 'name_rejected', 'reverse-lookup zone'],
    ['*.3.2.1.in-addr.arpa', WILDCARD, 'name_rejected', 'reverse-lookup zone'],
    ['router.home.arpa', SINGLE, 'name_rejected', 'is under .arpa'],
    ['expyuzz4wqqyqhjn.onion', SINGLE, 'name_rejected', '.onion'],
    // LDH syntax (BR §7.1.2.7.12).
    ['under_score.example.com', SINGLE, 'name_rejected', '"under_score.example.com" contains "_"'],
    ['_dnsauth.example.com', SINGLE, 'name_rejected', 'contains "_"'],
    ['ex%41mple.com', SINGLE, 'name_rejected', 'contains a character other than'],
    ['exa mple.com', SINGLE, 'name_rejected', 'contains a character other than'],
    ['example.com:443', SINGLE, 'name_rejected', 'contains a character other than'],
    ['user@example.com', SINGLE, 'name_rejected', 'contains a character other than'],
    [`${label64}.example.com`, SINGLE, 'name_rejected', 'has a label longer than 63 characters.'],
    [name254, SINGLE, 'name_rejected', 'is longer than 253 characters.'],
    ['-a.example.com', SINGLE, 'name_rejected', '"-a.example.com" has a label that starts or ends with a hyphen.'],
    ['a-.example.com', SINGLE, 'name_rejected', 'starts or ends with a hyphen'],
    ['example..com', SINGLE, 'name_rejected', '"example..com" has an empty label.'],
    ['.example.com', SINGLE, 'name_rejected', 'has an empty label'],
    ['example.com..', SINGLE, 'name_rejected', 'has an empty label'],
    // Punycode must round-trip; other "??--" labels are reserved (RFC 5890 §2.3.1).
    ['xn--zz.example.com', SINGLE, 'name_rejected', '"xn--zz.example.com" has an invalid punycode label "xn--zz".'],
    ['xn--a.example.com', SINGLE, 'name_rejected', 'invalid punycode label'],
    ['xn--bcher-kvb.example.com', SINGLE, 'name_rejected', 'invalid punycode label'],
    // Punycode of "u" + combining diaeresis: not NFC, so not a U-label (RFC 5890 §2.3.2.1).
    ['xn--u-ccb.example.com', SINGLE, 'name_rejected', 'invalid punycode label'],
    ['xn--.example.com', SINGLE, 'name_rejected', 'starts or ends with a hyphen'],
    ['xn----0fa.example.com', SINGLE, 'name_rejected', 'invalid punycode label'],
    ['ab--cd.example.com', SINGLE, 'name_rejected', '"--" in the third and fourth positions'],
  ];
  for (const [raw, product, kind, includes] of cases) {
    test(`${JSON.stringify(raw.length > 60 ? `${raw.slice(0, 57)}...` : raw)} on ${product.code}`, () => {
      assertCertError(() => parseDomainList(raw, product), kind, includes);
    });
  }

  test('a very long offending name is clipped in the message', () => {
    const e = assertCertError(() => parseDomainList(name254, SINGLE), 'name_rejected', `"${name254.slice(0, 60)}..."`);
    assert.ok(!e.message.includes(name254));
  });

  test('control characters never reach the message', () => {
    const e = assertCertError(
      () => parseDomainList('a\u0001b.example.com', SINGLE),
      'name_rejected',
      '"a?b.example.com"',
    );
    assert.ok(!e.message.includes('\u0001'));
  });
});

describe('checkNamesForProduct (names from a CSR)', () => {
  test('accepts normalized, distinct names matching the product', () => {
    assert.doesNotThrow(() => checkNamesForProduct(['www.example.com', 'example.com'], SINGLE));
    assert.doesNotThrow(() => checkNamesForProduct(['*.example.com'], WILDCARD));
    assert.doesNotThrow(() => checkNamesForProduct(['*.example.com'], getProduct('cfca-ev-w-advanced')));
    assert.doesNotThrow(() => checkNamesForProduct(['example.com'], getProduct('symantec-dv-1-starter')));
  });

  const cases: Array<[string[], typeof SINGLE, ErrorKind, string]> = [
    [[], SINGLE, 'invalid_parameter', 'At least one domain name is required.'],
    [
      ['a.com', 'b.com', 'c.com', 'd.com', 'e.com', 'f.com'],
      SINGLE,
      'invalid_parameter',
      'At most 5 domain names are allowed.',
    ],
    [['example.com', 'example.com'], SINGLE, 'name_rejected', '"example.com" is listed more than once.'],
    [['Example.com'], SINGLE, 'name_rejected', 'is not in canonical form'],
    [['example.com.'], SINGLE, 'name_rejected', 'has an empty label'],
    [['bücher.de'], SINGLE, 'name_rejected', 'contains a character other than'],
    [[''], SINGLE, 'name_rejected', 'A domain name is empty.'],
    [['*.example.com'], getProduct('symantec-dv-1-starter'), 'name_rejected', 'is for single names only'],
    [['example.com'], getProduct('cfca-ev-w-advanced'), 'name_rejected', 'is for wildcards only'],
    [['*.example.com', 'example.com'], WILDCARD, 'name_rejected', 'cannot be mixed'],
    [['example.com', '10.0.0.1'], SINGLE, 'name_rejected', '"10.0.0.1" is an IP address'],
  ];
  for (const [names, product, kind, includes] of cases) {
    test(`${JSON.stringify(names)} on ${product.code}`, () => {
      assertCertError(() => checkNamesForProduct(names, product), kind, includes);
    });
  }

  test('the mixed-names message stays short with the longest names', () => {
    const long = name253;
    assertCertError(
      () => checkNamesForProduct([`*.${long.slice(2)}`, long], WILDCARD),
      'name_rejected',
      'cannot be mixed',
    );
  });

  test(`MAX_NAMES is the CAS limit of 5`, () => {
    assert.equal(MAX_NAMES, 5);
  });
});

describe('isWildcard / dcvBaseDomain', () => {
  const cases: Array<[string, boolean, string]> = [
    ['*.example.com', true, 'example.com'],
    ['*.www.example.co.uk', true, 'www.example.co.uk'],
    ['example.com', false, 'example.com'],
    ['www.example.com', false, 'www.example.com'],
    ['*example.com', false, '*example.com'],
  ];
  for (const [name, wildcard, base] of cases) {
    test(`${name}: wildcard=${wildcard}, DCV base ${base}`, () => {
      assert.equal(isWildcard(name), wildcard);
      assert.equal(dcvBaseDomain(name), base);
    });
  }
});
