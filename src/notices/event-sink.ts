// Order events -> the notice outbox. The sink runs inside the transaction of the change
// (src/orders/events.ts), so a notice row and its delivery job exist exactly when the change
// committed. Each row is one (event occurrence, channel, target) under a UNIQUE dedupe key:
// an event written twice (a retried transaction, two processes racing) yields one notice.
import { createHash } from 'node:crypto';
import { revocationReasonName } from '../domain/revocation.js';
import type { Order } from '../domain/order.js';
import type { EventRepos, EventSink, OrderEvent, SingleOrderEvent } from '../orders/events.js';
import type { Certificate } from '../domain/certificate.js';
import type { NewNotice } from '../store/repos/notices.js';
import { dnsRecordName, FILE_VALIDATION_PATH } from '../validation/index.js';
import type { NoticeEvent, NoticeFacts } from './content.js';
import { JOB_NOTICE } from './settings.js';

/** "30 days before expiry"; the same window that makes a certificate WILLEXPIRED. */
export const EXPIRY_NOTICE_MS = 30 * 86_400_000;

interface PlannedNotice {
  event: NoticeEvent;
  /** Names this occurrence of the event: equal for a repeat of it, different for a new one. */
  occurrence: string;
  orderId: number | null;
  certificateId: number | null;
  facts: NoticeFacts;
  dueAt: number;
}

interface Recipient {
  channel: 'email' | 'webhook';
  target: string;
  /** What makes two targets the same recipient (e-mail addresses compare case-insensitively). */
  key: string;
}

/**
 * Whether this process knows that e-mail notices can be delivered: 'configured' (it has
 * --smtp-url), 'absent' (it runs the worker that delivers notices and has no --smtp-url: an
 * e-mail row would only ever be settled as skipped), 'unknown' (a process that delivers
 * nothing itself, e.g. `certdesk admin` or `--role api`: the worker decides, deliver.ts).
 */
export type EmailChannel = 'configured' | 'absent' | 'unknown';

/** What `certdesk serve` with `config` knows about its e-mail channel. */
export function emailChannelOf(config: { smtpUrl?: string | undefined; role: string }): EmailChannel {
  if (config.smtpUrl !== undefined) return 'configured';
  return config.role === 'api' ? 'unknown' : 'absent';
}

/**
 * A notice is queued only where a channel could deliver it (docs/decisions/0028): a webhook
 * of the account's contacts, or the order's contact address unless the e-mail channel is
 * known to be absent. With neither, nothing is written: not the row, not its job, and none of
 * the reads that would fill it in. Where a channel exists, the row and its job are written in
 * the transaction of the change, as ever (the outbox).
 */
export function noticeEventSink(opts: { email?: EmailChannel } = {}): EventSink {
  const email = opts.email ?? 'unknown';
  return async (repos, event, now) => {
    if (event.kind === 'revoked_batch') return revokedBatchNotices(repos, event, now, email);
    if (!noticeKinds.has(event.kind)) return;
    const webhooks = await repos.notices.contactWebhooks(event.accountId);
    const withWebhooks = recipientsFrom(webhooks, undefined).length > 0;
    if (!withWebhooks && email === 'absent') return;
    // verification_needed brings its order (orders/events.ts); the others are read here.
    const order =
      event.kind === 'verification_needed'
        ? event.order
        : event.orderId === null
          ? undefined
          : await repos.orders.getById(event.orderId);
    const recipients = recipientsFrom(webhooks, email === 'absent' ? undefined : order?.contact.email);
    if (recipients.length === 0) return;
    const planned = await planNotices(repos, event, order, now);
    for (const p of planned) {
      for (const r of recipients) {
        const id = await repos.notices.insertIfNew(noticeRow(event.accountId, p, r, now));
        // A duplicate already has its job; a new row gets one, due when the notice is.
        if (id !== undefined) await repos.jobs.enqueue(JOB_NOTICE, id, p.dueAt, now);
      }
    }
  };
}

/** The events that notify customers; the others are recorded in the audit trail only. */
const noticeKinds = new Set<SingleOrderEvent['kind']>([
  'verification_needed',
  'verification_failed',
  'issued',
  'revoked',
]);

