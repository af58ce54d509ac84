// E-mail notices go to the operator's SMTP server (--smtp-url) through nodemailer: a real
// SMTP client with STARTTLS, AUTH and timeouts, rather than a hand-written one.
import { createTransport } from 'nodemailer';

export interface OutgoingEmail {
  from: string;
  to: string;
  subject: string;
  text: string;
  /** Stable per notice, so that a copy sent twice (a crash after sending) is one message to mail software (RFC 5322 §3.6.4). */
  messageId: string;
  headers: Record<string, string>;
}

export interface Mailer {
  /** Resolves once the server accepted the message for the recipient; rejects otherwise. */
  send(mail: OutgoingEmail): Promise<void>;
}

export class EmailSendError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EmailSendError';
  }
}

/** A Mailer over nodemailer's SMTP transport. One submission takes at most `timeoutMs`. */
export function createSmtpMailer(smtpUrl: string, timeoutMs: number): Mailer {
  const transport = createTransport({
    url: smtpUrl,
    connectionTimeout: Math.min(timeoutMs, 10_000),
    greetingTimeout: Math.min(timeoutMs, 10_000),
    socketTimeout: timeoutMs,
  });
  return {
    async send(mail) {
      let info: { rejected: string[] };
      try {
        info = await transport.sendMail({ ...mail, signal: AbortSignal.timeout(timeoutMs) });
      } catch (e) {
        throw new EmailSendError(describeSmtpError(e), { cause: e });
      }
      if (info.rejected.length > 0) throw new EmailSendError('SMTP server rejected the recipient');
    },
  };
}

/** A short, credential-free account of an SMTP failure for last_error (operators read it). */
export function describeSmtpError(e: unknown): string {
  const err = e as { code?: unknown; responseCode?: unknown; response?: unknown; message?: unknown };
  const parts = ['SMTP'];
  if (typeof err.code === 'string') parts.push(err.code);
  if (typeof err.responseCode === 'number') parts.push(String(err.responseCode));
  const detail =
    typeof err.response === 'string' ? err.response : typeof err.message === 'string' ? err.message : String(e);
  // The connection URL may carry a password; nodemailer's messages name host and port only,
  // but scrub anything URL-shaped to be sure.
  const safe = detail
    .replace(/[a-z]+:\/\/\S+/gi, '<url>')
    .replace(/\s+/g, ' ')
    .slice(0, 200);
  return `${parts.join(' ')}: ${safe}`;
}
