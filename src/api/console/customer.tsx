// The customer console at /console/ on the API listener: a thin front end over the bound
// use cases of orders/ and accounts/ (docs/ARCHITECTURE.md, "Store views"): it renders
// pages and forms, and every change it causes is one use-case call. A session started with
// an AccessKey carries that key's action policy: what the policy does not allow (apply,
// revoke) is neither shown nor accepted (policy/action-policy.ts, the RAM action names of
// the Alibaba Cloud CAS API reference).
import { X509Certificate } from 'node:crypto';
import Type from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CertError, isCertError } from '../../domain/errors.js';
import type { Clock, Logger } from '../../domain/ports.js';
import {
  LIST_STATUSES,
  orderListStatus,
  type ListStatus,
  type Order,
  type OrderState,
  type ValidateType,
} from '../../domain/order.js';
import type { Certificate } from '../../domain/certificate.js';
import type { CertificateStatus } from '../../status/certificate-status.js';
import { REVOCATION_REASONS, parseRevocationReason, revocationReasonName } from '../../domain/revocation.js';
import { parseActionPolicy, policyAllows } from '../../policy/action-policy.js';
import { PRODUCTS, findProduct, DEFAULT_PRODUCT_CODE } from '../../policy/products.js';
import { fromPem, pemFromBase64, toPem } from '../../crypto/pem.js';
import type { AccountService } from '../../accounts/service.js';
import type { AccessKeyInfo } from '../../domain/account.js';
import type { ConsoleSession } from '../../accounts/console-sessions.js';
import type { OrderEngine } from '../../orders/engine.js';
import type { OrderStateView } from '../../orders/describe-order.js';
import type { LiveCheck } from '../../orders/live-check.js';
import { checkApplication, type ApplicationInput } from '../../orders/submit-application.js';
import { DNS_RECORD_LABEL, FILE_VALIDATION_PATH } from '../../validation/index.js';
import { dcvBaseDomain } from '../../policy/names.js';
import { CAS_ERROR_CODES } from '../cas/error-codes.js';
import type { MessageKey, Translate } from './i18n.js';
import type { CompanyRow, ContactRow, NoticeRow } from '../../store/schema.js';
import {
  checkFormOrigin,
  formOf,
  preSessionToken,
  SESSION_COOKIE,
  setCookie,
  SignInLimiter,
  type Form,
} from './http.js';
import { Csrf, formatDate, formatTime, sendFragment, sendPage, type PageContext } from './layout.js';
import { consoleActor, consoleStatus, installShell, pageContext, sessionOf, type ConsoleAssets } from './shell.js';
import { Table, type Column } from './table.js';
import { csvLine } from './csv.js';
import { buildPkcs12 } from './pkcs12.js';
import { expiryCalendar, feedToken, feedTokenMatches } from './calendar.js';

export interface CustomerConsoleServices {
  accounts: AccountService;
  orders: OrderEngine;
  clock: Clock;
  logger: Logger;
  limiter: SignInLimiter;
  assets: ConsoleAssets;
  /** Key of the ICS feed's capability tokens (src/app derives it). */
  feedKey: Buffer;
  /** What the OCSP responder and the CRLs say of a certificate now (status/certificate-status.ts). */
  certificateStatus(cert: Certificate): Promise<CertificateStatus>;
  /** The account's webhook targets, test notices through the outbox, and the last deliveries (src/notices). */
  webhooks: {
    targets(accountId: number): Promise<string[]>;
    queueTest(accountId: number, url: string): Promise<number>;
    recent(accountId: number): Promise<NoticeRow[]>;
  };
}

/** The RAM actions whose permission each console action needs (Alibaba Cloud CAS API reference). */
const NEEDS = {
  apply: 'CreateCertificateForPackageRequest',
  revoke: 'CancelCertificateForPackageRequest',
  // Key management is not a CAS action; these carry the names of the Alibaba Cloud RAM API's
  // AccessKey actions, so a policy like `Describe*,List*,Get*` leaves a key unable to manage keys.
  createKey: 'CreateAccessKey',
  updateKey: 'UpdateAccessKey',
  deleteKey: 'DeleteAccessKey',
  // Contacts and company profiles: named like the CAS API's ListContact, so `List*` reads them
  // and a read-only key changes none.
  createContact: 'CreateContact',
  updateContact: 'UpdateContact',
  deleteContact: 'DeleteContact',
  createCompany: 'CreateCompany',
  updateCompany: 'UpdateCompany',
  deleteCompany: 'DeleteCompany',
  // Not a CAS action either: a key that may only read cannot make certdesk call out.
  testNotice: 'SendTestNotice',
} as const;

const PAGE_SIZE = 20;
const Id = Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER });
const OrderPath = Type.Object({ id: Id });

function can(s: ConsoleSession, what: keyof typeof NEEDS): boolean {
  return policyAllows(s.policy, NEEDS[what]);
}

function requirePermission(s: ConsoleSession, what: keyof typeof NEEDS): void {
  if (!can(s, what))
    throw new CertError('forbidden_by_policy', `The AccessKey of this session may not call ${NEEDS[what]}.`, {
      detail: { AuthAction: `yundun-cert:${NEEDS[what]}` },
    });
}

/**
 * A session may hand out (create, or enable again) only powers it holds: a key whose every
 * pattern is one of the session key's own patterns. A session without a policy (a key
 * allowed everything, or a one-time link) holds them all.
 */
function requireCovered(s: ConsoleSession, policy: readonly string[] | null): void {
  if (s.policy === null) return;
  if (policy !== null && policy.every((p) => s.policy!.includes(p))) return;
  throw new CertError(
    'forbidden_by_policy',
    'An AccessKey made or enabled here may allow only actions the AccessKey of this session allows.',
  );
}

/** A form that is one button (POST, with the session's CSRF token). */
function PostButton(props: { csrf: string | undefined; action: string; label: string }) {
  return (
    <form method="post" action={props.action} class="inline">
      <Csrf token={props.csrf} />
      <button type="submit">{props.label}</button>
    </form>
  );
}

/** A signed-in customer's session and account, or a redirect to the sign-in page. */
function signedIn(req: FastifyRequest): { s: ConsoleSession; accountId: number } | undefined {
  const s = sessionOf(req);
  if (!s || s.accountId === null) return undefined;
  return { s, accountId: s.accountId };
}

/** What one signed-in request works with: its session, and the use cases acting for it (audited as its actor). */
interface Who {
  s: ConsoleSession;
  accountId: number;
  accounts: AccountService;
  orders: OrderEngine;
}

/** A notice's link reaches one order only. */
function checkScope(s: ConsoleSession, orderId?: number): void {
  if (s.scopeOrderId !== null && s.scopeOrderId !== orderId)
    throw new CertError('forbidden_by_policy', 'This sign-in link opens one order only; sign in to see the rest.');
}

function ErrorBox({ err }: { err: CertError | undefined }) {
  if (!err) return null;
  return (
    <div class="error" role="alert">
      <p>
        {err.message} (<code>{CAS_ERROR_CODES[err.kind].code}</code>)
      </p>
    </div>
  );
}

function StatusText({ t, status }: { t: Translate; status: ListStatus }) {
  return <span data-status={status}>{t(`status.${status}`)}</span>;
}

function stateText(t: Translate, state: OrderState): string {
  return t(`state.${state}`);
}

// ---- sign-in ----

function SignInForm({ ctx, pre, err }: { ctx: PageContext; pre: string; err?: CertError }) {
  const { t } = ctx;
  return (
    <>
      <ErrorBox err={err} />
      <form method="post" action="/console/sign-in" class="stack">
        <Csrf token={pre} />
        <label for="ak">{t('signIn.accessKeyId')}</label>
        <input id="ak" type="text" name="AccessKeyId" autocomplete="username" required />
        <label for="sk">{t('signIn.accessKeySecret')}</label>
        <input id="sk" type="password" name="AccessKeySecret" autocomplete="current-password" required />
        <button type="submit">{t('signIn.submit')}</button>
      </form>
    </>
  );
}