function noticeRow(accountId: number, p: PlannedNotice, r: Recipient, now: number): NewNotice {
  return pendingNotice(
    {
      account_id: accountId,
      order_id: p.orderId,
      certificate_id: p.certificateId,
      event: p.event,
      channel: r.channel,
      target: r.target,
      dedupe_key: sha256Hex(`${p.occurrence}\n${r.channel}\n${r.key}`),
      payload: JSON.stringify(p.facts),
      due_at: p.dueAt,
    },
    now,
  );
}

/** What a notice says and where it goes, as a row of the outbox not yet tried. */
export function pendingNotice(
  n: Pick<
    NewNotice,
    'account_id' | 'order_id' | 'certificate_id' | 'event' | 'channel' | 'target' | 'dedupe_key' | 'payload' | 'due_at'
  >,
  now: number,
): NewNotice {
  // Written out, not spread: a mass revocation builds 100,000s of these, and a literal of
  // known shape costs a fraction of a spread's copy.
  return {
    account_id: n.account_id,
    order_id: n.order_id,
    certificate_id: n.certificate_id,
    event: n.event,
    channel: n.channel,
    target: n.target,
    dedupe_key: n.dedupe_key,
    payload: n.payload,
    due_at: n.due_at,
    status: 'pending',
    attempts: 0,
    last_error: null,
    lease_owner: null,
    lease_until: null,
    sent_at: null,
    created_at: now,
  };
}

/**
 * The notices of a batch of revocations, the same rows 'revoked' writes one by one: the
 * certificates' facts come with the event, the orders and each account's webhooks are read
 * once per batch, the rows and their delivery jobs inserted together (duplicates by dedupe
 * key, as ever, once).
 */
async function revokedBatchNotices(
  repos: EventRepos,
  event: Extract<OrderEvent, { kind: 'revoked_batch' }>,
  now: number,
  email: EmailChannel,
): Promise<void> {
  const orderIds = event.certificates.flatMap((c) => (c.orderId === null ? [] : [c.orderId]));
  const orders = new Map((await repos.orders.getManyById(orderIds)).map((o) => [o.id, o]));
  // Each account's webhooks read and parsed once per batch, not once per certificate.
  const webhooks = new Map<number, string[]>();
  const recipientsByKey = new Map<string, Recipient[]>();
  const rows: NewNotice[] = [];
  for (const c of event.certificates) {
    if (!webhooks.has(c.accountId)) webhooks.set(c.accountId, await repos.notices.contactWebhooks(c.accountId));
    const order = c.orderId === null ? undefined : orders.get(c.orderId);
    const contactEmail = email === 'absent' ? undefined : order?.contact.email;
    const key = `${c.accountId}
${contactEmail ?? ''}`;
    let recipients = recipientsByKey.get(key);
    if (recipients === undefined) {
      recipients = recipientsFrom(webhooks.get(c.accountId)!, contactEmail);
      recipientsByKey.set(key, recipients);
    }
    if (recipients.length === 0) continue;
    const p = revokedNoticeOf(
      { id: c.certificateId, sans: c.sans, serial: c.serial, notBefore: c.notBefore, notAfter: c.notAfter },
      c.orderId,
      event.reason,
      event.revokedAt,
      now,
    );
    for (const r of recipients) rows.push(noticeRow(c.accountId, p, r, now));
  }
  if (rows.length === 0) return;
  const ids = await repos.notices.insertManyIfNew(rows);
  await repos.jobs.enqueueMany(JOB_NOTICE, ids, now, now);
}

function revokedNotice(cert: Certificate, orderId: number | null, reason: number | null, now: number): PlannedNotice {
  return revokedNoticeOf(cert, orderId, reason, cert.revokedAt ?? now, now);
}

function revokedNoticeOf(
  cert: Pick<Certificate, 'id' | 'serial' | 'notBefore' | 'notAfter'> & { sans: readonly string[] },
  orderId: number | null,
  reason: number | null,
  revokedAt: number,
  dueAt: number,
): PlannedNotice {
  return {
    event: 'revoked',
    occurrence: `revoked:${cert.id}`,
    orderId,
    certificateId: cert.id,
    dueAt,
    facts: {
      domains: [...cert.sans],
      serial: cert.serial,
      notBefore: cert.notBefore,
      notAfter: cert.notAfter,
      revokedAt,
      revocationReason: revocationReasonName(reason),
    },
  };
}

