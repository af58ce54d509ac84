import { test } from 'node:test';
import assert from 'node:assert/strict';
import { signWebhook, verifyWebhookSignature } from './webhook-signature.js';

const SECRET = 'whsec_test';
const BODY = '{"NoticeId":1}';

test('the signature is HMAC-SHA256(secret, t + "." + body), hex (known answer from openssl dgst -hmac)', () => {
  assert.equal(
    signWebhook(SECRET, 1_700_000_000, BODY),
    't=1700000000,v1=1b0e81fc0937759b612e36c1296ba3b7f410cbd724334e08b705945e554a71ab',
  );
});

test('a receiver accepts only the untouched body, signed with its secret, recently', () => {
  const header = signWebhook(SECRET, 1_700_000_000, BODY);
  const cases: Array<[string, { secret?: string; header?: string; body?: string; now?: number }, boolean]> = [
    ['as sent', {}, true],
    ['within the tolerance', { now: 1_700_000_299 }, true],
    ['the body changed', { body: '{"NoticeId":2}' }, false],
    ['another secret', { secret: 'whsec_other' }, false],
    ['too old (a replay)', { now: 1_700_000_301 }, false],
    ['the timestamp changed', { header: header.replace('t=1700000000', 't=1700000001'), now: 1_700_000_001 }, false],
    ['no v1', { header: 't=1700000000' }, false],
    ['garbage', { header: 'hello' }, false],
  ];
  for (const [name, c, ok] of cases) {
    assert.equal(
      verifyWebhookSignature(c.secret ?? SECRET, c.header ?? header, c.body ?? BODY, c.now ?? 1_700_000_000),
      ok,
      name,
    );
  }
});
