// Submitting an application (CreateCertificateForPackageRequest, CreateCertificateRequest,
// CreateCertificateWithCsrRequest; Alibaba Cloud CAS API reference): check everything, take
// one unit of a plan and write the order in one transaction, then start domain validation.
// Bad input is refused before anything is written: no quota spent, no half-written order.
import { CertError } from '../domain/errors.js';
import { parseCsr } from '../ca/csr.js';
import type { KeyAlgorithm } from '../ca/signer.js';
import { generateKeyDer } from '../ca/generated-key.js';
import { checkSubscriberKey, keyAlgorithmName } from '../policy/key-rules.js';
import { getProduct, type Product } from '../policy/products.js';
import { isWildcard } from '../policy/names.js';
import { DCV_TOKEN_LIFETIME_DAYS } from '../policy/validity.js';
import {
  type Authorization,
  type CompanySnapshot,
  type InitialOrderState,
  type OrderContact,
  type OrderTag,
  type ValidateType,
} from '../domain/order.js';
import { newValidationToken } from '../domain/validation-token.js';
import type { CompanyRow, ContactRow } from '../store/schema.js';
import type { ViewRepos } from '../store/views.js';
import type { OrderDeps, UseCaseDeps } from './deps.js';
import type { EventRepoReads, EventRepoWrites } from './events.js';
import { namesForApplication } from './names-from-request.js';
import { JOB_VALIDATE } from './job-kinds.js';
import { sealOrderKey } from './order-key.js';

export interface ApplicationInput {
  productCode: string;
  csr?: string;
  domain?: string;
  validateType: ValidateType;
  contact: { name?: string; phone?: string; email?: string };
  companyName?: string;
  tags: OrderTag[];
  /** Key made for the customer when no CSR is given (ECDSA P-256 by default). */
  keyAlgorithm?: KeyAlgorithm;
  /** CreateCertificateRequest / WithCsr: DV products only, exactly one name (Alibaba Cloud CAS API reference). */
  dvApi?: boolean;
}

export interface PreparedApplication {
  product: Product;
  names: string[];
  spki: Buffer;
  keyAlgorithm: string;
  csrDer: Buffer | undefined;
}

const DAY_MS = 86_400_000;

/** Everything that can be checked without the store: product, CSR, key, names. */
export async function checkApplication(
  input: ApplicationInput,
): Promise<Omit<PreparedApplication, 'spki' | 'keyAlgorithm'> & { csrKey?: { spki: Buffer; algorithm: string } }> {
  const product = getProduct(input.productCode);
  if (input.dvApi && !product.dvOnlyApis) {
    throw new CertError(
      'invalid_parameter',
      `The ProductCode ${product.code} cannot be used with this action: only DV products are allowed.`,
    );
  }
  let csr;
  if (input.csr !== undefined) {
    csr = await parseCsr(input.csr);
    checkSubscriberKey(csr.key);
  }
  const names = namesForApplication(product, input.domain, csr);
  if (input.dvApi && names.length !== 1)
    throw new CertError('invalid_parameter', 'This action certifies exactly one domain name.');
  // BR §3.2.2.4.18: the file method cannot prove control of a wildcard's namespace.
  if (input.validateType === 'FILE' && names.some(isWildcard)) {
    throw new CertError('invalid_parameter', 'FILE validation cannot be used for wildcard names; use DNS.');
  }
  const csrKey = csr ? { spki: csr.spki, algorithm: keyAlgorithmName(csr.key) } : undefined;
  return { product, names, csrDer: csr?.der, ...(csrKey ? { csrKey } : {}) };
}

/** Contact fields fall back, one by one, to the most recently added contact (CreateCertificateForPackageRequest). */
function resolveContact(input: ApplicationInput['contact'], latest: ContactRow | undefined): OrderContact {
  const name = input.name || latest?.name;
  const phone = input.phone || latest?.mobile;
  const email = input.email || latest?.email;
  if (!name || !phone || !email) {
    throw new CertError(
      'missing_parameter',
      'Username, Phone and Email are required: give them, or add a contact to the account first.',
    );
  }
  if (name.length > 64 || phone.length > 32 || email.length > 128)
    throw new CertError('invalid_parameter', 'A contact field is too long.');
  return { name, phone, email };
}

