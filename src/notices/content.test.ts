import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { NoticeRow } from '../store/schema.js';
import { renderEmail, renderWebhookBody, type NoticeFacts } from './content.js';

const DAY = 86_400_000;
const T0 = Date.UTC(2030, 0, 1);

function row(event: string, facts: NoticeFacts, extra: Partial<NoticeRow> = {}): [NoticeRow, NoticeFacts] {
  return [
    {
      id: 9,
      account_id: 1,
      order_id: 42,
      certificate_id: null,
      event,
      channel: 'webhook',
      target: 'https://hooks.example.com/x',
      dedupe_key: 'k',
      payload: JSON.stringify(facts),
      status: 'pending',
      due_at: T0,
      attempts: 0,
      last_error: null,
      lease_owner: null,
      lease_until: null,
      sent_at: null,
      created_at: T0,
      ...extra,
    },
    facts,
  ];
}

test('e-mails say what to do, per event', () => {
  const cert = { domains: ['a.example.com'], serial: '0ABC', notBefore: T0, notAfter: T0 + 90 * DAY };
  const cases: Array<[string, [NoticeRow, NoticeFacts], RegExp, RegExp[]]> = [
    [
      'FILE validation',
      row('verification_needed', {
        domains: ['a.example.com'],
        verification: {
          method: 'FILE',
          files: [
            {
              domain: 'a.example.com',
              url: 'http://a.example.com/.well-known/pki-validation/fileauth.txt',
              content: 'tok123',
            },
          ],
        },
      }),
      /prove control of a\.example\.com/,
      [/URL: +http:\/\/a\.example\.com\/\.well-known\/pki-validation\/fileauth\.txt/, /Content: tok123/],
    ],
    [
      'DNS validation',
      row('verification_needed', {
        domains: ['*.a.example.com'],
        verification: {
          method: 'DNS',
          records: [
            {
              domain: '*.a.example.com',
              recordType: 'TXT',
              recordName: '_dnsauth.a.example.com',
              recordValue: 'tok456',
            },
          ],
        },
      }),
      /prove control/,
      [/Name: +_dnsauth\.a\.example\.com/, /Type: +TXT/, /Value: tok456/],
    ],
    [
      'failure',
      row('verification_failed', { domains: ['a.example.com'], reason: 'CAA forbids it' }),
      /failed/,
      [/CAA forbids it/],
    ],
    [
      'issued',
      row('issued', cert),
      /Certificate issued for a\.example\.com/,
      [/Serial: +0ABC/, /Valid to: +2030-04-01/],
    ],
    [
      'expiring',
      row('expiring', cert, { due_at: T0 + 60 * DAY }),
      /expires in 30 days/,
      [/expires on 2030-04-01T00:00:00\.000Z/],
    ],
    [
      'revoked',
      row('revoked', { ...cert, revokedAt: T0 + DAY, revocationReason: 'keyCompromise' }),
      /revoked/,
      [/Reason: +keyCompromise/, /order 42/],
    ],
  ];
  for (const [name, [notice, facts], subject, lines] of cases) {
    const mail = renderEmail(notice, facts);
    assert.match(mail.subject, subject, name);
    for (const l of lines) assert.match(mail.text, l, name);
  }
});

test('an e-mail carries the console link it is given', () => {
  const [notice, facts] = row('verification_failed', { domains: ['a.example.com'], reason: 'no TXT record' });
  assert.doesNotMatch(renderEmail(notice, facts).text, /console/);
  const text = renderEmail(notice, facts, 'https://certdesk.example/console/sign-in/link?token=abc').text;
  assert.match(
    text,
    /one-time link, valid for 15 minutes\):\n {2}https:\/\/certdesk\.example\/console\/sign-in\/link\?token=abc\n/,
  );
});

test('the webhook body is the same bytes on every rendering, with optional fields only when known', () => {
  const [notice, facts] = row('verification_failed', { domains: ['a.example.com'], reason: 'no TXT record' });
  const body = renderWebhookBody(notice, facts);
  assert.equal(renderWebhookBody(notice, JSON.parse(notice.payload)), body);
  assert.deepEqual(JSON.parse(body), {
    NoticeId: 9,
    Event: 'verification_failed',
    CreatedAt: '2030-01-01T00:00:00.000Z',
    OrderId: 42,
    Domains: ['a.example.com'],
    Reason: 'no TXT record',
  });
});
