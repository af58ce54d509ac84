// Rows <-> domain objects, one pair per table of the order engine and the account tables'
// encoded columns (access_keys: 0/1, the policy as JSON): the only place that knows how a column is encoded (names joined by commas, the company snapshot and tags as
// JSON, 0/1 and epoch milliseconds as stored). Repositories return domain objects.
import type { Insertable, Updateable } from 'kysely';
import type { Authorization, InitialOrderState, Order, OrderChanges, OrderTag } from '../domain/order.js';
import type { Certificate } from '../domain/certificate.js';
import type { Actor, ActorKind, AuditEvent, AuditKind, AuditRecord } from '../domain/audit.js';
import type { AccessKeyInfo } from '../domain/account.js';
import type {
  AccessKeyRow,
  AuditEventRow,
  AuditEventsTable,
  AuthorizationRow,
  AuthorizationsTable,
  CertificateRow,
  CertificatesTable,
  OrderRow,
  OrdersTable,
} from './schema.js';

function splitNames(text: string): string[] {
  return text === '' ? [] : text.split(',');
}

export function orderFromRow(r: OrderRow): Order {
  return {
    id: r.id,
    accountId: r.account_id,
    planId: r.plan_id,
    productCode: r.product_code,
    state: r.state,
    names: splitNames(r.domains),
    validateType: r.validate_type,
    keyAlgorithm: r.key_algorithm,
    spki: r.spki,
    csrDer: r.csr_der,
    keySealed: r.key_sealed,
    contact: { name: r.contact_name, phone: r.contact_phone, email: r.contact_email },
    companyId: r.company_id,
    company: r.company === null ? null : (JSON.parse(r.company) as Order['company']),
    tags: r.tags === '[]' ? [] : (JSON.parse(r.tags) as OrderTag[]),
    failReason: r.fail_reason,
    approvedAt: r.approved_at,
    validationDeadline: r.validation_deadline,
    caaCheckedAt: r.caa_checked_at,
    renewedFrom: r.renewed_from,
    validityHours: r.validity_hours,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/** An order as created: in one of the table's initial states (every later state is reached by moveOrder). */
export type NewOrder = Omit<Order, 'id' | 'state'> & { state: InitialOrderState };

export function orderToRow(o: NewOrder): Insertable<OrdersTable> {
  return {
    account_id: o.accountId,
    plan_id: o.planId,
    product_code: o.productCode,
    state: o.state,
    domains: o.names.join(','),
    validate_type: o.validateType,
    key_algorithm: o.keyAlgorithm,
    spki: o.spki,
    csr_der: o.csrDer,
    key_sealed: o.keySealed,
    contact_name: o.contact.name,
    contact_phone: o.contact.phone,
    contact_email: o.contact.email,
    company_id: o.companyId,
    company: o.company === null ? null : JSON.stringify(o.company),
    tags: JSON.stringify(o.tags),
    fail_reason: o.failReason,
    approved_at: o.approvedAt,
    validation_deadline: o.validationDeadline,
    caa_checked_at: o.caaCheckedAt,
    renewed_from: o.renewedFrom,
    validity_hours: o.validityHours ?? null,
    created_at: o.createdAt,
    updated_at: o.updatedAt,
    deleted_at: null,
  };
}

/** The columns a change sets; the state is never among them (repos/orders.ts moveOrder). */
export function orderChangesToRow(c: OrderChanges): Omit<Updateable<OrdersTable>, 'state'> {
  const set: Omit<Updateable<OrdersTable>, 'state'> = {};
  if (c.failReason !== undefined) set.fail_reason = c.failReason;
  if (c.approvedAt !== undefined) set.approved_at = c.approvedAt;
  if (c.validationDeadline !== undefined) set.validation_deadline = c.validationDeadline;
  if (c.caaCheckedAt !== undefined) set.caa_checked_at = c.caaCheckedAt;
  if (c.keySealed !== undefined) set.key_sealed = c.keySealed;
  if (c.updatedAt !== undefined) set.updated_at = c.updatedAt;
  if (c.spki !== undefined) set.spki = c.spki;
  if (c.keyAlgorithm !== undefined) set.key_algorithm = c.keyAlgorithm;
  if (c.csrDer !== undefined) set.csr_der = c.csrDer;
  return set;
}

export function certificateFromRow(r: CertificateRow): Certificate {
  return {
    id: r.id,
    accountId: r.account_id,
    orderId: r.order_id,
    source: r.source,
    name: r.name,
    serial: r.serial,
    issuerId: r.issuer_id,
    state: r.state,
    tbsDer: r.tbs_der,
    certDer: r.cert_der,
    chainPem: r.chain_pem,
    keySealed: r.key_sealed,
    commonName: r.common_name,
    sans: splitNames(r.sans),
    issuerCn: r.issuer_cn,
    notBefore: r.not_before,
    notAfter: r.not_after,
    sha1: r.sha1,
    sha256: r.sha256,
    orgName: r.org_name,
    country: r.country,
    province: r.province,
    city: r.city,
    revokedAt: r.revoked_at,
    revocationReason: r.revocation_reason,
    deletedAt: r.deleted_at,
    createdAt: r.created_at,
    crlShard: r.crl_shard,
  };
}

export type NewCertificate = Omit<Certificate, 'id'>;

/** A certificate a mass revocation's batch just revoked: what the batch's sinks need of it. */
export interface RevokedCertificate {
  id: number;
  serial: string;
  accountId: number;
  orderId: number | null;
  issuerId: number;
  sans: string[];
  notBefore: number;
  notAfter: number;
}

/** The columns revokedCertificateFromRow reads. */
export const REVOKED_CERTIFICATE_COLUMNS = [
  'id',
  'serial',
  'account_id',
  'order_id',
  'issuer_id',
  'sans',
  'not_before',
  'not_after',
] as const;

export function revokedCertificateFromRow(
  r: Pick<CertificateRow, (typeof REVOKED_CERTIFICATE_COLUMNS)[number]>,
): RevokedCertificate {
  return {
    id: Number(r.id),
    serial: r.serial,
    accountId: Number(r.account_id),
    orderId: r.order_id === null ? null : Number(r.order_id),
    issuerId: Number(r.issuer_id),
    sans: splitNames(r.sans),
    notBefore: Number(r.not_before),
    notAfter: Number(r.not_after),
  };
}

export function certificateToRow(c: NewCertificate): Insertable<CertificatesTable> {
  return {
    account_id: c.accountId,
    order_id: c.orderId,
    source: c.source,
    name: c.name,
    serial: c.serial,
    issuer_id: c.issuerId,
    state: c.state,
    tbs_der: c.tbsDer,
    cert_der: c.certDer,
    chain_pem: c.chainPem,
    key_sealed: c.keySealed,
    common_name: c.commonName,
    sans: c.sans.join(','),
    issuer_cn: c.issuerCn,
    not_before: c.notBefore,
    not_after: c.notAfter,
    sha1: c.sha1,
    sha256: c.sha256,
    org_name: c.orgName,
    country: c.country,
    province: c.province,
    city: c.city,
    revoked_at: c.revokedAt,
    revocation_reason: c.revocationReason,
    deleted_at: c.deletedAt,
    created_at: c.createdAt,
    crl_shard: c.crlShard,
  };
}

export function authorizationFromRow(r: AuthorizationRow): Authorization {
  return {
    id: r.id,
    orderId: r.order_id,
    domain: r.domain,
    token: r.token,
    status: r.status,
    lastError: r.last_error,
    validatedAt: r.validated_at,
  };
}

export type NewAuthorization = Omit<Authorization, 'id'>;

export function authorizationToRow(a: NewAuthorization): Insertable<AuthorizationsTable> {
  return {
    order_id: a.orderId,
    domain: a.domain,
    token: a.token,
    status: a.status,
    last_error: a.lastError,
    validated_at: a.validatedAt,
  };
}

// ---- audit_events (migration 0009) ----

const ACTOR_KINDS: readonly ActorKind[] = [
  'operator',
  'access_key',
  'account',
  'acme_account',
  'relying_party',
  'system',
];

export function auditEventFromRow(r: AuditEventRow): AuditEvent {
  return {
    id: r.id,
    at: r.at,
    kind: r.kind as AuditKind,
    actor: {
      kind: ACTOR_KINDS.includes(r.actor_kind as ActorKind) ? (r.actor_kind as ActorKind) : 'system',
      id: r.actor_id,
      remoteAddress: r.remote_address,
    },
    accountId: r.account_id,
    orderId: r.order_id,
    certificateId: r.certificate_id,
    detail: JSON.parse(r.detail) as Record<string, unknown>,
  };
}

export function auditEventToRow(e: AuditRecord, actor: Actor, at: number): Insertable<AuditEventsTable> {
  return {
    at,
    kind: e.kind,
    actor_kind: actor.kind,
    actor_id: actor.id,
    remote_address: actor.remoteAddress,
    account_id: e.accountId ?? null,
    order_id: e.orderId ?? null,
    certificate_id: e.certificateId ?? null,
    detail: JSON.stringify(e.detail ?? {}),
  };
}

// ---- access_keys ----

export function accessKeyFromRow(r: Omit<AccessKeyRow, 'secret_sealed'>): AccessKeyInfo {
  return {
    accessKeyId: r.id,
    accountId: r.account_id,
    enabled: r.enabled === 1,
    policy: r.policy === null ? null : (JSON.parse(r.policy) as string[]),
    createdAt: r.created_at,
  };
}

export function accessKeyPolicyColumn(policy: readonly string[] | null): string | null {
  return policy === null ? null : JSON.stringify(policy);
}
