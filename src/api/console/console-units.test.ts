import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CertError } from '../../domain/errors.js';
import { SignInLimiter } from './http.js';
import { allMessages, langFromAcceptLanguage, translator } from './i18n.js';
import { csvLine } from './csv.js';

test('failed sign-ins past the limit are refused until the window ends; successes do not count', async () => {
  let now = 1_000_000;
  const limiter = new SignInLimiter(3, () => now);
  const fail = () => limiter.attempt('10.0.0.1', () => Promise.reject(new CertError('unauthorized', 'no')));
  for (let i = 0; i < 5; i++) assert.equal(await limiter.attempt('10.0.0.1', async () => 'ok'), 'ok');
  for (let i = 0; i < 3; i++) await assert.rejects(fail(), /no/);
  await assert.rejects(
    limiter.attempt('10.0.0.1', async () => 'ok'),
    (e: CertError) => e.kind === 'throttled' && e.retryAfterSeconds === 60,
  );
  assert.equal(await limiter.attempt('10.0.0.2', async () => 'other address'), 'other address');
  now += 60_000;
  assert.equal(await limiter.attempt('10.0.0.1', async () => 'ok'), 'ok');
});

test('every message exists in both languages, with the same placeholders', () => {
  const byKey = new Map<string, string[]>();
  for (const m of allMessages()) {
    assert.notEqual(m.text.trim(), '', `${m.lang} ${m.key}`);
    const ph = [...m.text.matchAll(/\{(\w+)\}/g)].map((x) => x[1]!).sort();
    const seen = byKey.get(m.key);
    if (seen) assert.deepEqual(ph, seen, m.key);
    else byKey.set(m.key, ph);
  }
  assert.equal(translator('zh-CN')('orders.page', { page: 2, pages: 5, total: 90 }), '第 2 / 5 页（共 90 条）');
});

test('Accept-Language picks zh-CN or en by quality', () => {
  assert.equal(langFromAcceptLanguage('zh-CN,zh;q=0.9,en;q=0.8'), 'zh-CN');
  assert.equal(langFromAcceptLanguage('en-US,zh;q=0.5'), 'en');
  assert.equal(langFromAcceptLanguage('fr, zh-TW;q=0.7, en;q=0.6'), 'zh-CN');
  assert.equal(langFromAcceptLanguage(undefined), 'en');
});

test('CSV fields are quoted as RFC 4180 says and never start a formula', () => {
  assert.equal(csvLine(['a,b', 'say "hi"', '=1+1', 7, null]), '"a,b","say ""hi""",\'=1+1,7,\r\n');
});
