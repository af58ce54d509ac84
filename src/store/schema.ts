// Row shapes as stored (principle 2: rows, domain objects and wire shapes are three things).
// Times are epoch milliseconds in BIGINT columns; booleans are 0/1 integers so that SQLite
// and PostgreSQL read back the same JavaScript values. Ids stay below 2^53: the JS SDK turns
// larger numbers into doubles and corrupts them (Alibaba Cloud API reference, common response and error format, §10.6).
import type { Generated, Insertable, Selectable } from 'kysely';
import type { AuthorizationStatus, OrderState, ValidateType } from '../domain/order.js';
import type { CertificateSource, CertificateState } from '../domain/certificate.js';
import type { AcmeAccountStatus, AcmeChallengeStatus, AcmeChallengeType } from '../domain/acme.js';

export interface AccountsTable {
  id: Generated<number>;
  name: string;
  created_at: number;
}

export interface AccessKeysTable {
  id: string; // the AccessKeyId
  account_id: number;
  secret_sealed: string; // sealed under the master key, aad = AccessKeyId
  enabled: number; // 1 | 0
  policy: string | null; // JSON array of action patterns, null = every action
  created_at: number;
}

export interface RequestNoncesTable {
  access_key_id: string;
  nonce: string;
  expires_at: number;
}

export interface PlansTable {
  id: Generated<number>;
  account_id: number;
  product_code: string;
  total_count: number;
  /** Units in use: live orders holding one (migration 0016; orders.insert and markDeleted keep it). */
  used_count: Generated<number>;
  expires_at: number | null;
  created_at: number;
}

export interface ContactsTable {
  id: Generated<number>;
  account_id: number;
  name: string;
  email: string;
  mobile: string;
  webhooks: string; // JSON array of URLs, as ListContact returns it
  email_status: number;
  mobile_status: number;
  created_at: number;
}

export interface CompaniesTable {
  id: Generated<number>;
  account_id: number;
  name: string;
  country: string;
  province: string;
  city: string;
  address: string;
  phone: string;
  created_at: number;
}

export interface IssuersTable {
  id: Generated<number>;
  role: string; // 'root' | 'issuing'
  name: string;
  algorithm: string;
  cert_der: string; // base64
  key_sealed: string; // PKCS#8 DER sealed under the master key, aad = 'issuer:' + name
  parent_id: number | null;
  active: number;
  created_at: number;
}

export interface MetaTable {
  key: string;
  value: string;
}

export interface OrdersTable {
  id: Generated<number>;
  account_id: number;
  /** The plan whose unit this order holds (quota is accounted per plan, so expiry is exact). */
  plan_id: number;
  product_code: string;
  /** Moves only through the state table (domain/order.ts; repos/orders.ts moveOrder). */
  state: OrderState;
  domains: string; // comma-separated, normalized, in the order given
  validate_type: ValidateType;
  key_algorithm: string; // ecdsa-p256 | rsa-2048 ... of the subscriber key
  spki: string; // base64 SubjectPublicKeyInfo of the subscriber key
  csr_der: string | null; // base64, the customer's CSR when one was given
  key_sealed: string | null; // generated key (PKCS#8), sealed, aad = 'order-key:' + id
  contact_name: string;
  contact_phone: string;
  contact_email: string;
  company_id: number | null;
  company: string | null; // JSON snapshot {name,country,province,city} for the OV subject
  tags: string; // JSON [{Key, Value}]
  fail_reason: string | null;
  approved_at: number | null; // DV: when validation passed; OV: when an operator approved
  validation_deadline: number;
  caa_checked_at: number | null;
  renewed_from: number | null;
  validity_hours: number | null; // a shorter lifetime than the product's (an ACME profile); null: the product's
  created_at: number;
  updated_at: number;
  deleted_at: number | null;
}

export interface AuthorizationsTable {
  id: Generated<number>;
  order_id: number;
  domain: string;
  /** A fresh random value per order and domain (BR §3.2.2.4.7, §3.2.2.4.18). */
  token: string;
  status: AuthorizationStatus;
  last_error: string | null;
  validated_at: number | null;
}

