// Delivery of one notice (the `notice` job): send it, then mark it sent; on failure keep the
// error and let the worker retry with backoff; give up after GIVE_UP_AFTER_MS.
//
// At-least-once, and never twice from a restart or a second process: a worker first takes
// the notice's own lease (longer than the slowest attempt may take), and only the lease
// holder can mark it sent, in one conditional update (repos/notices.ts). A second worker
// finds the lease taken, or the notice settled, and sends nothing. The one residual case
// is a crash after the receiver accepted the notice and before the mark commits: once the
// lease expires the notice is sent again. Receivers dedupe on what stays the same across
// attempts: the X-Certdesk-Notice-Id header and the body (webhooks), the Message-ID
// (e-mail, RFC 5322 §3.6.4).
import type { OrderDeps } from '../orders/deps.js';
import type { AttemptOutcome } from '../worker/job-protocol.js';
import type { NoticeRow } from '../store/schema.js';
import { parseFacts, renderEmail, renderWebhookBody } from './content.js';
import { EmailSendError } from './send-email.js';
import { postWebhook } from './send-webhook.js';
import { createNoticeDeps, type NoticeDeps, type NoticeSettings } from './settings.js';
import { getOrCreateWebhookSecret, NOTICE_ID_HEADER, SIGNATURE_HEADER, signWebhook } from './webhook-signature.js';

type SendResult = { ok: true } | { ok: false; error: string };

export async function runNoticeDelivery(deps: NoticeDeps, noticeId: number): Promise<AttemptOutcome> {
  const { repos } = deps.store;
  const owner = deps.random.bytes(9).toString('base64url');
  const now = deps.clock.now();
  const notice = await repos.notices.claim(noticeId, owner, now, deps.settings.leaseMs);
  if (!notice) {
    const row = await repos.notices.get(noticeId);
    if (!row || row.status !== 'pending') return { kind: 'done' }; // sent, given up or skipped already
    return { kind: 'retry', reason: 'another worker is delivering this notice' };
  }
  if (notice.due_at > now) {
    // Not reachable through the queue (the job is due when the notice is); never send early.
    await repos.notices.release(notice.id, owner);
    return { kind: 'retry', reason: 'not due yet' };
  }
  const skip = await reasonToSkip(deps, notice, now);
  if (skip !== undefined) {
    await repos.notices.settle(notice.id, owner, 'skipped', skip);
    return { kind: 'done' };
  }

  let result: SendResult;
  try {
    result = notice.channel === 'email' ? await sendEmail(deps, notice) : await sendWebhook(deps, notice);
  } catch (e) {
    deps.logger.log('error', 'notice delivery failed', {
      noticeId: notice.id,
      error: String((e as Error)?.stack ?? e),
    });
    result = { ok: false, error: 'internal error' };
  }
  const after = deps.clock.now();
  if (result.ok) {
    if (!(await repos.notices.markSent(notice.id, owner, after))) {
      // Our attempt outlived its lease and another worker took the notice over: it may reach
      // the recipient twice, with the same notice id.
      deps.logger.log('warn', 'notice sent after its lease expired', { noticeId: notice.id });
    }
    return { kind: 'done' };
  }
  if (after - notice.due_at >= deps.settings.giveUpAfterMs) {
    await repos.notices.settle(notice.id, owner, 'failed', result.error);
    deps.logger.log('warn', 'notice given up', { noticeId: notice.id, channel: notice.channel, error: result.error });
    return { kind: 'done' };
  }
  await repos.notices.recordFailure(notice.id, owner, result.error);
  return { kind: 'retry', reason: result.error };
}

/** The job handler for src/app: `[JOB_NOTICE]: noticeJobHandler(orderDeps, noticeSettings(config))`. */
export function noticeJobHandler(
  orders: OrderDeps,
  settings: NoticeSettings,
  consoleLink?: NoticeDeps['consoleLink'],
): (noticeId: number) => Promise<AttemptOutcome> {
  const deps: NoticeDeps = { ...createNoticeDeps(orders, settings), ...(consoleLink ? { consoleLink } : {}) };
  return (noticeId) => runNoticeDelivery(deps, noticeId);
}

/**
 * E-mail goes out only where SMTP is configured (`--smtp-url`). An expiry notice is
 * pointless for a certificate revoked, deleted or already expired since it was scheduled.
 */
async function reasonToSkip(deps: NoticeDeps, notice: NoticeRow, now: number): Promise<string | undefined> {
  if (notice.channel === 'email' && !deps.mailer) return 'no SMTP server is configured (--smtp-url)';
  if (notice.event !== 'expiring' || notice.certificate_id === null) return undefined;
  const cert = await deps.store.repos.certificates.get(notice.account_id, notice.certificate_id);
  if (!cert) return 'the certificate was deleted';
  if (cert.revokedAt !== null) return 'the certificate was revoked';
  if (now >= cert.notAfter) return 'the certificate has expired';
  return undefined;
}

async function sendEmail(deps: NoticeDeps, notice: NoticeRow): Promise<SendResult> {
  if (!deps.mailer) throw new Error('sendEmail without a mailer');
  let link: string | undefined;
  if (notice.order_id !== null && deps.consoleLink)
    link = await deps.consoleLink(notice.account_id, notice.order_id).catch((e: unknown) => {
      deps.logger.log('warn', 'console link for a notice failed', { noticeId: notice.id, error: String(e) });
      return undefined;
    });
  const { subject, text } = renderEmail(notice, parseFacts(notice.payload), link);
  try {
    await deps.mailer.send({
      from: deps.settings.smtpFrom,
      to: notice.target,
      subject,
      text,
      messageId: `<notice-${notice.id}@${deps.settings.messageIdDomain}>`,
      headers: { [NOTICE_ID_HEADER]: String(notice.id) },
    });
  } catch (e) {
    if (e instanceof EmailSendError) return { ok: false, error: e.message };
    throw e;
  }
  return { ok: true };
}

async function sendWebhook(deps: NoticeDeps, notice: NoticeRow): Promise<SendResult> {
  const secret = await getOrCreateWebhookSecret(deps, notice.account_id);
  // The body is the same bytes on every attempt; only the signature's timestamp moves.
  const body = renderWebhookBody(notice, parseFacts(notice.payload));
  const t = Math.floor(deps.clock.now() / 1000);
  const result = await postWebhook(
    { resolver: deps.validation.resolver, allowPrivateTargets: deps.validation.allowPrivateTargets },
    {
      url: notice.target,
      body,
      headers: {
        'Content-Type': 'application/json',
        [NOTICE_ID_HEADER]: String(notice.id),
        [SIGNATURE_HEADER]: signWebhook(secret, t, body),
      },
      timeoutMs: deps.settings.webhookTimeoutMs,
    },
  );
  return result.ok ? { ok: true } : { ok: false, error: `webhook ${result.error}` };
}
