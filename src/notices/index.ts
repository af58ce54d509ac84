// Notices to customers: e-mail and webhooks for verification needed,
// issuance, verification failure, 30 days before expiry, and revocation. Durable (an outbox
// in the store, written in the transaction of the change), retried with backoff,
// at-least-once and deduplicated; see event-sink.ts and deliver.ts.
export { noticeEventSink, emailChannelOf, EXPIRY_NOTICE_MS, type EmailChannel } from './event-sink.js';
export { runNoticeDelivery, noticeJobHandler } from './deliver.js';
export { JOB_NOTICE, noticeSettings, createNoticeDeps, type NoticeDeps, type NoticeSettings } from './settings.js';
export {
  getOrCreateWebhookSecret,
  signWebhook,
  verifyWebhookSignature,
  SIGNATURE_HEADER,
  NOTICE_ID_HEADER,
} from './webhook-signature.js';
export { queueTestNotice, recentWebhookNotices, accountWebhooks, type TestNoticeDeps } from './test-notice.js';
export { NOTICE_EVENTS, type NoticeEvent, type NoticeFacts } from './content.js';
export { createSmtpMailer, type Mailer, type OutgoingEmail } from './send-email.js';
export { postWebhook, type WebhookCall, type WebhookResult } from './send-webhook.js';