/** OV subjects need a company profile: the named one, or the most recently added (CreateCertificateForPackageRequest, CompanyName). */
async function resolveCompany(
  repos: ViewRepos<never, 'companies'>,
  accountId: number,
  product: Product,
  companyName: string | undefined,
): Promise<{ row: CompanyRow; snapshot: CompanySnapshot } | undefined> {
  if (product.validation === 'DV') return undefined;
  const row = companyName
    ? await repos.companies.findByName(accountId, companyName)
    : await repos.companies.latest(accountId);
  if (!row) {
    throw companyName
      ? new CertError('not_found', `No company profile named "${companyName.slice(0, 64)}" exists for this account.`)
      : new CertError('missing_parameter', 'An OV application needs a company profile: add one to the account first.');
  }
  // BR §7.1.4.2.2: an OV subject carries O, C and a locality or province.
  if (row.country === '' || (row.province === '' && row.city === '')) {
    throw new CertError(
      'invalid_parameter',
      'The company profile needs a country and a province or city for an OV certificate.',
    );
  }
  return { row, snapshot: { name: row.name, country: row.country, province: row.province, city: row.city } };
}

/** The subscriber key: the CSR's, or one made for the customer (ca/generated-key.ts: DER straight away). */
export async function subscriberKey(
  csrKey: { spki: Buffer; algorithm: string } | undefined,
  algorithm: KeyAlgorithm = 'ecdsa-p256',
): Promise<{ spki: Buffer; keyAlgorithm: string; generatedKeyDer?: Buffer }> {
  if (csrKey) return { spki: csrKey.spki, keyAlgorithm: csrKey.algorithm };
  const key = await generateKeyDer(algorithm);
  return { spki: key.spki, keyAlgorithm: key.algorithm, generatedKeyDer: key.pkcs8 };
}

export interface OrderToInsert {
  accountId: number;
  product: Product;
  names: string[];
  state: InitialOrderState;
  validateType: ValidateType;
  key: { spki: Buffer; keyAlgorithm: string; generatedKeyDer?: Buffer };
  csrDer: Buffer | undefined;
  contact: ApplicationInput['contact'];
  companyName: string | undefined;
  tags: ApplicationInput['tags'];
  renewedFrom: number | null;
  /** A lifetime cap shorter than the product's (an ACME profile); absent: the product's. */
  validityHours?: number;
  /** false: the caller drives validation itself (ACME challenges, RFC 8555 §7.5.1), no CAS validate job. */
  startValidation?: boolean;
}

export type InsertOrderDeps = UseCaseDeps<
  'clock' | 'random' | 'sealer' | 'events' | 'validation',
  'orders' | 'authorizations' | EventRepoWrites,
  'plans' | 'contacts' | 'companies' | EventRepoReads
>;
type InsertRepos = ViewRepos<
  'orders' | 'authorizations' | EventRepoWrites,
  'plans' | 'contacts' | 'companies' | EventRepoReads
>;

/**
 * Takes a unit of a plan and writes the order, its authorizations and (when submitted)
 * its first validation job. Runs inside the caller's write transaction.
 */
export async function insertOrder(deps: InsertOrderDeps, repos: InsertRepos, o: OrderToInsert): Promise<number> {
  return (await insertOrderWithAuthorizations(deps, repos, o)).orderId;
}

