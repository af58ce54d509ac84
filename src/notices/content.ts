// What a notice says: the facts captured when its event happened (stored with the notice,
// so that every attempt sends the same words and the same webhook body), rendered as an
// e-mail or as the webhook's JSON. Pure functions of the stored row.
import type { NoticeRow } from '../store/schema.js';

/** `test`: a notice a customer asked for from the console, to try a webhook target. */
export const NOTICE_EVENTS = [
  'verification_needed',
  'verification_failed',
  'issued',
  'expiring',
  'revoked',
  'test',
] as const;
export type NoticeEvent = (typeof NOTICE_EVENTS)[number];

/** What to publish for domain validation (CAS API reference: DescribeCertificateState domain verification fields): a TXT record at _dnsauth.<base domain>, or the FILE URI. */
export interface DnsRecordToPublish {
  domain: string;
  recordType: 'TXT';
  recordName: string;
  recordValue: string;
}
export interface FileToPublish {
  domain: string;
  url: string;
  content: string;
}
export type VerificationFacts =
  { method: 'DNS'; records: DnsRecordToPublish[] } | { method: 'FILE'; files: FileToPublish[] };

export interface NoticeFacts {
  domains: string[];
  verification?: VerificationFacts;
  /** verification_failed: the reason, as the order keeps it. */
  reason?: string;
  serial?: string;
  notBefore?: number;
  notAfter?: number;
  /** revoked: the RFC 5280 §5.3.1 reason name. */
  revocationReason?: string;
  revokedAt?: number;
}

export function parseFacts(payload: string): NoticeFacts {
  return JSON.parse(payload) as NoticeFacts;
}

const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());
const DAY_MS = 86_400_000;

/** The webhook body. Field names follow CAS's PascalCase; the same notice always gives the same bytes. */
export function renderWebhookBody(notice: NoticeRow, facts: NoticeFacts): string {
  const body: Record<string, unknown> = {
    NoticeId: notice.id,
    Event: notice.event,
    CreatedAt: iso(notice.created_at),
    OrderId: notice.order_id,
    ...(notice.certificate_id === null ? {} : { CertificateId: notice.certificate_id }),
    Domains: facts.domains,
  };
  const v = facts.verification;
  if (v?.method === 'DNS') {
    body.Verification = {
      Method: 'DNS',
      Records: v.records.map((r) => ({
        Domain: r.domain,
        RecordType: r.recordType,
        RecordName: r.recordName,
        RecordValue: r.recordValue,
      })),
    };
  } else if (v?.method === 'FILE') {
    body.Verification = {
      Method: 'FILE',
      Files: v.files.map((f) => ({ Domain: f.domain, Url: f.url, Content: f.content })),
    };
  }
  if (facts.reason !== undefined) body.Reason = facts.reason;
  if (facts.serial !== undefined) body.Serial = facts.serial;
  if (facts.notBefore !== undefined) body.NotBefore = iso(facts.notBefore);
  if (facts.notAfter !== undefined) body.NotAfter = iso(facts.notAfter);
  if (facts.revocationReason !== undefined) body.RevocationReason = facts.revocationReason;
  if (facts.revokedAt !== undefined) body.RevokedAt = iso(facts.revokedAt);
  return JSON.stringify(body);
}

/**
 * `consoleLink`: a one-time sign-in link to the order's page in the console (made per attempt,
 * so it is the one part of the words that differs between attempts): the applicant acts from
 * the mail, as the CAS document's CA e-mail lets them.
 */
export function renderEmail(
  notice: NoticeRow,
  facts: NoticeFacts,
  consoleLink?: string,
): { subject: string; text: string } {
  const names = facts.domains.join(', ');
  const order = notice.order_id === null ? '' : ` (order ${notice.order_id})`;
  const lines: string[] = [];
  let subject: string;
  switch (notice.event as NoticeEvent) {
    case 'verification_needed': {
      subject = `Action needed: prove control of ${names}`;
      lines.push(`Your certificate application${order} for ${names} is waiting for domain validation.`, '');
      const v = facts.verification;
      if (v?.method === 'FILE') {
        lines.push('Publish a file at each URL below, containing exactly the value shown:', '');
        for (const f of v.files) lines.push(`  URL:     ${f.url}`, `  Content: ${f.content}`, '');
      } else if (v?.method === 'DNS') {
        lines.push('Publish these DNS records:', '');
        for (const r of v.records)
          lines.push(`  Name:  ${r.recordName}`, `  Type:  ${r.recordType}`, `  Value: ${r.recordValue}`, '');
      }
      lines.push('certdesk checks again automatically; the certificate is issued once every name is proven.');
      break;
    }
    case 'verification_failed':
      subject = `Certificate application failed for ${names}`;
      lines.push(`Your certificate application${order} for ${names} failed:`, '', `  ${facts.reason ?? ''}`);
      break;
    case 'issued':
      subject = `Certificate issued for ${names}`;
      lines.push(
        `The certificate${order} for ${names} has been issued.`,
        '',
        ...certificateLines(facts),
        '',
        'Download it with DescribeCertificateState, or from the console.',
      );
      break;
    case 'expiring': {
      const days = Math.round(((facts.notAfter ?? notice.due_at) - notice.due_at) / DAY_MS);
      subject = `Certificate for ${names} expires in ${days} days`;
      lines.push(
        `The certificate${order} for ${names} expires on ${iso(facts.notAfter)} (in ${days} days).`,
        '',
        ...certificateLines(facts),
        '',
        'Renew it with RenewCertificateOrderForPackageRequest, or from the console.',
      );
      break;
    }
    case 'revoked':
      subject = `Certificate revoked for ${names}`;
      lines.push(
        `The certificate${order} for ${names} was revoked on ${iso(facts.revokedAt)}.`,
        '',
        ...certificateLines(facts),
        `  Reason:     ${facts.revocationReason ?? 'unspecified'}`,
      );
      break;
    case 'test':
      subject = 'Test notice from certdesk';
      lines.push('This is a test notice, sent because it was asked for in the certdesk console.');
      break;
    default:
      subject = `Notice about ${names}`;
  }
  if (consoleLink)
    lines.push(
      '',
      'Open this order in the certdesk console (a one-time link, valid for 15 minutes):',
      `  ${consoleLink}`,
    );
  lines.push('', `-- certdesk (notice ${notice.id})`);
  return { subject, text: `${lines.join('\n')}\n` };
}

function certificateLines(facts: NoticeFacts): string[] {
  return [
    ...(facts.serial === undefined ? [] : [`  Serial:     ${facts.serial}`]),
    ...(facts.notBefore === undefined ? [] : [`  Valid from: ${iso(facts.notBefore)}`]),
    ...(facts.notAfter === undefined ? [] : [`  Valid to:   ${iso(facts.notAfter)}`]),
  ];
}