// ---- apply ----

interface ApplyValues {
  ProductCode: string;
  Domain: string;
  ValidateType: string;
  Csr: string;
  CompanyName: string;
  Username: string;
  Phone: string;
  Email: string;
}

const APPLY_FIELDS: ReadonlyArray<keyof ApplyValues> = [
  'ProductCode',
  'Domain',
  'ValidateType',
  'Csr',
  'CompanyName',
  'Username',
  'Phone',
  'Email',
];

function applyValues(f: Form): ApplyValues {
  const v = {} as ApplyValues;
  for (const k of APPLY_FIELDS) v[k] = (f[k] ?? '').slice(0, k === 'Csr' ? 65536 : 2048);
  return v;
}

function applicationInput(v: ApplyValues): ApplicationInput {
  const validateType: ValidateType = v.ValidateType === 'FILE' ? 'FILE' : 'DNS';
  if (v.ValidateType !== '' && v.ValidateType !== 'DNS' && v.ValidateType !== 'FILE')
    throw new CertError('invalid_parameter', 'The ValidateType must be DNS or FILE.');
  return {
    productCode: v.ProductCode || DEFAULT_PRODUCT_CODE,
    csr: v.Csr.trim() === '' ? undefined : v.Csr,
    domain: v.Domain.trim() === '' ? undefined : v.Domain.trim(),
    validateType,
    contact: { name: v.Username || undefined, phone: v.Phone || undefined, email: v.Email || undefined },
    companyName: v.CompanyName || undefined,
    tags: [],
  };
}

function ApplyForm(props: {
  ctx: PageContext;
  products: string[];
  values: ApplyValues;
  err?: CertError;
  checked?: string;
}) {
  const { ctx, values: v } = props;
  const { t } = ctx;
  return (
    <>
      <ErrorBox err={props.err} />
      {props.checked && (
        <div class="notice" role="status">
          {props.checked}
        </div>
      )}
      <form method="post" action="/console/apply" class="stack">
        <Csrf token={ctx.csrf} />
        <label for="ProductCode">{t('apply.product')}</label>
        <select id="ProductCode" name="ProductCode">
          {props.products.map((code) => (
            <option value={code} selected={code === v.ProductCode}>
              {findProduct(code)?.name ?? code} ({code})
            </option>
          ))}
        </select>
        <label for="Domain">{t('apply.domains')}</label>
        <input id="Domain" type="text" name="Domain" value={v.Domain} />
        <fieldset>
          <legend>{t('apply.validateType')}</legend>
          <label>
            <input type="radio" name="ValidateType" value="DNS" checked={v.ValidateType !== 'FILE'} /> {t('apply.dns')}
          </label>
          <label>
            <input type="radio" name="ValidateType" value="FILE" checked={v.ValidateType === 'FILE'} />{' '}
            {t('apply.file')}
          </label>
        </fieldset>
        <label for="Csr">{t('apply.csr')}</label>
        <textarea id="Csr" name="Csr" rows={6}>
          {v.Csr}
        </textarea>
        <p class="muted">{t('apply.optional')}</p>
        <label for="CompanyName">{t('apply.company')}</label>
        <input id="CompanyName" type="text" name="CompanyName" value={v.CompanyName} />
        <label for="Username">{t('apply.contactName')}</label>
        <input id="Username" type="text" name="Username" value={v.Username} autocomplete="name" />
        <label for="Phone">{t('apply.phone')}</label>
        <input id="Phone" type="text" name="Phone" value={v.Phone} autocomplete="tel" />
        <label for="Email">{t('apply.email')}</label>
        <input id="Email" type="email" name="Email" value={v.Email} autocomplete="email" />
        <div>
          <button type="submit" name="do" value="check">
            {t('apply.check')}
          </button>{' '}
          <button type="submit" name="do" value="apply">
            {t('apply.submit')}
          </button>
        </div>
      </form>
    </>
  );
}

// ---- order page ----