export interface CertificatesTable {
  id: Generated<number>;
  account_id: number;
  order_id: number | null; // unique: one certificate per order, ever
  source: CertificateSource;
  name: string;
  serial: string; // hex, upper-case
  issuer_id: number | null; // certdesk issuer; null for uploads
  /** intent (TBS recorded, not yet signed) | issued */
  state: CertificateState;
  tbs_der: string | null;
  cert_der: string | null;
  chain_pem: string | null; // uploads: the chain given with the certificate
  key_sealed: string | null; // uploads: the private key, sealed, aad = 'cert-key:' + id
  common_name: string;
  sans: string;
  issuer_cn: string;
  not_before: number;
  not_after: number;
  sha1: string;
  sha256: string;
  org_name: string;
  country: string;
  province: string;
  city: string;
  revoked_at: number | null;
  revocation_reason: number | null;
  deleted_at: number | null;
  created_at: number;
  /** The CRL partition named in the certificate (null: the full CRL; uploads). */
  crl_shard: number | null;
}

export interface JobsTable {
  id: Generated<number>;
  kind: string;
  ref_id: number;
  run_at: number;
  attempts: number;
  lease_owner: string | null;
  lease_until: number | null;
  last_error: string | null;
  created_at: number;
}

export interface CsrsTable {
  id: Generated<number>;
  account_id: number;
  name: string;
  common_name: string;
  sans: string;
  algorithm: string; // RSA | ECC
  key_size: number;
  csr_der: string;
  key_sealed: string | null; // aad = 'csr-key:' + id
  key_sha2: string;
  corp_name: string;
  department: string;
  country_code: string;
  province: string;
  locality: string;
  created_at: number;
}

export interface Database {
  accounts: AccountsTable;
  access_keys: AccessKeysTable;
  request_nonces: RequestNoncesTable;
  plans: PlansTable;
  contacts: ContactsTable;
  companies: CompaniesTable;
  issuers: IssuersTable;
  meta: MetaTable;
  orders: OrdersTable;
  authorizations: AuthorizationsTable;
  certificates: CertificatesTable;
  jobs: JobsTable;
  csrs: CsrsTable;
  crls: CrlsTable;
  crl_counters: CrlCountersTable;
  notices: NoticesTable;
  webhook_secrets: WebhookSecretsTable;
  ocsp_responses: OcspResponsesTable;
  rate_counters: RateCountersTable;
  acme_eab_keys: AcmeEabKeysTable;
  acme_accounts: AcmeAccountsTable;
  acme_nonces: AcmeNoncesTable;
  acme_orders: AcmeOrdersTable;
  acme_authorizations: AcmeAuthorizationsTable;
  acme_challenges: AcmeChallengesTable;
  audit_events: AuditEventsTable;
  console_sessions: ConsoleSessionsTable;
  console_links: ConsoleLinksTable;
}

/** The audit trail (migration 0009): append-only; `detail` is JSON. */
export interface AuditEventsTable {
  id: Generated<number>;
  at: number;
  kind: string;
  actor_kind: string;
  actor_id: string | null;
  remote_address: string | null;
  account_id: number | null;
  order_id: number | null;
  certificate_id: number | null;
  detail: string;
}

export type AuditEventRow = Selectable<AuditEventsTable>;

export type AccountRow = Selectable<AccountsTable>;
export type AccessKeyRow = Selectable<AccessKeysTable>;
export type PlanRow = Selectable<PlansTable>;
export type ContactRow = Selectable<ContactsTable>;
export type NewContact = Insertable<ContactsTable>;
export type CompanyRow = Selectable<CompaniesTable>;
export type NewCompany = Insertable<CompaniesTable>;
export type IssuerRow = Selectable<IssuersTable>;
export type OrderRow = Selectable<OrdersTable>;
export type CertificateRow = Selectable<CertificatesTable>;
export type AuthorizationRow = Selectable<AuthorizationsTable>;
export type JobRow = Selectable<JobsTable>;
export type CsrRow = Selectable<CsrsTable>;

/** An outbox row: one notice to one recipient (src/notices). */
export interface NoticesTable {
  id: Generated<number>;
  account_id: number;
  order_id: number | null;
  certificate_id: number | null;
  /** verification_needed | verification_failed | issued | expiring | revoked */
  event: string;
  channel: string; // email | webhook
  target: string; // the e-mail address or the webhook URL
  dedupe_key: string; // unique: sha256 of (event occurrence, channel, target)
  payload: string; // JSON facts captured when the event happened
  status: string; // pending | sent | failed | skipped
  due_at: number;
  attempts: number;
  last_error: string | null;
  lease_owner: string | null;
  lease_until: number | null;
  sent_at: number | null;
  created_at: number;
}

