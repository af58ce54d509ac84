// What notice delivery needs (docs/ARCHITECTURE.md, principle 3): src/app builds it from
// config and the order engine's dependencies.
import type { JobKind } from '../worker/job-protocol.js';
import type { Config } from '../config/schema.js';
import type { Clock, Logger, RandomSource, SecretSealer } from '../domain/ports.js';
import type { OrderDeps, ValidationSettings } from '../orders/deps.js';
import type { StoreView } from '../store/views.js';
import { createSmtpMailer, type Mailer } from './send-email.js';

/** The job kind that delivers one notice (ref = notice id). */
export const JOB_NOTICE = 'notice' satisfies JobKind;

export interface NoticeSettings {
  /** nodemailer connection URL (smtp://, smtps://); undefined: e-mail notices are skipped, not sent. */
  smtpUrl: string | undefined;
  smtpFrom: string;
  /** Right-hand side of Message-IDs: the host of --public-url, so that ids are unique to this installation. */
  messageIdDomain: string;
  /** Budget of one webhook call: connect, request and answer. */
  webhookTimeoutMs: number;
  /** Budget of one SMTP submission. */
  emailTimeoutMs: number;
  /** A notice that still fails this long after it was due is given up and marked failed. */
  giveUpAfterMs: number;
  /**
   * How long one attempt holds a notice. Longer than the slowest attempt can take (both
   * budgets above), so that no other worker starts the same notice while one is sending it.
   */
  leaseMs: number;
}

export const WEBHOOK_TIMEOUT_MS = 10_000;
export const EMAIL_TIMEOUT_MS = 60_000;
/** Issue 4: "retried with backoff"; three days covers a receiver's long weekend. */
export const GIVE_UP_AFTER_MS = 3 * 86_400_000;
export const NOTICE_LEASE_MS = 2 * EMAIL_TIMEOUT_MS;

export function noticeSettings(config: Pick<Config, 'smtpUrl' | 'smtpFrom' | 'publicUrl'>): NoticeSettings {
  return {
    smtpUrl: config.smtpUrl,
    smtpFrom: config.smtpFrom,
    messageIdDomain: new URL(config.publicUrl).hostname.replace(/^\[|\]$/g, '') || 'certdesk.invalid',
    webhookTimeoutMs: WEBHOOK_TIMEOUT_MS,
    emailTimeoutMs: EMAIL_TIMEOUT_MS,
    giveUpAfterMs: GIVE_UP_AFTER_MS,
    leaseMs: NOTICE_LEASE_MS,
  };
}

export interface NoticeDeps {
  /** Delivery settles outbox rows and reads the certificate an expiry notice is about. */
  store: StoreView<'notices', 'certificates'>;
  clock: Clock;
  random: RandomSource;
  sealer: SecretSealer;
  logger: Logger;
  /** Webhook targets are resolved and vetted like validation targets (customer-controlled URLs). */
  validation: Pick<ValidationSettings, 'resolver' | 'allowPrivateTargets'>;
  settings: NoticeSettings;
  /** undefined when no SMTP server is configured. */
  mailer: Mailer | undefined;
}

export function createNoticeDeps(orders: OrderDeps, settings: NoticeSettings): NoticeDeps {
  return {
    store: orders.store,
    clock: orders.clock,
    random: orders.random,
    sealer: orders.sealer,
    logger: orders.logger,
    validation: orders.validation,
    settings,
    mailer: settings.smtpUrl === undefined ? undefined : createSmtpMailer(settings.smtpUrl, settings.emailTimeoutMs),
  };
}
