// The audit trail: an append-only record of who did what, when and from where, written in
// the transaction of the change it records (store/repos/audit.ts; BR 5.4.1 lists what a CA
// records: certificate requests and their validation, issuance, revocation, and the actions
// of its personnel). An entry never holds a secret: AccessKey secrets, private keys and the
// operator token are never put in `detail`.
export const AUDIT_KINDS = [
  'account.created',
  'access_key.created',
  'access_key.enabled',
  'access_key.disabled',
  'access_key.deleted',
  'plan.granted',
  'acme_eab.created',
  'acme_eab.revoked',
  'order.submitted',
  'validation.attempt',
  'order.approved',
  'order.rejected',
  'order.failed',
  'certificate.issued',
  'certificate.revoked',
] as const;

export type AuditKind = (typeof AUDIT_KINDS)[number];

/**
 * Who asked: the operator (operator API, operator console or `certdesk admin`), a customer's
 * AccessKey (CAS API, or a console session signed in with it), a customer's account (a console
 * session opened by a one-time link, which names no key), an ACME account (RFC 8555 §7.3; its
 * requests are signed with the account key), a relying party, or certdesk itself (the worker).
 */
export type ActorKind = 'operator' | 'access_key' | 'account' | 'acme_account' | 'relying_party' | 'system';

export interface Actor {
  kind: ActorKind;
  /**
   * The AccessKeyId, the account id (`account`), the ACME account's URL token, or how the
   * operator came in (`api`, `console`, `cli:<user>`); never a secret.
   */
  id: string | null;
  /** The client's address, when the request came over the network. */
  remoteAddress: string | null;
}

export const SYSTEM_ACTOR: Actor = Object.freeze({ kind: 'system', id: null, remoteAddress: null });

/** What a use case records; who and when are added where the entry is written. */
export interface AuditRecord {
  kind: AuditKind;
  accountId?: number | null;
  orderId?: number | null;
  certificateId?: number | null;
  /** Customer-safe facts: names, method, result, what was seen; never a secret. */
  detail?: Record<string, unknown>;
}

export interface AuditEvent extends Required<Omit<AuditRecord, 'detail'>> {
  id: number;
  at: number;
  actor: Actor;
  detail: Record<string, unknown>;
}

export interface AuditFilter {
  accountId?: number;
  orderId?: number;
  since?: number;
  until?: number;
  kind?: AuditKind;
  /** At most this many, newest first. */
  limit?: number;
}

// Who is acting is known only at the front end (the CAS gateway's AccessKey, the operator
// API, the CLI); the entry is written deep in a use case or an event sink. The actor travels
// with the store: a front end calls the use cases bound to `store.actingAs(actor)`
// (orders/engine.ts, accounts/service.ts), whose audit repository writes that actor; the
// store itself (the worker's) acts as certdesk. Not an AsyncLocalStorage: on Node 20 one that
// has run once keeps promise hooks on for every promise of the process (each promise made
// and settled calls into JavaScript), a cost every CAS request paid, audited or not.
