// An application is one record moving through one state machine (docs/ARCHITECTURE.md).
// The states and their names are CAS's own (CAS doc §6), spelling included (`payed`).

export const ORDER_STATES = ['payed', 'domain_verify', 'process', 'certificate', 'verify_fail', 'revoked'] as const;
export type OrderState = (typeof ORDER_STATES)[number];

/**
 * The transitions the order engine may make (CAS doc §6 "Transitions from the docs"):
 * submit -> domain_verify; validation passed -> process; issued -> certificate; review or
 * validation failed -> verify_fail; CancelOrderRequest: domain_verify|process -> payed;
 * a payed order may be submitted again; CancelCertificateForPackageRequest: certificate -> revoked.
 * Deletion is not a state: it sets deleted_at on a payed or verify_fail order.
 */
const TRANSITIONS: Readonly<Record<OrderState, readonly OrderState[]>> = {
  payed: ['domain_verify'],
  domain_verify: ['process', 'verify_fail', 'payed'],
  process: ['certificate', 'verify_fail', 'payed'],
  certificate: ['revoked'],
  verify_fail: [],
  revoked: [],
};

export function canTransition(from: OrderState, to: OrderState): boolean {
  return TRANSITIONS[from].includes(to);
}

export const DELETABLE_STATES: readonly OrderState[] = ['payed', 'verify_fail'];

/** ListUserCertificateOrder.Status (CAS doc §5.3, §6). */
export type ListStatus =
  'PAYED' | 'CHECKING' | 'CHECKED_FAIL' | 'ISSUED' | 'WILLEXPIRED' | 'EXPIRED' | 'NOTACTIVATED' | 'REVOKED';

export const LIST_STATUSES: readonly ListStatus[] = [
  'PAYED',
  'CHECKING',
  'CHECKED_FAIL',
  'ISSUED',
  'WILLEXPIRED',
  'EXPIRED',
  'NOTACTIVATED',
  'REVOKED',
];

/** A certificate is WILLEXPIRED in its last 30 days (issue 3, Status). */
export const WILL_EXPIRE_MS = 30 * 86_400_000;

/** Status of an issued certificate, derived from dates rather than set by a timer (principle 2). */
export function certificateStatus(
  notAfter: number,
  revokedAt: number | null,
  now: number,
): 'ISSUED' | 'WILLEXPIRED' | 'EXPIRED' | 'REVOKED' {
  if (revokedAt !== null) return 'REVOKED';
  if (now > notAfter) return 'EXPIRED';
  if (notAfter - now <= WILL_EXPIRE_MS) return 'WILLEXPIRED';
  return 'ISSUED';
}

/** CAS doc §6 mapping from DescribeCertificateState.Type to ListUserCertificateOrder.Status. */
export function orderListStatus(
  state: OrderState,
  cert: { notAfter: number; revokedAt: number | null } | undefined,
  now: number,
): ListStatus {
  switch (state) {
    case 'payed':
      return 'PAYED';
    case 'domain_verify':
    case 'process':
      return 'CHECKING';
    case 'verify_fail':
      return 'CHECKED_FAIL';
    case 'revoked':
      return 'REVOKED';
    case 'certificate':
      return cert ? certificateStatus(cert.notAfter, cert.revokedAt, now) : 'ISSUED';
  }
}
