// Issue 4, Notices: "Tests receive the emails on a local SMTP server started by the test, and
// the webhooks on a local HTTP server, with the right content; a receiver that fails for a
// while still gets each notice exactly once after it recovers." Certdesk runs for real
// (SQLite, or PostgreSQL with CERTDESK_TEST_DATABASE_URL), driven through the official SDK.
import { after, before, describe as suite, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, X509Certificate } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import type { Certdesk } from './support/harness.js';
import type { ChallengeServer } from './challenge-server.js';
import { Cas, casClient, type CasClient } from './support/sdk.js';
import { runCliJson } from './support/cli.js';
import { describe, freshDomain, publishChallenges, startWithChallenges, waitForType } from './support/orders.js';
import { createAccount } from '../src/accounts/accounts.js';
import { grantPlan } from '../src/accounts/plans.js';
import { addContact } from '../src/accounts/contacts.js';
import {
  createNoticeDeps,
  getOrCreateWebhookSecret,
  noticeEventSink,
  noticeSettings,
  runNoticeDelivery,
} from '../src/notices/index.js';

const DAY_MS = 86_400_000;

// ---- a local SMTP server that keeps what it is given --------------------------------

interface Mail {
  to: string[];
  headers: Map<string, string>;
  subject: string;
  noticeId: string;
  text: string;
}

function decodeBody(body: string, encoding: string): string {
  if (encoding === 'base64') return Buffer.from(body, 'base64').toString('utf8');
  if (encoding === 'quoted-printable') {
    const bytes = body
      .replace(/=\r?\n/g, '')
      .replace(/=([0-9A-F]{2})/gi, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
    return Buffer.from(bytes, 'latin1').toString('utf8');
  }
  return body;
}

function parseMail(raw: string, to: string[]): Mail {
  const split = raw.indexOf('\r\n\r\n');
  const head = raw.slice(0, split).replace(/\r\n[ \t]+/g, ' ');
  const headers = new Map<string, string>();
  for (const line of head.split('\r\n')) {
    const colon = line.indexOf(':');
    headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  const text = decodeBody(raw.slice(split + 4), (headers.get('content-transfer-encoding') ?? '7bit').toLowerCase());
  return {
    to,
    headers,
    subject: headers.get('subject') ?? '',
    noticeId: headers.get('x-certdesk-notice-id') ?? '',
    text,
  };
}

async function startSmtp(): Promise<{ server: SMTPServer; port: number; mails: Mail[] }> {
  const mails: Mail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        mails.push(
          parseMail(
            Buffer.concat(chunks).toString('latin1'),
            session.envelope.rcptTo.map((r) => r.address),
          ),
        );
        callback();
      });
    },
  });
  const port = await new Promise<number>((resolve) => {
    const s = server.listen(0, '127.0.0.1', () => resolve((s.address() as AddressInfo).port));
  });
  return { server, port, mails };
}

// ---- a webhook receiver that can be told to fail ------------------------------------

interface Hook {
  path: string;
  noticeId: string;
  signature: string;
  contentType: string;
  body: string;
  json: any;
}

function startReceiver(): Promise<{
  server: Server;
  port: number;
  delivered: Hook[];
  failNext(n: number): void;
  failuresLeft(): number;
  refused: () => number;
  answerAfter(ms: number): void;
}> {
  const delivered: Hook[] = [];
  let failures = 0;
  let delayMs = 0;
  let refused = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on(
      'end',
      () =>
        void (async () => {
          if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
          if (failures > 0) {
            failures -= 1;
            refused += 1;
            res.writeHead(500).end('down for maintenance');
            return;
          }
          const body = Buffer.concat(chunks).toString('utf8');
          delivered.push({
            path: req.url ?? '',
            noticeId: String(req.headers['x-certdesk-notice-id'] ?? ''),
            signature: String(req.headers['x-certdesk-signature'] ?? ''),
            contentType: String(req.headers['content-type'] ?? ''),
            body,
            json: JSON.parse(body),
          });
          res.writeHead(204).end();
        })(),
    );
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      resolve({
        server,
        port: (server.address() as AddressInfo).port,
        delivered,
        failNext: (n) => {
          failures = n;
        },
        failuresLeft: () => failures,
        refused: () => refused,
        answerAfter: (ms) => {
          delayMs = ms;
        },
      });
    });
  });
}

async function waitFor<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 30_000,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const found = await probe();
    if (found !== undefined && found !== false) return found;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Counts of each value: the receiver-side view of "exactly once". */
function tally(values: string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const v of values) m.set(v, (m.get(v) ?? 0) + 1);
  return m;
}