/** insertOrder, with the authorizations as inserted (ACME links each to its URL without reading them back). */
export async function insertOrderWithAuthorizations(
  deps: InsertOrderDeps,
  repos: InsertRepos,
  o: OrderToInsert,
): Promise<{ orderId: number; authorizations: Authorization[] }> {
  const now = deps.clock.now();
  await repos.orders.lockAccount(o.accountId);
  const plan = await repos.plans.pickPlanWithRoom(o.accountId, o.product.code, now);
  if (!plan) throw quotaError(o.product);
  // The latest contact is read only when a field falls back to it (an indexed read,
  // contacts_account (account_id, id), but one statement per submission in the write transaction).
  const complete = !!(o.contact.name && o.contact.phone && o.contact.email);
  const contact = resolveContact(o.contact, complete ? undefined : await repos.contacts.latest(o.accountId));
  const company = await resolveCompany(repos, o.accountId, o.product, o.companyName);
  const spki = o.key.spki.toString('base64');
  const order = await repos.orders.insert({
    accountId: o.accountId,
    planId: plan.id,
    productCode: o.product.code,
    state: o.state,
    names: o.names,
    validateType: o.validateType,
    keyAlgorithm: o.key.keyAlgorithm,
    spki,
    csrDer: o.csrDer ? o.csrDer.toString('base64') : null,
    // Bound to what is known before the row exists (order-key.ts): one INSERT, no UPDATE after it.
    keySealed: o.key.generatedKeyDer ? sealOrderKey(deps.sealer, o.accountId, spki, o.key.generatedKeyDer) : null,
    contact,
    companyId: company?.row.id ?? null,
    company: company?.snapshot ?? null,
    tags: o.tags,
    failReason: null,
    approvedAt: null,
    // BR 3.2.2.4 v2.2.6: random values are usable for 30 days.
    validationDeadline: now + DCV_TOKEN_LIFETIME_DAYS * DAY_MS,
    caaCheckedAt: null,
    renewedFrom: o.renewedFrom,
    validityHours: o.validityHours ?? null,
    createdAt: now,
    updatedAt: now,
  });
  const authorizations = await repos.authorizations.insertMany(
    o.names.map((domain) => ({
      orderId: order.id,
      domain,
      token: newValidationToken(deps.random, now),
      status: 'pending',
      lastError: null,
      validatedAt: null,
    })),
  );
  // No attempt on submission: the customer cannot have published a value certdesk has not
  // shown yet. Their DescribeCertificateState after publishing asks for one at once
  // (describe-order.ts); this job is the fallback for those who publish and never ask.
  if (o.state === 'domain_verify' && o.startValidation !== false) {
    await repos.jobs.enqueue(JOB_VALIDATE, order.id, now + deps.validation.retryBaseMs, now);
    await deps.events(repos, { kind: 'verification_needed', accountId: o.accountId, orderId: order.id, order }, now);
  }
  return { orderId: order.id, authorizations };
}

export async function submitApplication(
  deps: InsertOrderDeps & Pick<OrderDeps, 'wake'>,
  accountId: number,
  input: ApplicationInput,
): Promise<{ orderId: number }> {
  const checked = await checkApplication(input);
  // A look at the plans before generating a costly key (RSA, P-384: a millisecond or more,
  // decision 0035): a submission with no unit left is refused before that work. Not before a
  // P-256 key (~35 us, less than this read) nor with a CSR: the transaction below refuses just
  // the same (docs/decisions/0037-fewer-statements-per-order.md).
  if (!checked.csrKey && (input.keyAlgorithm ?? 'ecdsa-p256') !== 'ecdsa-p256')
    if (!(await deps.store.repos.plans.pickPlanWithRoom(accountId, checked.product.code, deps.clock.now())))
      throw quotaError(checked.product);
  const key = await subscriberKey(checked.csrKey, input.keyAlgorithm);
  const orderId = await deps.store.writeTransaction((repos) =>
    insertOrder(deps, repos, {
      accountId,
      product: checked.product,
      names: checked.names,
      state: 'domain_verify',
      validateType: input.validateType,
      key,
      csrDer: checked.csrDer,
      contact: input.contact,
      companyName: input.companyName,
      tags: input.tags,
      renewedFrom: null,
    }),
  );
  deps.wake();
  return { orderId };
}

export function quotaError(product: Product): CertError {
  return new CertError(
    'quota_exceeded',
    `No unit of the resource plan ${product.code} is left: buy (be granted) more, or delete an application.`,
  );
}