export interface WebhookSecretsTable {
  account_id: number;
  secret_sealed: string; // aad = 'webhook-secret:' + account_id
  created_at: number;
}

export type NoticeRow = Selectable<NoticesTable>;

/** The latest CRL of an issuer and scope (src/status/publish-crl.ts). */
export interface CrlsTable {
  issuer_id: number;
  /** The CRL partition; -1 for the full CRL. */
  partition: number;
  crl_number: number;
  this_update: number;
  next_update: number;
  der: Buffer;
}

/** Per issuer: the last CRL number handed out, and how many revocations it has seen. */
export interface CrlCountersTable {
  issuer_id: number;
  last_number: number;
  revision: number;
}

export type CrlRow = Selectable<CrlsTable>;

/** The latest pre-signed OCSP response of a certificate (src/status/ocsp-responses.ts). */
export interface OcspResponsesTable {
  issuer_id: number;
  serial: string; // hex, upper-case, as certificates.serial
  der: Buffer; // OCSPResponse (RFC 6960 §4.2.1), served as is
  this_update: number;
  next_update: number;
  /** The revocation time the response states; null when it says good. */
  revoked_at: number | null;
}

/** Requests of one account to one action in one fixed window (src/api/cas/throttle.ts). */
export interface RateCountersTable {
  window_start: number; // epoch ms, a multiple of the window length
  account_id: number;
  action: string;
  count: number;
}

// ---- ACME (migration 0008; domain/acme.ts) ----

export interface AcmeEabKeysTable {
  key_id: string;
  account_id: number;
  product_code: string;
  hmac_sealed: string; // sealed, aad = 'acme-eab:' + key_id
  max_accounts: number;
  used_accounts: number;
  expires_at: number | null;
  revoked_at: number | null;
  created_at: number;
}

export interface AcmeAccountsTable {
  id: Generated<number>;
  url_id: string;
  account_id: number;
  product_code: string;
  eab_key_id: string | null;
  jwk: string; // JSON public JWK
  thumbprint: string; // RFC 7638, base64url
  status: AcmeAccountStatus;
  contact: string; // JSON array of mailto: URIs
  created_at: number;
}

export interface AcmeNoncesTable {
  nonce: string;
  expires_at: number;
}

export interface AcmeOrdersTable {
  id: Generated<number>;
  url_id: string;
  order_id: number;
  acme_account_id: number;
  profile: string;
  replaces: string | null;
  /** The certificate `replaces` names (migration 0013, RFC 9773 §5). */
  replaces_certificate_id: number | null;
  expires_at: number;
  error: string | null; // JSON problem document
  created_at: number;
}

export interface AcmeAuthorizationsTable {
  id: Generated<number>;
  url_id: string;
  authorization_id: number;
  acme_account_id: number;
  expires_at: number;
  deactivated_at: number | null;
}

export interface AcmeChallengesTable {
  id: Generated<number>;
  url_id: string;
  acme_authorization_id: number;
  type: AcmeChallengeType;
  token: string;
  status: AcmeChallengeStatus;
  validated_at: number | null;
  error: string | null; // JSON problem document
}
/** A signed-in console session (migration 0011); `id` is the SHA-256 of the cookie's token. */
export interface ConsoleSessionsTable {
  id: string;
  kind: 'customer' | 'operator';
  account_id: number | null;
  access_key_id: string | null;
  scope_order_id: number | null;
  csrf: string;
  created_at: number;
  expires_at: number;
}

/** A one-time console sign-in link (migration 0011); `id` is the SHA-256 of the link's token. */
export interface ConsoleLinksTable {
  id: string;
  account_id: number;
  scope_order_id: number | null;
  created_at: number;
  expires_at: number;
  used_at: number | null;
}

export type ConsoleSessionRow = Selectable<ConsoleSessionsTable>;
export type ConsoleLinkRow = Selectable<ConsoleLinksTable>;