suite('notices to customers by e-mail and webhook', () => {
  let cd: Certdesk;
  let cs: ChallengeServer;
  let client: CasClient;
  let accountId: number;
  let smtp: Awaited<ReturnType<typeof startSmtp>>;
  let hooks: Awaited<ReturnType<typeof startReceiver>>;
  let ipHook: string;
  let namedHook: string;

  const submit = async (domain: string) =>
    (
      await client.createCertificateForPackageRequest(
        new Cas.CreateCertificateForPackageRequestRequest({ domain, validateType: 'DNS' }),
      )
    ).body!.orderId!;
  const issue = async (domain: string) => {
    const orderId = await submit(domain);
    await publishChallenges(cs, client, orderId);
    const done = await waitForType(client, orderId, ['certificate']);
    const leaf = new X509Certificate(
      done.certificate!.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/)![0],
    );
    return { orderId, leaf };
  };
  const revoke = (orderId: number) =>
    client.cancelCertificateForPackageRequest(new Cas.CancelCertificateForPackageRequestRequest({ orderId }));
  const notices = (orderId: number) => cd.ctx.store.repos.notices.list({ orderId });
  const mailsFor = (orderId: number, subject: RegExp) =>
    smtp.mails.filter((m) => subject.test(m.subject) && m.text.includes(`(order ${orderId})`));
  const hooksFor = (orderId: number, event: string) =>
    hooks.delivered.filter((h) => h.json.OrderId === orderId && h.json.Event === event);
  /** Every notice of the order settled (sent, failed, skipped), except those not yet due. */
  const settled = async (orderId: number) =>
    (await notices(orderId)).every((n) => n.status !== 'pending' || n.due_at > cd.clock.now()) || undefined;

  function assertSigned(hook: Hook, secret: string): void {
    const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(hook.signature);
    assert.ok(m, `signature header ${hook.signature}`);
    const expected = createHmac('sha256', secret).update(`${m[1]}.${hook.body}`).digest('hex');
    assert.equal(m[2], expected, 'v1 = HMAC-SHA256(secret, t + "." + body)');
    assert.ok(Math.abs(Number(m[1]) - cd.clock.now() / 1000) < 600, 't is the time of sending');
    assert.equal(hook.contentType, 'application/json');
    assert.equal(hook.noticeId, String(hook.json.NoticeId));
  }

  before(async () => {
    smtp = await startSmtp();
    hooks = await startReceiver();
    ({ cd, cs } = await startWithChallenges({ 'smtp-url': `smtp://127.0.0.1:${smtp.port}` }));
    const key = await createAccount(cd.ctx.accounts, 'Notices Inc');
    accountId = key.AccountId;
    client = casClient(cd.endpoint, key);
    await grantPlan(cd.ctx.accounts, { accountId, productCode: 'digicert-free-1-free', count: 20 });
    // One receiver behind two URLs: an IP literal listed by both contacts (one notice, not two),
    // and a name the certdesk resolver answers (the resolve-then-vet path).
    ipHook = `http://127.0.0.1:${hooks.port}/ip`;
    const hookHost = `hooks.${freshDomain('hooks')}`;
    cs.setA(hookHost, ['127.0.0.1']);
    namedHook = `http://${hookHost}:${hooks.port}/named`;
    await addContact(cd.ctx.accounts, accountId, {
      name: 'Ann',
      email: 'ann@example.com',
      mobile: '13900001111',
      webhooks: [ipHook],
    });
    // The latest contact is the one an application without contact fields names (CAS API reference, contact actions).
    await addContact(cd.ctx.accounts, accountId, {
      name: 'Bob',
      email: 'bob@example.com',
      mobile: '13900002222',
      webhooks: [ipHook, namedHook],
    });
  });
  after(async () => {
    await cd?.close();
    await cs?.close();
    await new Promise<void>((r) => (smtp ? smtp.server.close(() => r()) : r()));
    hooks?.server.closeAllConnections();
    await new Promise<void>((r) => (hooks ? hooks.server.close(() => r()) : r()));
  });

  test('verification needed, issued and revoked: an e-mail to the order contact and a signed webhook per URL, each once', async () => {
    const domain = freshDomain('notice');
    const orderId = await submit(domain);
    const waiting = await describe(client, orderId);
    const recordName = `_dnsauth.${domain}`;

    // Verification needed: the e-mail says which TXT record to publish.
    const [needMail] = await waitFor('the verification-needed e-mail', () => {
      const found = mailsFor(orderId, /prove control/);
      return found.length > 0 ? found : undefined;
    });
    assert.deepEqual(needMail!.to, ['bob@example.com']);
    assert.match(needMail!.subject, new RegExp(domain.replace(/\./g, '\\.')));
    assert.ok(needMail!.text.includes(`Name:  ${recordName}`), needMail!.text);
    assert.ok(needMail!.text.includes('Type:  TXT'));
    assert.ok(needMail!.text.includes(`Value: ${waiting.recordValue}`), 'the value DescribeCertificateState shows');
    // The mail links to the order's console page through a one-time sign-in link scoped to it.
    const link = /(http:\/\/\S+\/console\/sign-in\/link\?token=[A-Za-z0-9]{43})/.exec(needMail!.text)?.[1];
    assert.ok(link, needMail!.text);
    const landing = await fetch(link);
    const pre = landing.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    const csrf = /name="_csrf" value="([0-9a-f]+)"/.exec(await landing.text())![1]!;
    const token = new URL(link).searchParams.get('token')!;
    const signedIn = await fetch(new URL('/console/sign-in/link', link), {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: pre, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: csrf, token }).toString(),
    });
    assert.equal(signedIn.status, 303);
    assert.equal(signedIn.headers.get('location'), `/console/orders/${orderId}`);
    assert.equal(
      needMail!.headers.get('message-id'),
      `<notice-${needMail!.noticeId}@127.0.0.1>`,
      'a Message-ID derived from the notice id',
    );

    const needHooks = await waitFor('both verification-needed webhooks', () => {
      const found = hooksFor(orderId, 'verification_needed');
      return found.length >= 2 ? found : undefined;
    });
    const secret = await getOrCreateWebhookSecret(cd.server.orders, accountId);
    assert.match(secret, /^whsec_[A-Za-z0-9_-]{43}$/);
    for (const h of needHooks) {
      assertSigned(h, secret);
      assert.deepEqual(h.json.Domains, [domain]);
      assert.deepEqual(h.json.Verification, {
        Method: 'DNS',
        Records: [{ Domain: domain, RecordType: 'TXT', RecordName: recordName, RecordValue: waiting.recordValue }],
      });
    }
    assert.deepEqual(
      needHooks.map((h) => h.path).sort(),
      ['/ip', '/named'],
      'one call per distinct URL, though two contacts list /ip',
    );

    // Published: the certificate is issued and announced.
    await publishChallenges(cs, client, orderId);
    const done = await waitForType(client, orderId, ['certificate']);
    const leaf = new X509Certificate(
      done.certificate!.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/)![0],
    );
    const serial = leaf.serialNumber.toUpperCase().replace(/^0+/, '');
    const [issuedMail] = await waitFor('the issuance e-mail', () => {
      const found = mailsFor(orderId, /Certificate issued/);
      return found.length > 0 ? found : undefined;
    });
    assert.match(issuedMail!.text, new RegExp(`Serial: +0*${serial}`));
    const issuedHooks = await waitFor('both issuance webhooks', () => {
      const found = hooksFor(orderId, 'issued');
      return found.length >= 2 ? found : undefined;
    });
    for (const h of issuedHooks) {
      assertSigned(h, secret);
      assert.equal(h.json.Serial.replace(/^0+/, ''), serial);
      assert.equal(Date.parse(h.json.NotAfter), Date.parse(leaf.validTo));
      assert.equal(typeof h.json.CertificateId, 'number');
    }

    // The expiry notice waits in the store, due 30 days before notAfter, with its job.
    const expiring = (await notices(orderId)).filter((n) => n.event === 'expiring');
    assert.deepEqual(expiring.map((n) => n.channel).sort(), ['email', 'webhook', 'webhook']);
    for (const n of expiring) {
      assert.equal(n.status, 'pending');
      assert.equal(n.due_at, Date.parse(leaf.validTo) - 30 * DAY_MS);
      assert.equal((await cd.ctx.store.repos.jobs.find('notice', n.id))?.run_at, n.due_at);
    }

    // Revoked: announced with the reason.
    await revoke(orderId);
    const [revokedMail] = await waitFor('the revocation e-mail', () => {
      const found = mailsFor(orderId, /Certificate revoked/);
      return found.length > 0 ? found : undefined;
    });
    assert.match(revokedMail!.text, /Reason: +unspecified/);
    const revokedHooks = await waitFor('both revocation webhooks', () => {
      const found = hooksFor(orderId, 'revoked');
      return found.length >= 2 ? found : undefined;
    });
    for (const h of revokedHooks) {
      assertSigned(h, secret);
      assert.equal(h.json.RevocationReason, 'unspecified');
    }

    await waitFor('every due notice settled', () => settled(orderId));
    for (const n of (await notices(orderId)).filter((x) => x.event !== 'expiring'))
      assert.equal(n.status, 'sent', `${n.event} ${n.channel}`);
    // Once each: 3 events x (1 e-mail + 2 URLs).
    assert.equal(smtp.mails.filter((m) => m.text.includes(`(order ${orderId})`)).length, 3);
    const orderHooks = hooks.delivered.filter((h) => h.json.OrderId === orderId);
    assert.equal(orderHooks.length, 6);
    assert.ok([...tally(orderHooks.map((h) => h.noticeId)).values()].every((c) => c === 1));
  });

  test('a receiver that fails for a while gets each notice exactly once after it recovers', async () => {
    const refusedBefore = hooks.refused();
    hooks.failNext(5);
    const { orderId } = await issue(freshDomain('flaky'));
    await revoke(orderId);
    await waitFor(
      'the receiver to recover and every notice to settle',
      async () => hooks.failuresLeft() === 0 && (await settled(orderId)),
    );
    assert.equal(hooks.refused() - refusedBefore, 5, 'the receiver did refuse calls');

    const rows = (await notices(orderId)).filter((n) => n.channel === 'webhook' && n.event !== 'expiring');
    assert.equal(rows.length, 6, 'verification needed, issued, revoked x 2 URLs');
    for (const n of rows) assert.equal(n.status, 'sent');
    assert.ok(
      rows.some((n) => n.attempts > 1 && n.last_error === 'webhook HTTP 500'),
      'some notices needed a retry',
    );

    const got = hooks.delivered.filter((h) => h.json.OrderId === orderId);
    assert.deepEqual(
      [...tally(got.map((h) => h.noticeId)).entries()].sort(),
      rows.map((n) => [String(n.id), 1]).sort(),
      'each notice id exactly once',
    );
    assert.ok(
      [...tally(got.map((h) => h.body)).values()].every((c) => c === 1),
      'each body exactly once',
    );
  });

  test('a rejected order yields the verification-failed notice with the reason', async () => {
    const domain = freshDomain('reject');
    const orderId = await submit(domain);
    // From another process (`certdesk admin`, no --smtp-url): the outbox row is written there
    // and delivered by the server's worker.
    await runCliJson(
      ['admin', 'order', 'reject', String(orderId), '--reason', 'domain owner unknown', ...cd.storeArgs],
      cd.storeEnv,
    );
    const [mail] = await waitFor('the verification-failed e-mail', () => {
      const found = mailsFor(orderId, /application failed/);
      return found.length > 0 ? found : undefined;
    });
    assert.match(mail!.text, /Rejected by review: domain owner unknown/);
    const failedHooks = await waitFor('both verification-failed webhooks', () => {
      const found = hooksFor(orderId, 'verification_failed');
      return found.length >= 2 ? found : undefined;
    });
    for (const h of failedHooks) assert.equal(h.json.Reason, 'Rejected by review: domain owner unknown');
    await waitFor('every notice settled', () => settled(orderId));
    assert.equal(mailsFor(orderId, /application failed/).length, 1);
    assert.equal(hooksFor(orderId, 'verification_failed').length, 2);
  });

  test('the expiry notice is delivered once, 30 days before notAfter; a revoked certificate gets none', async () => {
    const kept = await issue(freshDomain('expiry'));
    const gone = await issue(freshDomain('expiry'));
    await revoke(gone.orderId);
    await waitFor(
      'the issuance and revocation notices settled',
      async () => (await settled(kept.orderId)) && (await settled(gone.orderId)),
    );
    const due = Math.max(...(await notices(kept.orderId)).filter((n) => n.event === 'expiring').map((n) => n.due_at));
    assert.equal(due, Date.parse(kept.leaf.validTo) - 30 * DAY_MS);
    assert.equal(mailsFor(kept.orderId, /expires in/).length, 0, 'nothing before it is due');

    const shift = due - cd.clock.now() + 1000;
    cd.clock.advance(shift);
    try {
      const [mail] = await waitFor('the expiry e-mail', () => {
        const found = mailsFor(kept.orderId, /expires in 30 days/);
        return found.length > 0 ? found : undefined;
      });
      assert.match(mail!.text, new RegExp(`expires on ${new Date(Date.parse(kept.leaf.validTo)).toISOString()}`));
      await waitFor('the expiry notices settled', async () => {
        const rows = [...(await notices(kept.orderId)), ...(await notices(gone.orderId))].filter(
          (n) => n.event === 'expiring',
        );
        return rows.every((n) => n.status !== 'pending') || undefined;
      });
      const keptRows = (await notices(kept.orderId)).filter((n) => n.event === 'expiring');
      assert.deepEqual(
        keptRows.map((n) => n.status),
        ['sent', 'sent', 'sent'],
      );
      const goneRows = (await notices(gone.orderId)).filter((n) => n.event === 'expiring');
      assert.deepEqual(
        goneRows.map((n) => [n.status, n.last_error]),
        [
          ['skipped', 'the certificate was revoked'],
          ['skipped', 'the certificate was revoked'],
          ['skipped', 'the certificate was revoked'],
        ],
      );
      const keptHooks = hooksFor(kept.orderId, 'expiring');
      assert.equal(keptHooks.length, 2);
      assert.ok(keptHooks.every((h) => Date.parse(h.json.NotAfter) === Date.parse(kept.leaf.validTo)));
      assert.equal(mailsFor(kept.orderId, /expires in/).length, 1);
      assert.equal(hooksFor(gone.orderId, 'expiring').length, 0);
      assert.equal(mailsFor(gone.orderId, /expires in/).length, 0);
    } finally {
      cd.clock.advance(-shift);
    }
  });

  test('an event announced twice, two deliverers at once, and a deliverer that died holding a notice: each notice still arrives once', async () => {
    const { orderId, leaf } = await issue(freshDomain('race'));
    await waitFor('the issuance notices settled', () => settled(orderId));
    const before = await notices(orderId);

    // The same event again (a retried transaction, a second process): no new notice, no new call.
    const issuedRow = before.find((n) => n.event === 'issued')!;
    const sink = noticeEventSink();
    for (let i = 0; i < 2; i++) {
      await cd.ctx.store.writeTransaction((repos) =>
        sink(
          repos,
          {
            kind: 'issued',
            accountId,
            orderId,
            certificateId: issuedRow.certificate_id!,
            serial: leaf.serialNumber,
            sans: [],
            notAfter: Date.parse(leaf.validTo),
          },
          cd.clock.now(),
        ),
      );
    }
    assert.deepEqual(
      (await notices(orderId)).map((n) => n.id),
      before.map((n) => n.id),
    );

    // Two more "processes" deliver the expiry notices, alongside the server's own worker.
    const [first, second] = [
      createNoticeDeps(cd.server.orders, noticeSettings(cd.ctx.config)),
      createNoticeDeps(cd.server.orders, noticeSettings(cd.ctx.config)),
    ];
    const expiring = before.filter((n) => n.event === 'expiring' && n.channel === 'webhook');
    const [racy, orphan] = expiring;
    const due = racy!.due_at;
    // A deliverer that took the orphan's lease at its due time, then died before sending.
    const leaseMs = noticeSettings(cd.ctx.config).leaseMs;
    assert.ok(await cd.ctx.store.repos.notices.claim(orphan!.id, 'died-mid-delivery', due + 1000, leaseMs));

    hooks.answerAfter(300); // widens the window in which two deliverers could overlap
    const shift = due - cd.clock.now() + 1000;
    cd.clock.advance(shift);
    try {
      const outcomes = await Promise.all([runNoticeDelivery(first, racy!.id), runNoticeDelivery(second, racy!.id)]);
      assert.ok(
        outcomes.some((o) => o.kind === 'retry' && o.reason === 'another worker is delivering this notice'),
        JSON.stringify(outcomes),
      );
      // The orphan stays with its dead holder until the lease runs out...
      assert.deepEqual(await runNoticeDelivery(first, orphan!.id), {
        kind: 'retry',
        reason: 'another worker is delivering this notice',
      });
      assert.equal(hooks.delivered.filter((h) => h.noticeId === String(orphan!.id)).length, 0);
      // ...then it is taken over and sent.
      cd.clock.advance(leaseMs);
      await waitFor('the expiry notices settled', async () => {
        const rows = (await notices(orderId)).filter((n) => n.event === 'expiring');
        return rows.every((n) => n.status === 'sent') || undefined;
      });
      for (const n of [racy!, orphan!]) {
        assert.equal(
          hooks.delivered.filter((h) => h.noticeId === String(n.id)).length,
          1,
          `notice ${n.id} arrived once`,
        );
        assert.equal((await cd.ctx.store.repos.notices.get(n.id))!.attempts, 1);
      }
      // Re-running a settled notice sends nothing.
      assert.deepEqual(await runNoticeDelivery(second, racy!.id), { kind: 'done' });
      assert.equal(hooks.delivered.filter((h) => h.noticeId === String(racy!.id)).length, 1);
    } finally {
      hooks.answerAfter(0);
      cd.clock.advance(-shift - leaseMs);
    }
  });
});
