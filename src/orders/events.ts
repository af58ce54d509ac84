// What happened to an order, for the modules that react to it (notices to the customer,
// CRL and OCSP publication). Sinks run inside the transaction that made the change, so what
// they enqueue (an outbox row, a job, an audit entry) commits or rolls back with it: nothing is announced
// that did not happen, and nothing that happened goes unannounced.
import type { Order, ValidateType } from '../domain/order.js';
import type { ViewRepos } from '../store/views.js';

export type OrderEvent =
  | {
      kind: 'verification_needed';
      accountId: number;
      orderId: number;
      /**
       * The order as its raiser holds it (written or read in the same transaction), so that no
       * sink reads it back: what they use of it (names, product, method, contact) does not
       * change with its state.
       */
      order: Order;
    }
  | { kind: 'verification_failed'; accountId: number; orderId: number; reason: string }
  | {
      kind: 'issued';
      accountId: number;
      orderId: number;
      certificateId: number;
      /** The certificate's facts the sinks record, so that none reads it back. */
      serial: string;
      sans: readonly string[];
      notAfter: number;
    }
  | { kind: 'revoked'; accountId: number; orderId: number | null; certificateId: number; reason: number | null }
  /** One name checked once (control by its method, then CAA): for the audit trail. */
  | {
      kind: 'validation_attempted';
      accountId: number;
      orderId: number;
      validateType: ValidateType;
      name: string;
      result: 'valid' | 'pending' | 'invalid';
      /** What was seen when it did not pass: the customer-safe reason (validation/check-result.ts). */
      seen: string | null;
    }
  | { kind: 'approved'; accountId: number; orderId: number }
  | { kind: 'rejected'; accountId: number; orderId: number; reason: string }
  /**
   * Many certificates revoked in one transaction (a mass revocation's batch), all for one
   * reason: sinks do per batch what they do per 'revoked' (one CRL counter bump, OCSP
   * responses signed and stored together, notices inserted together).
   */
  | {
      kind: 'revoked_batch';
      reason: number | null;
      /** When they were revoked (the revoked_at written). */
      revokedAt: number;
      certificates: readonly RevokedInBatch[];
      /** OCSP responses signed before the transaction began, for the sink to store instead of signing. */
      presigned?: PresignedRevocations;
    };

/** An event about one order or certificate. */
export type SingleOrderEvent = Exclude<OrderEvent, { kind: 'revoked_batch' }>;

/** One certificate of a 'revoked_batch' event, with what the sinks need of it (no read per batch). */
export interface RevokedInBatch {
  accountId: number;
  orderId: number | null;
  certificateId: number;
  /** The certdesk issuer that signed it. */
  issuerId: number;
  serial: string;
  sans: readonly string[];
  notBefore: number;
  notAfter: number;
}

/**
 * OCSP responses stating the revocation of a batch's certificates at `revokedAt` for `reason`,
 * signed by issuer `issuerId` before the batch's transaction (so the signing of one batch
 * overlaps another's statements), keyed by serial; valid from `revokedAt` for `validityMs`.
 */
export interface PresignedRevocations {
  issuerId: number;
  revokedAt: number;
  reason: number | null;
  validityMs: number;
  der: ReadonlyMap<string, Buffer>;
}

/** What sinks write in the transaction of the change (outbox rows, jobs, CRL counters, OCSP responses)... */
export type EventRepoWrites = 'notices' | 'jobs' | 'crls' | 'ocspResponses' | 'audit';
/** ...and what they only read: a sink never moves an order. */
export type EventRepoReads = 'orders' | 'authorizations' | 'certificates';
export type EventRepos = ViewRepos<EventRepoWrites, EventRepoReads>;

export type EventSink = (repos: EventRepos, event: OrderEvent, now: number) => Promise<void>;

export const noEvents: EventSink = async () => {};

/** Runs every sink, in order. */
export function combineSinks(...sinks: EventSink[]): EventSink {
  return async (repos, event, now) => {
    for (const sink of sinks) await sink(repos, event, now);
  };
}
