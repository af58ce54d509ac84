// Submitting an application (CreateCertificateForPackageRequest, CreateCertificateRequest,
// CreateCertificateWithCsrRequest; CAS doc §5.1): check everything, take one unit of a
// plan and write the order in one transaction, then start domain validation.
// Bad input is refused before anything is written: no quota spent, no half-written order.
import { createPublicKey } from 'node:crypto';
import { CertError } from '../domain/errors.js';
import { parseCsr } from '../ca/csr.js';
import { generateKeyPair, detectKeyAlgorithm, type KeyAlgorithm } from '../ca/signer.js';
import { checkSubscriberKey, type PublicKeyInfo } from '../policy/key-rules.js';
import { getProduct, type Product } from '../policy/products.js';
import { isWildcard } from '../policy/names.js';
import { DCV_TOKEN_LIFETIME_DAYS } from '../policy/validity.js';
import type { CompanyRow, ContactRow } from '../store/schema.js';
import type { Repos } from '../store/store.js';
import type { OrderDeps } from './deps.js';
import { namesForApplication } from './names-from-request.js';
import { newValidationToken } from './tokens.js';
import { JOB_VALIDATE } from './jobs.js';

export type ValidateType = 'DNS' | 'FILE';

export interface ApplicationInput {
  productCode: string;
  csr?: string;
  domain?: string;
  validateType: ValidateType;
  contact: { name?: string; phone?: string; email?: string };
  companyName?: string;
  tags: Array<{ Key: string; Value: string }>;
  /** Key made for the customer when no CSR is given (ECDSA P-256 by default). */
  keyAlgorithm?: KeyAlgorithm;
  /** CreateCertificateRequest / WithCsr: DV products only, exactly one name (CAS doc §5.1). */
  dvApi?: boolean;
}

export interface PreparedApplication {
  product: Product;
  names: string[];
  spki: Buffer;
  keyAlgorithm: string;
  csrDer: Buffer | undefined;
}

export interface CompanySnapshot {
  name: string;
  country: string;
  province: string;
  city: string;
}

const DAY_MS = 86_400_000;

/** Everything that can be checked without the store: product, CSR, key, names. */
export function checkApplication(
  input: ApplicationInput,
): Omit<PreparedApplication, 'spki' | 'keyAlgorithm'> & { csrKey?: { spki: Buffer; algorithm: string } } {
  const product = getProduct(input.productCode);
  if (input.dvApi && !product.dvOnlyApis) {
    throw new CertError(
      'invalid_parameter',
      `The ProductCode ${product.code} cannot be used with this action: only DV products are allowed.`,
    );
  }
  let csr;
  if (input.csr !== undefined) {
    csr = parseCsr(input.csr);
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

export function keyAlgorithmName(key: PublicKeyInfo): string {
  if (key.type === 'rsa') return `rsa-${key.bits}`;
  if (key.type === 'ec') return key.curve === 'P-384' ? 'ecdsa-p384' : 'ecdsa-p256';
  return key.type;
}

/** Contact fields fall back, one by one, to the most recently added contact (CAS doc §5.1). */
function resolveContact(
  input: ApplicationInput['contact'],
  latest: ContactRow | undefined,
): { name: string; phone: string; email: string } {
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

/** OV subjects need a company profile: the named one, or the most recently added (CAS doc §5.1). */
async function resolveCompany(
  repos: Repos,
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

/** The subscriber key: the CSR's, or one made for the customer off the event loop. */
export async function subscriberKey(
  csrKey: { spki: Buffer; algorithm: string } | undefined,
  algorithm: KeyAlgorithm = 'ecdsa-p256',
): Promise<{ spki: Buffer; keyAlgorithm: string; generatedKeyDer?: Buffer }> {
  if (csrKey) return { spki: csrKey.spki, keyAlgorithm: csrKey.algorithm };
  // node's async generateKeyPair runs on the libuv thread pool (RSA-2048 takes ~150 ms).
  const key = await generateKeyPair(algorithm);
  return {
    spki: createPublicKey(key).export({ format: 'der', type: 'spki' }),
    keyAlgorithm: detectKeyAlgorithm(key),
    generatedKeyDer: key.export({ format: 'der', type: 'pkcs8' }),
  };
}

export interface NewOrder {
  accountId: number;
  product: Product;
  names: string[];
  state: 'domain_verify' | 'payed';
  validateType: ValidateType;
  key: { spki: Buffer; keyAlgorithm: string; generatedKeyDer?: Buffer };
  csrDer: Buffer | undefined;
  contact: ApplicationInput['contact'];
  companyName: string | undefined;
  tags: ApplicationInput['tags'];
  renewedFrom: number | null;
}

/**
 * Takes a unit of a plan and writes the order, its authorizations and (when submitted)
 * its first validation job. Runs inside the caller's write transaction.
 */
export async function insertOrder(deps: OrderDeps, repos: Repos, o: NewOrder): Promise<number> {
  const now = deps.clock.now();
  await repos.orders.lockAccount(o.accountId);
  const plan = await repos.plans.pickPlanWithRoom(o.accountId, o.product.code, now);
  if (!plan) throw quotaError(o.product);
  const contact = resolveContact(o.contact, await repos.contacts.latest(o.accountId));
  const company = await resolveCompany(repos, o.accountId, o.product, o.companyName);
  const order = await repos.orders.insert({
    account_id: o.accountId,
    plan_id: plan.id,
    product_code: o.product.code,
    state: o.state,
    domains: o.names.join(','),
    validate_type: o.validateType,
    key_algorithm: o.key.keyAlgorithm,
    spki: o.key.spki.toString('base64'),
    csr_der: o.csrDer ? o.csrDer.toString('base64') : null,
    key_sealed: null,
    contact_name: contact.name,
    contact_phone: contact.phone,
    contact_email: contact.email,
    company_id: company?.row.id ?? null,
    company: company ? JSON.stringify(company.snapshot) : null,
    tags: JSON.stringify(o.tags),
    fail_reason: null,
    approved_at: null,
    // BR §3.2.2.4: random values are usable for 30 days.
    validation_deadline: now + DCV_TOKEN_LIFETIME_DAYS * DAY_MS,
    caa_checked_at: null,
    renewed_from: o.renewedFrom,
    created_at: now,
    updated_at: now,
    deleted_at: null,
  });
  if (o.key.generatedKeyDer)
    await repos.orders.update(order.id, { key_sealed: deps.sealer.seal(o.key.generatedKeyDer, orderKeyAad(order.id)) });
  await repos.authorizations.insertMany(
    o.names.map((domain) => ({
      order_id: order.id,
      domain,
      token: newValidationToken(deps.random, now),
      status: 'pending',
      last_error: null,
      validated_at: null,
    })),
  );
  // Attempts start on submission (issue 3, Domain control).
  if (o.state === 'domain_verify') {
    await repos.jobs.enqueue(JOB_VALIDATE, order.id, now, now);
    await deps.events(repos, { kind: 'verification_needed', accountId: o.accountId, orderId: order.id }, now);
  }
  return order.id;
}

export async function submitApplication(
  deps: OrderDeps,
  accountId: number,
  input: ApplicationInput,
): Promise<{ orderId: number }> {
  const checked = checkApplication(input);
  // A cheap look before generating a key: most refusals for quota happen here.
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

export function orderKeyAad(orderId: number): string {
  return `order-key:${orderId}`;
}

function quotaError(product: Product): CertError {
  return new CertError(
    'quota_exceeded',
    `No unit of the resource plan ${product.code} is left: buy (be granted) more, or delete an application.`,
  );
}
