// Reading the audit trail (operator API GET /v1/audit, `certdesk admin audit list`).
import { CertError } from '../domain/errors.js';
import { AUDIT_KINDS, type AuditEvent, type AuditFilter, type AuditKind } from '../domain/audit.js';
import type { ReadView } from '../store/views.js';

export interface AuditQuery {
  accountId?: number;
  orderId?: number;
  /** ISO 8601 times or epoch milliseconds. */
  since?: string;
  until?: string;
  kind?: string;
  limit?: number;
}

function time(name: string, text: string | undefined): number | undefined {
  if (text === undefined || text === '') return undefined;
  const t = /^\d+$/.test(text) ? Number(text) : Date.parse(text);
  if (!Number.isFinite(t)) throw new CertError('invalid_parameter', `--${name} must be an ISO 8601 time.`);
  return t;
}

export function auditFilter(q: AuditQuery): AuditFilter {
  if (q.kind !== undefined && !(AUDIT_KINDS as readonly string[]).includes(q.kind))
    throw new CertError('invalid_parameter', `The kind must be one of ${AUDIT_KINDS.join(', ')}.`);
  const since = time('since', q.since);
  const until = time('until', q.until);
  return {
    ...(q.accountId !== undefined ? { accountId: q.accountId } : {}),
    ...(q.orderId !== undefined ? { orderId: q.orderId } : {}),
    ...(since !== undefined ? { since } : {}),
    ...(until !== undefined ? { until } : {}),
    ...(q.kind !== undefined ? { kind: q.kind as AuditKind } : {}),
    ...(q.limit !== undefined ? { limit: q.limit } : {}),
  };
}

export async function listAuditEvents(store: ReadView<'audit'>, q: AuditQuery): Promise<AuditEvent[]> {
  return store.repos.audit.list(auditFilter(q));
}