async function planNotices(
  repos: EventRepos,
  event: SingleOrderEvent,
  order: Order | undefined,
  now: number,
): Promise<PlannedNotice[]> {
  switch (event.kind) {
    case 'verification_needed': {
      if (!order) return [];
      const authzs = await repos.authorizations.forOrder(order.id);
      const open = authzs.filter((a) => a.status !== 'valid');
      const toProve = open.length > 0 ? open : authzs;
      const facts: NoticeFacts = {
        domains: order.names,
        verification:
          order.validateType === 'FILE'
            ? {
                method: 'FILE',
                files: toProve.map((a) => ({
                  domain: a.domain,
                  url: `http://${a.domain}${FILE_VALIDATION_PATH}`,
                  content: a.token,
                })),
              }
            : {
                method: 'DNS',
                records: toProve.map((a) => ({
                  domain: a.domain,
                  recordType: 'TXT' as const,
                  recordName: dnsRecordName(a.domain),
                  recordValue: a.token,
                })),
              },
      };
      // Each submission draws fresh random values (BR §3.2.2.4), so the values name the occurrence.
      const occurrence = `verification_needed:${order.id}:${sha256Hex(toProve.map((a) => a.token).join(','))}`;
      return [{ event: 'verification_needed', occurrence, orderId: order.id, certificateId: null, facts, dueAt: now }];
    }
    case 'verification_failed':
      // verify_fail is final (domain/order.ts), so an order fails once.
      return [
        {
          event: 'verification_failed',
          occurrence: `verification_failed:${event.orderId}`,
          orderId: event.orderId,
          certificateId: null,
          facts: { domains: order ? order.names : [], reason: event.reason },
          dueAt: now,
        },
      ];
    case 'issued': {
      const cert = await repos.certificates.get(event.accountId, event.certificateId);
      if (!cert) return [];
      const facts: NoticeFacts = {
        domains: cert.sans,
        serial: cert.serial,
        notBefore: cert.notBefore,
        notAfter: cert.notAfter,
      };
      const base = { orderId: event.orderId, certificateId: cert.id, facts };
      const notices: PlannedNotice[] = [{ ...base, event: 'issued', occurrence: `issued:${cert.id}`, dueAt: now }];
      // A certificate shorter-lived than the window gets no separate expiry notice: it would
      // arrive together with the issuance notice.
      const expiryDue = cert.notAfter - EXPIRY_NOTICE_MS;
      if (expiryDue > now)
        notices.push({ ...base, event: 'expiring', occurrence: `expiring:${cert.id}`, dueAt: expiryDue });
      return notices;
    }
    case 'revoked': {
      const cert = await repos.certificates.get(event.accountId, event.certificateId);
      if (!cert) return [];
      return [revokedNotice(cert, event.orderId, event.reason, now)];
    }
    // Recorded in the audit trail only (src/audit/event-sink.ts); no notice to the customer.
    case 'validation_attempted':
    case 'approved':
    case 'rejected':
      return [];
  }
}

/** The order's contact by e-mail, and every webhook of the account's contacts, once each. */
function recipientsFrom(webhookLists: readonly string[], email: string | undefined): Recipient[] {
  const out = new Map<string, Recipient>();
  const address = email?.trim() ?? '';
  if (address !== '')
    out.set(`email:${address.toLowerCase()}`, { channel: 'email', target: address, key: address.toLowerCase() });
  for (const json of webhookLists) {
    for (const url of parseWebhookList(json)) out.set(`webhook:${url}`, { channel: 'webhook', target: url, key: url });
  }
  return [...out.values()];
}

/** ContactsTable.webhooks: a JSON array of URLs; anything unreadable in it is ignored. */
function parseWebhookList(json: string): string[] {
  let list: unknown;
  try {
    list = JSON.parse(json);
  } catch {
    return [];
  }
  if (!Array.isArray(list)) return [];
  const urls: string[] = [];
  for (const item of list) {
    if (typeof item !== 'string') continue;
    try {
      const u = new URL(item);
      if (u.protocol === 'http:' || u.protocol === 'https:') urls.push(u.toString());
    } catch {
      // not a URL: contacts.ts refuses these on entry; older rows are skipped
    }
  }
  return urls;
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
