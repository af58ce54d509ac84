// The order engine's part of the audit trail: every OrderEvent becomes an audit entry in the
// transaction that raised it (orders/events.ts), with who was acting (domain/audit.ts).
// Validation attempts carry the BR method they used, the name, the result and what was seen.
import type { AuditRecord } from '../domain/audit.js';
import type { ValidateType } from '../domain/order.js';
import type { EventRepos, EventSink, SingleOrderEvent } from '../orders/events.js';

/** The BR 3.2.2.4 method each CAS ValidateType uses (validation/dns-txt.ts, validation/http-file.ts). */
export const BR_METHOD: Readonly<Record<ValidateType, string>> = Object.freeze({
  DNS: '3.2.2.4.7',
  FILE: '3.2.2.4.18',
});

async function recordOf(repos: EventRepos, event: SingleOrderEvent): Promise<AuditRecord> {
  const { accountId } = event;
  switch (event.kind) {
    case 'verification_needed': {
      const { order } = event;
      return {
        kind: 'order.submitted',
        accountId,
        orderId: event.orderId,
        detail: { names: order.names, productCode: order.productCode, validateType: order.validateType },
      };
    }
    case 'verification_failed':
      return { kind: 'order.failed', accountId, orderId: event.orderId, detail: { reason: event.reason } };
    case 'validation_attempted':
      return {
        kind: 'validation.attempt',
        accountId,
        orderId: event.orderId,
        detail: {
          method: `BR ${BR_METHOD[event.validateType]}`,
          validateType: event.validateType,
          names: [event.name],
          result: event.result,
          seen: event.seen,
        },
      };
    case 'approved':
      return { kind: 'order.approved', accountId, orderId: event.orderId };
    case 'rejected':
      return { kind: 'order.rejected', accountId, orderId: event.orderId, detail: { reason: event.reason } };
    case 'issued':
      return {
        kind: 'certificate.issued',
        accountId,
        orderId: event.orderId,
        certificateId: event.certificateId,
        detail: { serial: event.serial, names: [...event.sans], notAfter: event.notAfter },
      };
    case 'revoked': {
      const cert = await repos.certificates.get(accountId, event.certificateId);
      return {
        kind: 'certificate.revoked',
        accountId,
        orderId: event.orderId,
        certificateId: event.certificateId,
        detail: { serial: cert?.serial ?? null, reasonCode: event.reason },
      };
    }
  }
}

export function auditEventSink(): EventSink {
  return async (repos, event, now) => {
    if (event.kind === 'revoked_batch') {
      // A mass revocation: one entry per certificate, written together.
      await repos.audit.appendMany(
        event.certificates.map((c) => ({
          kind: 'certificate.revoked',
          accountId: c.accountId,
          orderId: c.orderId,
          certificateId: c.certificateId,
          detail: { serial: c.serial, reasonCode: event.reason, batch: true },
        })),
        now,
      );
      return;
    }
    await repos.audit.append(await recordOf(repos, event), now);
  };
}