function PublishTable({ t, view }: { t: Translate; view: OrderStateView }) {
  const dns = view.order.validateType === 'DNS';
  return (
    <table>
      <thead>
        <tr>
          <th scope="col">{t('order.domain')}</th>
          <th scope="col">{dns ? t('order.txtName') : t('order.fileUrl')}</th>
          <th scope="col">{dns ? t('order.txtValue') : t('order.fileContent')}</th>
          <th scope="col">{t('order.authStatus')}</th>
          <th scope="col">{t('order.lastError')}</th>
        </tr>
      </thead>
      <tbody>
        {view.authorizations.map((a) => (
          <tr>
            <td>{a.domain}</td>
            <td class="mono" data-field={dns ? 'txt-name' : 'file-url'}>
              {dns ? `${DNS_RECORD_LABEL}.${dcvBaseDomain(a.domain)}` : `http://${a.domain}${FILE_VALIDATION_PATH}`}
            </td>
            <td class="mono" data-field={dns ? 'txt-value' : 'file-content'}>
              {a.token}
            </td>
            <td>{a.status}</td>
            <td>{a.lastError ?? ''}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function LiveCheckView({ t, check }: { t: Translate; check: LiveCheck }) {
  return (
    <div>
      {check.nextAttemptAt !== undefined && <p>{t('order.nextAttempt', { at: formatTime(check.nextAttemptAt) })}</p>}
      <table>
        <thead>
          <tr>
            <th scope="col">{t('order.domain')}</th>
            <th scope="col">{t('order.liveTxt')}</th>
            <th scope="col">{t('order.liveHttp')}</th>
            <th scope="col">{t('order.liveCaa')}</th>
            <th scope="col">{t('order.lastError')}</th>
          </tr>
        </thead>
        <tbody>
          {check.names.map((n) => (
            <tr>
              <td>{n.domain}</td>
              <td class="mono">
                {n.txtName !== undefined &&
                  `${n.txtName}: ${n.txtValues?.length ? n.txtValues.join(' | ') : t('order.liveNone')}`}
              </td>
              <td class="mono">{n.url !== undefined && `${n.url}: ${n.httpStatus ?? '-'} ${n.bodyPrefix ?? ''}`}</td>
              <td class="mono">{n.caa.length ? n.caa.join(' | ') : t('order.liveNone')}</td>
              <td>
                {n.passes ? t('order.liveMatches') : t('order.liveDiffers')}
                {n.reason ? `: ${n.reason}` : ''}
                {n.lookupError ? ` (${n.lookupError})` : ''}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

const FINAL_STATES: readonly OrderState[] = ['certificate', 'revoked', 'verify_fail', 'payed'];

function chainOf(engine: OrderEngine, cert: Certificate): X509Certificate[] {
  return fromPem(engine.chainPem(cert.issuerId ?? 0), 'CERTIFICATE').map((d) => new X509Certificate(d));
}

function StatusSection({ t, status }: { t: Translate; status: CertificateStatus }) {
  const { ocsp } = status;
  return (
    <>
      <h3>{t('order.ocsp')}</h3>
      <p data-field="ocsp" data-ocsp={ocsp.status}>
        {ocsp.status === 'good' ? t('order.ocspGood') : t('order.ocspRevoked', { at: formatTime(ocsp.revokedAt) })}
        {' · '}
        {ocsp.thisUpdate === null
          ? t('order.ocspFresh')
          : t('order.ocspTimes', { this: formatTime(ocsp.thisUpdate), next: formatTime(ocsp.nextUpdate) })}
      </p>
      <h3>{t('order.crl')}</h3>
      {status.crls.length === 0 ? (
        <p data-field="crl">{t('order.crlNotListed')}</p>
      ) : (
        <ul data-field="crl">
          {status.crls.map((c) => (
            <li data-partition={c.partition} data-listed={c.listed ? 'true' : 'false'}>
              {c.partition < 0 ? t('order.crlFull') : t('order.crlPartition', { n: c.partition })}:{' '}
              {c.listed
                ? t('order.crlListed', { n: c.crlNumber, this: formatTime(c.thisUpdate) })
                : t('order.crlPending', { n: c.crlNumber, next: formatTime(c.nextUpdate) })}
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

function CertificateSection(props: {
  ctx: PageContext;
  s: ConsoleSession;
  view: OrderStateView;
  chain: X509Certificate[];
  status?: CertificateStatus;
}) {
  const { ctx, view, s } = props;
  const { t } = ctx;
  const cert = view.certificate;
  if (!cert || cert.state !== 'issued') return null;
  const base = `/console/orders/${view.order.id}`;
  const hasKey = view.privateKeyDer !== undefined;
  return (
    <section aria-labelledby="cert-h">
      <h2 id="cert-h">{t('order.certificate')}</h2>
      <dl class="facts">
        <dt>{t('order.serial')}</dt>
        <dd class="mono" data-field="serial">
          {cert.serial}
        </dd>
        <dt>{t('orders.domains')}</dt>
        <dd>{cert.sans.join(', ')}</dd>
        <dt>{t('order.validity')}</dt>
        <dd>
          {formatTime(cert.notBefore)} – {formatTime(cert.notAfter)}
        </dd>
        <dt>{t('order.sha1')}</dt>
        <dd class="mono">{cert.sha1}</dd>
        <dt>{t('order.sha256')}</dt>
        <dd class="mono">{cert.sha256}</dd>
        <dt>{t('order.chain')}</dt>
        <dd>
          <ol>
            {props.chain.map((c) => (
              <li>{c.subject.replace(/\n/g, ', ')}</li>
            ))}
          </ol>
        </dd>
      </dl>
      {cert.revokedAt !== null && (
        <p class="notice" data-field="revoked">
          {t('order.revoked', {
            at: formatTime(cert.revokedAt),
            reason: t(`reason.${revocationReasonName(cert.revocationReason)}`),
          })}
        </p>
      )}
      {props.status && <StatusSection t={t} status={props.status} />}
      <h2>{t('order.downloads')}</h2>
      <ul>
        <li>
          <a href={`${base}/certificate.pem`} download>
            {t('order.leafPem')}
          </a>
        </li>
        <li>
          <a href={`${base}/chain.pem`} download>
            {t('order.chainPem')}
          </a>
        </li>
        <li>
          <a href={`${base}/fullchain.pem`} download>
            {t('order.fullchainPem')}
          </a>
        </li>
        {hasKey && (
          <li>
            <a href={`${base}/key.pem`} download>
              {t('order.keyPem')}
            </a>
          </li>
        )}
      </ul>
      {hasKey && (
        <form method="post" action={`${base}/certificate.p12`} class="stack">
          <Csrf token={ctx.csrf} />
          <h3>{t('order.pkcs12')}</h3>
          <label for="p12pw">{t('order.pkcs12Password')}</label>
          <input id="p12pw" type="password" name="Password" minLength={4} required autocomplete="new-password" />
          <button type="submit">{t('order.pkcs12Download')}</button>
        </form>
      )}
      <h3>{t('order.nginx')}</h3>
      <pre>{`ssl_certificate     /etc/nginx/ssl/${cert.serial}-fullchain.pem;\nssl_certificate_key /etc/nginx/ssl/${cert.serial}-key.pem;`}</pre>
      <h3>{t('order.apache')}</h3>
      <pre>{`SSLCertificateFile    /etc/apache2/ssl/${cert.serial}-fullchain.pem\nSSLCertificateKeyFile /etc/apache2/ssl/${cert.serial}-key.pem`}</pre>
      {view.order.state === 'certificate' && can(s, 'revoke') && (
        <form method="post" action={`${base}/revoke`} class="stack">
          <Csrf token={ctx.csrf} />
          <h2>{t('order.revoke')}</h2>
          <label for="reason">{t('order.revokeReason')}</label>
          <select id="reason" name="Reason">
            {Object.keys(REVOCATION_REASONS).map((r) => (
              <option value={r}>{t(`reason.${r as keyof typeof REVOCATION_REASONS}`)}</option>
            ))}
          </select>
          <button type="submit">{t('order.revokeConfirm')}</button>
        </form>
      )}
    </section>
  );
}

/** The part of the order page that changes as the order moves; htmx polls it until the order settles. */
function OrderBody(props: {
  ctx: PageContext;
  s: ConsoleSession;
  view: OrderStateView;
  chain: X509Certificate[];
  status?: CertificateStatus;
}) {
  const { ctx, view } = props;
  const { t } = ctx;
  const { order } = view;
  const settled = FINAL_STATES.includes(order.state);
  const poll = settled
    ? {}
    : { 'hx-get': `/console/orders/${order.id}/body`, 'hx-trigger': 'every 3s', 'hx-swap': 'outerHTML' };
  return (
    <div id="order-body" {...poll}>
      <dl class="facts">
        <dt>{t('order.state')}</dt>
        <dd data-field="state" data-state={order.state}>
          {stateText(t, order.state)}
        </dd>
        <dt>{t('orders.domains')}</dt>
        <dd>{order.names.join(', ')}</dd>
        <dt>{t('orders.product')}</dt>
        <dd>{order.productCode}</dd>
        {order.failReason && (
          <>
            <dt>{order.state === 'domain_verify' ? t('order.lastError') : t('order.failReason')}</dt>
            <dd data-field="fail-reason">{order.failReason}</dd>
          </>
        )}
      </dl>
      {order.state === 'domain_verify' && (
        <section aria-labelledby="publish-h">
          <h2 id="publish-h">{t('order.publish')}</h2>
          <PublishTable t={t} view={view} />
        </section>
      )}
      <CertificateSection {...props} />
    </div>
  );
}

function OrderPage(props: {
  ctx: PageContext;
  s: ConsoleSession;
  view: OrderStateView;
  chain: X509Certificate[];
  status?: CertificateStatus;
  check?: LiveCheck;
}) {
  const { ctx, view } = props;
  const { t } = ctx;
  const id = view.order.id;
  return (
    <>
      <OrderBody {...props} />
      {view.order.state === 'domain_verify' && (
        <section aria-labelledby="live-h">
          <h2 id="live-h">{t('order.liveCheck')}</h2>
          <p>
            <a
              href={`/console/orders/${id}/check`}
              hx-get={`/console/orders/${id}/check`}
              hx-target="#live"
              hx-swap="innerHTML"
            >
              {t('order.liveCheck')}
            </a>{' '}
            · <a href={`/console/orders/${id}`}>{t('order.refresh')}</a>
          </p>
          <div id="live" aria-live="polite">
            {props.check && <LiveCheckView t={t} check={props.check} />}
          </div>
        </section>
      )}
    </>
  );
}

// ---- list ----

interface ListParams {
  status?: ListStatus;
  keyword?: string;
  page: number;
}

function listParams(q: Record<string, unknown>): ListParams {
  const status =
    typeof q.Status === 'string' && (LIST_STATUSES as readonly string[]).includes(q.Status) ? q.Status : '';
  const keyword = typeof q.Keyword === 'string' ? q.Keyword.trim().slice(0, 256) : '';
  const page = Math.max(1, Math.min(1_000_000, Number.parseInt(typeof q.Page === 'string' ? q.Page : '1', 10) || 1));
  return { ...(status ? { status: status as ListStatus } : {}), ...(keyword ? { keyword } : {}), page };
}

function listQuery(p: ListParams, page = p.page): string {
  const u = new URLSearchParams();
  if (p.status) u.set('Status', p.status);
  if (p.keyword) u.set('Keyword', p.keyword);
  if (page > 1) u.set('Page', String(page));
  const s = u.toString();
  return s ? `?${s}` : '';
}

type OrderRow = { order: Order; certificate: Certificate | undefined };

function OrdersTable({ t, rows, now }: { t: Translate; rows: OrderRow[]; now: number }) {
  return (
    <Table
      rows={rows}
      empty={t('orders.none')}
      rowAttrs={({ order }) => ({ 'data-order': order.id })}
      columns={[
        { head: t('orders.id'), cell: ({ order }) => <a href={`/console/orders/${order.id}`}>{order.id}</a> },
        { head: t('orders.domains'), cell: ({ order }) => order.names.join(', ') },
        { head: t('orders.product'), cell: ({ order }) => order.productCode },
        {
          head: t('orders.status'),
          cell: ({ order, certificate }) => (
            <StatusText t={t} status={orderListStatus(order.state, certificate, now)} />
          ),
        },
        {
          head: t('orders.expires'),
          cell: ({ certificate }) => (certificate?.state === 'issued' ? formatDate(certificate.notAfter) : ''),
        },
        { head: t('orders.created'), cell: ({ order }) => formatDate(order.createdAt) },
      ]}
    />
  );
}

// ---- contacts and companies ----

/** One kind of account record the console lists, adds, edits and removes. */
interface RecordKind<R extends { id: number }> {
  path: 'contacts' | 'companies';
  title: MessageKey;
  none: MessageKey;
  needs: { create: keyof typeof NEEDS; update: keyof typeof NEEDS; delete: keyof typeof NEEDS };
  columns(t: Translate): Array<Column<R>>;
  /** The form's fields, named like the operator API's (api/admin/routes.ts). */
  fields: Array<{ name: string; label: MessageKey; type?: 'email' | 'tel' | 'textarea'; required?: boolean }>;
  values(r: R): Form;
  list(w: Who): Promise<R[]>;
  add(w: Who, f: Form): Promise<unknown>;
  update(w: Who, id: number, f: Form): Promise<unknown>;
  remove(w: Who, id: number): Promise<void>;
}

/** The webhook URLs of a contact's form: one a line. */
function webhookLines(text: string | undefined): string[] {
  return (text ?? '')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '');
}

export function contactWebhooks(c: ContactRow): string[] {
  try {
    const v = JSON.parse(c.webhooks) as unknown;
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}

const contactInput = (f: Form) => ({
  name: f.Name ?? '',
  email: f.Email ?? '',
  mobile: f.Mobile ?? '',
  webhooks: webhookLines(f.Webhooks),
});

const contactRecords: RecordKind<ContactRow> = {
  path: 'contacts',
  title: 'contacts.title',
  none: 'contacts.none',
  needs: { create: 'createContact', update: 'updateContact', delete: 'deleteContact' },
  columns: (t) => [
    { head: t('common.name'), field: 'name', cell: (c) => c.name },
    { head: t('common.email'), field: 'email', cell: (c) => c.email },
    { head: t('common.mobile'), field: 'mobile', cell: (c) => c.mobile },
    { head: t('contacts.webhooks'), field: 'webhooks', mono: true, cell: (c) => contactWebhooks(c).join(' ') },
  ],
  fields: [
    { name: 'Name', label: 'common.name', required: true },
    { name: 'Email', label: 'common.email', type: 'email', required: true },
    { name: 'Mobile', label: 'common.mobile', type: 'tel', required: true },
    { name: 'Webhooks', label: 'contacts.webhooksHelp', type: 'textarea' },
  ],
  values: (c) => ({ Name: c.name, Email: c.email, Mobile: c.mobile, Webhooks: contactWebhooks(c).join('\n') }),
  list: async (w) => (await w.accounts.listContacts(w.accountId, { page: 1, pageSize: 200 })).rows,
  add: (w, f) => w.accounts.addContact(w.accountId, contactInput(f)),
  update: (w, id, f) => w.accounts.updateContact(w.accountId, id, contactInput(f)),
  remove: (w, id) => w.accounts.removeContact(w.accountId, id),
};

const companyInput = (f: Form) => ({
  name: f.Name ?? '',
  country: f.Country,
  province: f.Province,
  city: f.City,
  address: f.Address,
  phone: f.Phone,
});

const companyRecords: RecordKind<CompanyRow> = {
  path: 'companies',
  title: 'companies.title',
  none: 'companies.none',
  needs: { create: 'createCompany', update: 'updateCompany', delete: 'deleteCompany' },
  columns: (t) => [
    { head: t('common.name'), field: 'name', cell: (c) => c.name },
    { head: t('common.country'), field: 'country', cell: (c) => c.country },
    { head: t('common.city'), field: 'city', cell: (c) => c.city },
  ],
  fields: [
    { name: 'Name', label: 'common.name', required: true },
    { name: 'Country', label: 'common.country' },
    { name: 'Province', label: 'common.province' },
    { name: 'City', label: 'common.city' },
    { name: 'Address', label: 'common.address' },
    { name: 'Phone', label: 'apply.phone', type: 'tel' },
  ],
  values: (c) => ({
    Name: c.name,
    Country: c.country,
    Province: c.province,
    City: c.city,
    Address: c.address,
    Phone: c.phone,
  }),
  list: (w) => w.accounts.listCompanies(w.accountId),
  add: (w, f) => w.accounts.addCompany(w.accountId, companyInput(f)),
  update: (w, id, f) => w.accounts.updateCompany(w.accountId, id, companyInput(f)),
  remove: (w, id) => w.accounts.removeCompany(w.accountId, id),
};

export function customerConsolePlugin(svc: CustomerConsoleServices): FastifyPluginAsyncTypebox {
  const { accounts, orders } = svc;
  return async (app) => {
    await installShell(app, {
      name: 'api',
      logger: svc.logger,
      assets: svc.assets,
      kind: 'customer',
      resolveSession: (token) => accounts.resolveConsoleSession(token),
    });

    /** The signed-in customer, or a redirect to the sign-in page (GET) / a refusal (POST). */
    const who = (req: FastifyRequest, reply: FastifyReply, orderId?: number): Who | undefined => {
      const w = signedIn(req);
      if (!w) {
        if (req.method === 'GET') {
          void reply.redirect('/console/sign-in', 303);
          return undefined;
        }
        throw new CertError('unauthorized', 'Sign in to the console first.');
      }
      if (w.s.scopeOrderId !== null && orderId === undefined && req.method === 'GET') {
        void reply.redirect(`/console/orders/${w.s.scopeOrderId}`, 303);
        return undefined;
      }
      checkScope(w.s, orderId);
      if (req.method === 'POST') checkFormOrigin(req, w.s.csrf);
      const actor = consoleActor(req, w.s);
      return { ...w, accounts: accounts.actingAs(actor), orders: orders.actingAs(actor) };
    };
    const startSession = (req: FastifyRequest, reply: FastifyReply, token: string, to: string) => {
      setCookie(reply, req, SESSION_COOKIE, token);
      return reply.redirect(to, 303);
    };

    // ---- sign-in ----
    app.get('/sign-in', async (req, reply) => {
      const ctx = pageContext(req, reply, 'customer');
      const pre = preSessionToken(req, reply);
      return sendPage(reply, { ...ctx, nav: 'none' }, ctx.t('signIn.title'), <SignInForm ctx={ctx} pre={pre} />);
    });
    app.post('/sign-in', async (req, reply) => {
      const f = formOf(req);
      checkFormOrigin(req, preSessionToken(req, reply));
      try {
        const started = await svc.limiter.attempt(req.ip, () =>
          accounts.signInWithAccessKey(f.AccessKeyId ?? '', f.AccessKeySecret ?? ''),
        );
        return startSession(req, reply, started.token, '/console/');
      } catch (e) {
        if (!isCertError(e) || e.kind === 'internal') throw e;
        const ctx = pageContext(req, reply, 'customer');
        const pre = preSessionToken(req, reply);
        if (e.retryAfterSeconds !== undefined) reply.header('retry-after', String(e.retryAfterSeconds));
        return sendPage(
          reply,
          { ...ctx, nav: 'none' },
          ctx.t('signIn.title'),
          <SignInForm ctx={ctx} pre={pre} err={e} />,
          e.kind === 'throttled' ? 429 : 403,
        );
      }
    });
    // A one-time link opens a page whose button signs in (POST): a mail scanner that follows
    // the link does not use it up.
    app.get('/sign-in/link', async (req, reply) => {
      const ctx = pageContext(req, reply, 'customer');
      const raw = (req.query as Record<string, unknown>).token;
      const token = (typeof raw === 'string' ? raw : '').slice(0, 128);
      const pre = preSessionToken(req, reply);
      return sendPage(
        reply,
        { ...ctx, nav: 'none' },
        ctx.t('signIn.withLink'),
        <form method="post" action="/console/sign-in/link" class="stack">
          <Csrf token={pre} />
          <input type="hidden" name="token" value={token} />
          <p>{ctx.t('signIn.linkExplain')}</p>
          <button type="submit">{ctx.t('signIn.continue')}</button>
        </form>,
      );
    });
    app.post('/sign-in/link', async (req, reply) => {
      checkFormOrigin(req, preSessionToken(req, reply));
      const started = await svc.limiter.attempt(req.ip, () => accounts.signInWithLink(formOf(req).token ?? ''));
      const to =
        started.session.scopeOrderId !== null ? `/console/orders/${started.session.scopeOrderId}` : '/console/';
      return startSession(req, reply, started.token, to);
    });
    app.post('/sign-out', async (req, reply) => {
      const s = sessionOf(req);
      if (s) {
        checkFormOrigin(req, s.csrf);
        const token = (req.headers.cookie ?? '').match(/(?:^|;\s*)cd_session=([A-Za-z0-9]+)/)?.[1];
        if (token) await accounts.endConsoleSession(token);
      }
      setCookie(reply, req, SESSION_COOKIE, '', 0);
      return reply.redirect('/console/sign-in', 303);
    });

    // ---- overview ----
    app.get('/', async (req, reply) => {
      const w = who(req, reply);
      if (!w) return reply;
      const ctx = pageContext(req, reply, 'customer');
      const { t } = ctx;
      const plans = await w.accounts.listPlans(w.accountId);
      const codes = [...new Set(plans.map((p) => p.ProductCode))];
      const states = await Promise.all(codes.map((c) => w.orders.describePackageState(w.accountId, c)));
      const expiring = await w.orders.listUserOrders(w.accountId, {
        orderType: 'CERT',
        status: 'WILLEXPIRED',
        page: 1,
        size: 50,
      });
      const waiting = await w.orders.listUserOrders(w.accountId, {
        orderType: 'CPACK',
        status: 'CHECKING',
        page: 1,
        size: 50,
      });
      const waitingRows =
        waiting.kind === 'orders' ? waiting.orders.filter((o) => o.order.state === 'domain_verify') : [];
      const now = svc.clock.now();
      return sendPage(
        reply,
        ctx,
        t('overview.title'),
        <>
          {w.s.policy !== null && !can(w.s, 'apply') && <p class="notice">{t('signIn.readOnly')}</p>}
          <h2>{t('overview.plans')}</h2>
          {states.length === 0 ? (
            <p>{t('overview.noPlans')}</p>
          ) : (
            <Table
              rows={states}
              rowAttrs={(p) => ({ 'data-product': p.productCode })}
              columns={[
                { head: t('overview.product'), cell: (p) => p.productCode },
                { head: t('overview.total'), field: 'total', cell: (p) => p.totalCount },
                { head: t('overview.used'), field: 'used', cell: (p) => p.usedCount },
                { head: t('overview.issued'), field: 'issued', cell: (p) => p.issuedCount },
              ]}
            />
          )}
          <h2>{t('overview.expiring')}</h2>
          {expiring.kind === 'certificates' && expiring.certificates.length > 0 ? (
            <ul>
              {expiring.certificates.map((c) => (
                <li>
                  {c.orderId !== null ? <a href={`/console/orders/${c.orderId}`}>{c.sans.join(', ')}</a> : c.name} —{' '}
                  {formatDate(c.notAfter)}
                </li>
              ))}
            </ul>
          ) : (
            <p>{t('overview.noExpiring')}</p>
          )}
          <h2>{t('overview.waiting')}</h2>
          {waitingRows.length ? <OrdersTable t={t} rows={waitingRows} now={now} /> : <p>{t('overview.noWaiting')}</p>}
          {can(w.s, 'apply') && (
            <p>
              <a href="/console/apply" data-action="apply">
                {t('nav.apply')}
              </a>
            </p>
          )}
        </>,
      );
    });

    // ---- apply ----
    const productChoices = async (accountId: number) => {
      const codes = [...new Set((await accounts.listPlans(accountId)).map((p) => p.ProductCode))];
      return codes.length ? codes : PRODUCTS.map((p) => p.code);
    };
    app.get('/apply', async (req, reply) => {
      const w = who(req, reply);
      if (!w) return reply;
      requirePermission(w.s, 'apply');
      const ctx = pageContext(req, reply, 'customer');
      const products = await productChoices(w.accountId);
      const values = applyValues({ ProductCode: products[0] ?? DEFAULT_PRODUCT_CODE, ValidateType: 'DNS' });
      return sendPage(reply, ctx, ctx.t('apply.title'), <ApplyForm ctx={ctx} products={products} values={values} />);
    });
    app.post('/apply', async (req, reply) => {
      const w = who(req, reply);
      if (!w) return reply;
      requirePermission(w.s, 'apply');
      const f = formOf(req);
      const values = applyValues(f);
      const ctx = pageContext(req, reply, 'customer');
      const products = await productChoices(w.accountId);
      try {
        const input = applicationInput(values);
        if (f.do === 'check') {
          // The same checks the API makes before anything is written (CSR, key, names, product).
          const c = await checkApplication(input);
          const key = c.csrKey ? c.csrKey.algorithm : ctx.t('apply.keyByCertdesk');
          const checked = ctx.t('apply.checked', { names: c.names.join(', '), key });
          return sendPage(
            reply,
            ctx,
            ctx.t('apply.title'),
            <ApplyForm ctx={ctx} products={products} values={values} checked={checked} />,
          );
        }
        const { orderId } = await w.orders.submitApplication(w.accountId, input);
        return reply.redirect(`/console/orders/${orderId}`, 303);
      } catch (e) {
        if (!isCertError(e) || e.kind === 'internal' || e.kind === 'unavailable') throw e;
        return sendPage(
          reply,
          ctx,
          ctx.t('apply.title'),
          <ApplyForm ctx={ctx} products={products} values={values} err={e} />,
          400,
        );
      }
    });

    // ---- certificates and orders ----
    app.get('/certificates', async (req, reply) => {
      const w = who(req, reply);
      if (!w) return reply;
      const ctx = pageContext(req, reply, 'customer');
      const { t } = ctx;
      const p = listParams(req.query as Record<string, unknown>);
      const r = await w.orders.listUserOrders(w.accountId, {
        orderType: 'CPACK',
        ...(p.status ? { status: p.status } : {}),
        ...(p.keyword ? { keyword: p.keyword } : {}),
        page: p.page,
        size: PAGE_SIZE,
      });
      const rows = r.kind === 'orders' ? r.orders : [];
      const pages = Math.max(1, Math.ceil(r.total / PAGE_SIZE));
      return sendPage(
        reply,
        ctx,
        t('orders.title'),
        <>
          <form method="get" action="/console/certificates" role="search">
            <label for="Status">{t('orders.status')}</label>{' '}
            <select id="Status" name="Status">
              <option value="">—</option>
              {LIST_STATUSES.map((s) => (
                <option value={s} selected={s === p.status}>
                  {t(`status.${s}`)}
                </option>
              ))}
            </select>{' '}
            <label for="Keyword">{t('orders.keyword')}</label>{' '}
            <input id="Keyword" type="text" name="Keyword" value={p.keyword ?? ''} />{' '}
            <button type="submit">{t('orders.filter')}</button>{' '}
            <a href={`/console/certificates.csv${listQuery(p, 1)}`} download>
              {t('orders.csv')}
            </a>
          </form>
          <OrdersTable t={t} rows={rows} now={svc.clock.now()} />
          <nav aria-label={t('orders.page', { page: p.page, pages, total: r.total })}>
            <p>
              {p.page > 1 && <a href={`/console/certificates${listQuery(p, p.page - 1)}`}>{t('orders.prev')}</a>}{' '}
              {t('orders.page', { page: p.page, pages, total: r.total })}{' '}
              {p.page < pages && <a href={`/console/certificates${listQuery(p, p.page + 1)}`}>{t('orders.next')}</a>}
            </p>
          </nav>
        </>,
      );
    });
    app.get('/certificates.csv', async (req, reply) => {
      const w = who(req, reply);
      if (!w) return reply;
      const p = listParams(req.query as Record<string, unknown>);
      const now = svc.clock.now();
      let out = csvLine([
        'OrderId',
        'Domains',
        'ProductCode',
        'Status',
        'NotBefore',
        'NotAfter',
        'Serial',
        'CreatedAt',
      ]);
      const size = 500;
      for (let page = 1; page <= 200; page++) {
        const r = await w.orders.listUserOrders(w.accountId, {
          orderType: 'CPACK',
          ...(p.status ? { status: p.status } : {}),
          ...(p.keyword ? { keyword: p.keyword } : {}),
          page,
          size,
        });
        if (r.kind !== 'orders') break;
        for (const { order, certificate: c } of r.orders) {
          const issued = c?.state === 'issued';
          out += csvLine([
            order.id,
            order.names.join(' '),
            order.productCode,
            orderListStatus(order.state, c, now),
            issued ? new Date(c.notBefore).toISOString() : '',
            issued ? new Date(c.notAfter).toISOString() : '',
            issued ? c.serial : '',
            new Date(order.createdAt).toISOString(),
          ]);
        }
        if (r.orders.length < size) break;
      }
      return reply
        .headers({ 'cache-control': 'no-store', 'content-disposition': 'attachment; filename="certificates.csv"' })
        .type('text/csv; charset=utf-8')
        .send(out);
    });

    // ---- one order ----
    const loadOrder = async (req: FastifyRequest, reply: FastifyReply, orderId: number) => {
      const w = who(req, reply, orderId);
      if (!w) return undefined;
      const view = await w.orders.describeOrder(w.accountId, orderId);
      const issued = view.certificate?.state === 'issued' ? view.certificate : undefined;
      const chain = issued ? chainOf(orders, issued) : [];
      const status = issued ? await svc.certificateStatus(issued) : undefined;
      return { w, view, chain, status };
    };
    app.get('/orders/:id', { schema: { params: OrderPath } }, async (req, reply) => {
      const o = await loadOrder(req, reply, req.params.id);
      if (!o) return reply;
      const ctx = pageContext(req, reply, 'customer');
      return sendPage(
        reply,
        ctx,
        ctx.t('order.title', { id: req.params.id }),
        <OrderPage ctx={ctx} s={o.w.s} view={o.view} chain={o.chain} status={o.status} />,
      );
    });
    app.get('/orders/:id/body', { schema: { params: OrderPath } }, async (req, reply) => {
      const o = await loadOrder(req, reply, req.params.id);
      if (!o) return reply;
      const ctx = pageContext(req, reply, 'customer');
      return sendFragment(reply, <OrderBody ctx={ctx} s={o.w.s} view={o.view} chain={o.chain} status={o.status} />);
    });
    app.get('/orders/:id/check', { schema: { params: OrderPath } }, async (req, reply) => {
      const w = who(req, reply, req.params.id);
      if (!w) return reply;
      const check = await w.orders.liveCheck(w.accountId, req.params.id);
      const ctx = pageContext(req, reply, 'customer');
      if (req.headers['hx-request'] === 'true') return sendFragment(reply, <LiveCheckView t={ctx.t} check={check} />);
      const view = await w.orders.describeOrder(w.accountId, req.params.id);
      return sendPage(
        reply,
        ctx,
        ctx.t('order.title', { id: req.params.id }),
        <OrderPage ctx={ctx} s={w.s} view={view} chain={[]} check={check} />,
      );
    });

    const issuedOf = (o: { view: OrderStateView }) => {
      const c = o.view.certificate;
      if (!c || c.state !== 'issued' || !c.certDer)
        throw new CertError('not_found', `The order ${o.view.order.id} has no certificate yet.`);
      return c as Certificate & { certDer: string };
    };
    const download = (reply: FastifyReply, name: string, type: string, body: string | Buffer) =>
      reply
        .headers({ 'cache-control': 'no-store', 'content-disposition': `attachment; filename="${name}"` })
        .type(type)
        .send(body);
    const PEM_FILES = ['certificate', 'chain', 'fullchain', 'key'] as const;
    for (const file of PEM_FILES) {
      app.get(`/orders/:id/${file}.pem`, { schema: { params: OrderPath } }, async (req, reply) => {
        const o = await loadOrder(req, reply, req.params.id);
        if (!o) return reply;
        const c = issuedOf(o);
        const leaf = pemFromBase64('CERTIFICATE', c.certDer);
        const chain = orders.chainPem(c.issuerId ?? 0);
        let body: string;
        if (file === 'certificate') body = leaf;
        else if (file === 'chain') body = chain;
        else if (file === 'fullchain') body = leaf + chain;
        else {
          if (!o.view.privateKeyDer)
            throw new CertError('not_found', 'certdesk did not make the key of this certificate: it is yours.');
          body = toPem('PRIVATE KEY', o.view.privateKeyDer);
        }
        return download(reply, `${c.serial}-${file}.pem`, 'application/x-pem-file', body);
      });
    }
    app.post('/orders/:id/certificate.p12', { schema: { params: OrderPath } }, async (req, reply) => {
      const o = await loadOrder(req, reply, req.params.id);
      if (!o) return reply;
      const c = issuedOf(o);
      if (!o.view.privateKeyDer)
        throw new CertError('not_found', 'certdesk did not make the key of this certificate: it is yours.');
      const password = formOf(req).Password ?? '';
      if (password.length < 4 || password.length > 128)
        throw new CertError('invalid_parameter', 'The PKCS#12 password must be 4 to 128 characters.');
      const p12 = buildPkcs12({
        certificates: [Buffer.from(c.certDer, 'base64'), ...o.chain.map((x) => x.raw)],
        keyDer: o.view.privateKeyDer,
        password,
        friendlyName: c.commonName || c.sans[0] || c.serial,
      });
      return download(reply, `${c.serial}.p12`, 'application/x-pkcs12', p12);
    });
    app.post('/orders/:id/revoke', { schema: { params: OrderPath } }, async (req, reply) => {
      const w = who(req, reply, req.params.id);
      if (!w) return reply;
      requirePermission(w.s, 'revoke');
      const reason = parseRevocationReason(formOf(req).Reason || 'unspecified');
      await w.orders.revokeOrderCertificate(w.accountId, req.params.id, reason);
      return reply.redirect(`/console/orders/${req.params.id}`, 303);
    });

    // ---- expiry calendar ----
    /** Valid certificates expiring within a year, soonest first. */
    const expiringWithinYear = async (accountId: number) => {
      const now = svc.clock.now();
      const out: Certificate[] = [];
      for (let page = 1; page <= 20; page++) {
        const r = await orders.listUserOrders(accountId, { orderType: 'CERT', page, size: 500 });
        if (r.kind !== 'certificates') break;
        out.push(...r.certificates.filter((c) => c.notAfter <= now + 365 * 86_400_000));
        if (r.certificates.length < 500) break;
      }
      return out.sort((a, b) => a.notAfter - b.notAfter);
    };
    app.get('/calendar', async (req, reply) => {
      const w = who(req, reply);
      if (!w) return reply;
      const ctx = pageContext(req, reply, 'customer');
      const { t } = ctx;
      const certs = await expiringWithinYear(w.accountId);
      const months = new Map<string, Certificate[]>();
      for (const c of certs) {
        const m = new Date(c.notAfter).toISOString().slice(0, 7);
        months.set(m, [...(months.get(m) ?? []), c]);
      }
      const feed = `/console/calendar/${w.accountId}-${feedToken(svc.feedKey, w.accountId)}.ics`;
      return sendPage(
        reply,
        ctx,
        t('calendar.title'),
        <>
          <p>
            <a href={feed} data-field="ics">
              {t('calendar.ics')}
            </a>
          </p>
          {certs.length === 0 && <p>{t('calendar.none')}</p>}
          {[...months].map(([month, list]) => (
            <section aria-label={month}>
              <h2>{month}</h2>
              <ul>
                {list.map((c) => (
                  <li>
                    {formatDate(c.notAfter)} —{' '}
                    {c.orderId !== null ? <a href={`/console/orders/${c.orderId}`}>{c.sans.join(', ')}</a> : c.name}
                  </li>
                ))}
              </ul>
            </section>
          ))}
        </>,
      );
    });
    // The subscription feed: no session (calendar apps carry no cookie), the URL's HMAC instead.
    app.get(
      '/calendar/:feed',
      { schema: { params: Type.Object({ feed: Type.String({ pattern: '^[0-9]{1,15}-[A-Za-z0-9_-]{43}\\.ics$' }) }) } },
      async (req, reply) => {
        const idText = req.params.feed.split('-', 1)[0]!;
        const accountId = Number(idText);
        if (!feedTokenMatches(svc.feedKey, accountId, req.params.feed.slice(idText.length + 1, -4)))
          throw new CertError('not_found', 'No such calendar feed.');
        const body = expiryCalendar(await expiringWithinYear(accountId), svc.clock.now(), req.hostname || 'certdesk');
        return reply.headers({ 'cache-control': 'no-store' }).type('text/calendar; charset=utf-8').send(body);
      },
    );

    // ---- account records (read views through the account use cases) ----
    // ---- contacts and companies: the account use cases, with the API's checks and errors ----
    for (const kind of [contactRecords, companyRecords] as Array<RecordKind<{ id: number }>>) {
      const base = `/console/${kind.path}`;
      const listPage = async (
        req: FastifyRequest,
        reply: FastifyReply,
        w: Who,
        form?: { values: Form; editing?: number; err: CertError },
      ) => {
        const ctx = pageContext(req, reply, 'customer');
        const { t } = ctx;
        const rows = await kind.list(w);
        const editing = form?.editing ?? Number((req.query as Record<string, unknown>).edit ?? 0);
        const edited = rows.find((r) => r.id === editing);
        const values = form?.values ?? (edited ? kind.values(edited) : {});
        const mayEdit = can(w.s, kind.needs.update);
        const mayDelete = can(w.s, kind.needs.delete);
        const showForm = edited ? mayEdit : can(w.s, kind.needs.create);
        return sendPage(
          reply,
          ctx,
          t(kind.title),
          <>
            <ErrorBox err={form?.err} />
            <Table
              rows={rows}
              empty={t(kind.none)}
              rowAttrs={(r) => ({ 'data-record': r.id })}
              columns={[
                ...kind.columns(t),
                ...(mayEdit || mayDelete
                  ? [
                      {
                        head: t('common.actions'),
                        cell: (r: { id: number }) => (
                          <>
                            {mayEdit && (
                              <a href={`${base}?edit=${r.id}#record-form`} data-action="edit">
                                {t('records.edit')}
                              </a>
                            )}{' '}
                            {mayDelete && (
                              <PostButton
                                csrf={ctx.csrf}
                                action={`${base}/${r.id}/delete`}
                                label={t('records.delete')}
                              />
                            )}
                          </>
                        ),
                      },
                    ]
                  : []),
              ]}
            />
            {showForm && (
              <form
                id="record-form"
                method="post"
                action={edited ? `${base}/${edited.id}` : base}
                class="stack"
                aria-labelledby="record-form-h"
              >
                <Csrf token={ctx.csrf} />
                <h2 id="record-form-h">{edited ? t('records.edit') : t('records.add')}</h2>
                {kind.fields.map((f) => (
                  <>
                    <label for={`f-${f.name}`}>{t(f.label)}</label>
                    {f.type === 'textarea' ? (
                      <textarea id={`f-${f.name}`} name={f.name} rows={3}>
                        {values[f.name] ?? ''}
                      </textarea>
                    ) : (
                      <input
                        id={`f-${f.name}`}
                        type={(f.type ?? 'text') as 'text'}
                        name={f.name}
                        value={values[f.name] ?? ''}
                        required={f.required}
                      />
                    )}
                  </>
                ))}
                <button type="submit">{edited ? t('records.save') : t('records.add')}</button>
              </form>
            )}
          </>,
          form ? consoleStatus(form.err) : 200,
        );
      };
      /** Runs a change; a refusal shows the form again with what was typed and the error. */
      const change = async (
        req: FastifyRequest,
        reply: FastifyReply,
        w: Who,
        editing: number | undefined,
        fn: () => Promise<unknown>,
      ) => {
        try {
          await fn();
        } catch (e) {
          if (!isCertError(e) || e.kind === 'internal' || e.kind === 'unavailable' || e.kind === 'not_found') throw e;
          return listPage(req, reply, w, { values: formOf(req), err: e, ...(editing ? { editing } : {}) });
        }
        return reply.redirect(base, 303);
      };
      app.get(`/${kind.path}`, async (req, reply) => {
        const w = who(req, reply);
        return w ? listPage(req, reply, w) : reply;
      });
      app.post(`/${kind.path}`, async (req, reply) => {
        const w = who(req, reply)!;
        requirePermission(w.s, kind.needs.create);
        return change(req, reply, w, undefined, () => kind.add(w, formOf(req)));
      });
      app.post(`/${kind.path}/:id`, { schema: { params: OrderPath } }, async (req, reply) => {
        const w = who(req, reply)!;
        requirePermission(w.s, kind.needs.update);
        return change(req, reply, w, req.params.id, () => kind.update(w, req.params.id, formOf(req)));
      });
      app.post(`/${kind.path}/:id/delete`, { schema: { params: OrderPath } }, async (req, reply) => {
        const w = who(req, reply)!;
        requirePermission(w.s, kind.needs.delete);
        await kind.remove(w, req.params.id);
        return reply.redirect(base, 303);
      });
    }

    // ---- webhooks: the contacts' targets, a test notice through the outbox, the last deliveries ----
    const webhooksPage = async (req: FastifyRequest, reply: FastifyReply, w: Who, queued?: number) => {
      const ctx = pageContext(req, reply, 'customer');
      const { t } = ctx;
      const targets = await svc.webhooks.targets(w.accountId);
      const recent = await svc.webhooks.recent(w.accountId);
      const mayTest = can(w.s, 'testNotice');
      return sendPage(
        reply,
        ctx,
        t('webhooks.title'),
        <>
          {queued !== undefined && (
            <p class="notice" role="status">
              {t('webhooks.queued', { id: queued })}
            </p>
          )}
          {targets.length === 0 ? (
            <p>
              {t('webhooks.none')} <a href="/console/contacts">{t('nav.contacts')}</a>
            </p>
          ) : (
            <Table
              rows={targets}
              rowAttrs={(u) => ({ 'data-target': u })}
              columns={[
                { head: t('webhooks.url'), mono: true, cell: (u) => u },
                ...(mayTest
                  ? [
                      {
                        head: t('common.actions'),
                        cell: (u: string) => (
                          <form method="post" action="/console/webhooks/test" class="inline">
                            <Csrf token={ctx.csrf} />
                            <input type="hidden" name="Url" value={u} />
                            <button type="submit">{t('webhooks.test')}</button>
                          </form>
                        ),
                      },
                    ]
                  : []),
              ]}
            />
          )}
          <h2>{t('webhooks.deliveries')}</h2>
          <Table
            rows={recent}
            empty={t('webhooks.noDeliveries')}
            rowAttrs={(n) => ({ 'data-notice': n.id })}
            columns={[
              { head: 'Id', cell: (n) => n.id },
              { head: t('webhooks.event'), field: 'event', cell: (n) => n.event },
              { head: t('webhooks.url'), mono: true, cell: (n) => n.target },
              { head: t('orders.status'), field: 'status', cell: (n) => n.status },
              { head: t('webhooks.attempts'), cell: (n) => n.attempts },
              { head: t('order.lastError'), cell: (n) => n.last_error ?? '' },
              { head: t('orders.created'), cell: (n) => formatTime(n.created_at) },
              { head: t('webhooks.sentAt'), cell: (n) => formatTime(n.sent_at) },
            ]}
          />
        </>,
      );
    };
    app.get('/webhooks', async (req, reply) => {
      const w = who(req, reply);
      const q = (req.query as Record<string, unknown>).queued;
      const queued = typeof q === 'string' && /^\d{1,15}$/.test(q) ? Number(q) : 0;
      return w ? webhooksPage(req, reply, w, queued > 0 ? queued : undefined) : reply;
    });
    app.post('/webhooks/test', async (req, reply) => {
      const w = who(req, reply)!;
      requirePermission(w.s, 'testNotice');
      const id = await svc.webhooks.queueTest(w.accountId, (formOf(req).Url ?? '').slice(0, 2048));
      // Post/Redirect/Get: reloading the page does not queue another notice.
      return reply.redirect(`/console/webhooks?queued=${id}`, 303);
    });

    // ---- AccessKeys of the account ----
    const keysPage = async (
      req: FastifyRequest,
      reply: FastifyReply,
      w: Who,
      msg: { err?: CertError; text?: string } = {},
      status = 200,
    ) => {
      const ctx = pageContext(req, reply, 'customer');
      const { t } = ctx;
      const keys = await w.accounts.listAccessKeys(w.accountId);
      const manage = can(w.s, 'updateKey') || can(w.s, 'deleteKey');
      return sendPage(
        reply,
        ctx,
        t('keys.title'),
        <>
          <ErrorBox err={msg.err} />
          {msg.text && (
            <p class="notice" role="status">
              {msg.text}
            </p>
          )}
          <Table
            rows={keys}
            rowAttrs={(k) => ({ 'data-key': k.accessKeyId })}
            columns={[
              { head: 'AccessKeyId', mono: true, cell: (k) => k.accessKeyId },
              {
                head: t('orders.status'),
                field: 'status',
                cell: (k) => (
                  <>
                    {k.enabled ? t('keys.enabled') : t('keys.disabled')}
                    {k.accessKeyId === w.s.accessKeyId && ` ${t('keys.current')}`}
                  </>
                ),
              },
              { head: t('keys.policy'), cell: (k) => (k.policy ? k.policy.join(', ') : t('keys.everything')) },
              { head: t('orders.created'), cell: (k) => formatDate(k.createdAt) },
              ...(manage
                ? [
                    {
                      head: t('common.actions'),
                      cell: (k: AccessKeyInfo) => (
                        <>
                          {can(w.s, 'updateKey') && (
                            <PostButton
                              csrf={ctx.csrf}
                              action={`/console/keys/${k.accessKeyId}/${k.enabled ? 'disable' : 'enable'}`}
                              label={k.enabled ? t('keys.disable') : t('keys.enable')}
                            />
                          )}{' '}
                          {can(w.s, 'deleteKey') && (
                            <PostButton
                              csrf={ctx.csrf}
                              action={`/console/keys/${k.accessKeyId}/delete`}
                              label={t('keys.delete')}
                            />
                          )}
                        </>
                      ),
                    },
                  ]
                : []),
            ]}
          />
          {can(w.s, 'createKey') && (
            <form method="post" action="/console/keys" class="stack">
              <Csrf token={ctx.csrf} />
              <h2>{t('keys.create')}</h2>
              <label for="Policy">{t('keys.createPolicy')}</label>
              <input id="Policy" type="text" name="Policy" maxLength={2048} />
              <button type="submit">{t('keys.create')}</button>
            </form>
          )}
        </>,
        status,
      );
    };
    /** A key of the session's account (another account's key is not found, whatever its id). */
    const ownKey = async (w: Who, accessKeyId: string): Promise<AccessKeyInfo> => {
      const key = (await w.accounts.listAccessKeys(w.accountId)).find((k) => k.accessKeyId === accessKeyId);
      if (!key) throw new CertError('not_found', 'No such AccessKey.');
      return key;
    };
    app.get('/keys', async (req, reply) => {
      const w = who(req, reply);
      return w ? keysPage(req, reply, w) : reply;
    });
    app.post('/keys', async (req, reply) => {
      const w = who(req, reply)!;
      requirePermission(w.s, 'createKey');
      const ctx = pageContext(req, reply, 'customer');
      const { t } = ctx;
      const policyText = (formOf(req).Policy ?? '').trim();
      let made;
      try {
        const policy = policyText === '' ? null : parseActionPolicy(policyText);
        requireCovered(w.s, policy);
        made = await w.accounts.createAccessKey(w.accountId, policy === null ? undefined : policyText);
      } catch (e) {
        if (!isCertError(e) || e.kind === 'internal' || e.kind === 'unavailable') throw e;
        return keysPage(req, reply, w, { err: e }, consoleStatus(e));
      }
      // The secret leaves certdesk on this page only (no-store, like every console page); it is
      // neither logged nor audited (accounts/access-keys.ts records the id).
      return sendPage(
        reply,
        ctx,
        t('keys.created'),
        <>
          <p class="notice" role="status">
            {t('keys.secretOnce')}
          </p>
          <dl class="facts">
            <dt>AccessKeyId</dt>
            <dd class="mono" data-field="new-key-id">
              {made.AccessKeyId}
            </dd>
            <dt>AccessKeySecret</dt>
            <dd class="mono" data-field="new-key-secret">
              {made.AccessKeySecret}
            </dd>
          </dl>
          <p>
            <a href="/console/keys">{t('keys.back')}</a>
          </p>
        </>,
      );
    });
    for (const [verb, what] of [
      ['enable', 'updateKey'],
      ['disable', 'updateKey'],
      ['delete', 'deleteKey'],
    ] as const) {
      app.post(
        `/keys/:key/${verb}`,
        { schema: { params: Type.Object({ key: Type.String({ pattern: '^[A-Za-z0-9]{1,64}$' }) }) } },
        async (req, reply) => {
          const w = who(req, reply)!;
          requirePermission(w.s, what);
          const key = await ownKey(w, req.params.key);
          // Turning a key back on gives its powers again: only to a session that holds them itself.
          if (verb === 'enable') requireCovered(w.s, key.policy);
          if (verb === 'delete') await w.accounts.deleteAccessKey(key.accessKeyId);
          else await w.accounts.setAccessKeyEnabled(key.accessKeyId, verb === 'enable');
          // Disabling or deleting the session's own key ends the session (accounts/console-sessions.ts).
          if (verb !== 'enable' && key.accessKeyId === w.s.accessKeyId) return reply.redirect('/console/sign-in', 303);
          return reply.redirect('/console/keys', 303);
        },
      );
    }
  };
}
