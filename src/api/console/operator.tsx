// The operator console at /console/ on the operator listener: the OV review queue, accounts
// (plans granted, sign-in links made), revocation by serial with an RFC 5280 §5.3.1 reason,
// CA status and jobs. Operators sign in with the admin token (compared in constant time);
// changes go through the same bound use cases as the operator API (src/api/admin/routes.ts).
import { createHash, timingSafeEqual, X509Certificate } from 'node:crypto';
import Type from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CertError, isCertError } from '../../domain/errors.js';
import type { Clock, Logger } from '../../domain/ports.js';
import { REVOCATION_REASONS, parseRevocationReason } from '../../domain/revocation.js';
import { PRODUCTS, findProduct } from '../../policy/products.js';
import type { AccountService } from '../../accounts/service.js';
import type { OrderEngine } from '../../orders/engine.js';
import type { OperatorConsoleReadView } from '../../store/views.js';
import type { EabService } from '../../orders/acme/eab.js';
import { JOB_OCSP_REFRESH } from '../../status/ocsp-responses.js';
import { Table } from './table.js';
import { checkFormOrigin, formOf, preSessionToken, SESSION_COOKIE, setCookie, type SignInLimiter } from './http.js';
import { Csrf, formatDate, formatTime, sendPage, type PageContext } from './layout.js';
import { consoleActor, installShell, pageContext, sessionOf, type ConsoleAssets } from './shell.js';
import { CAS_ERROR_CODES } from '../cas/error-codes.js';

export interface OperatorConsoleServices {
  token: string;
  accounts: AccountService;
  orders: OrderEngine;
  store: OperatorConsoleReadView;
  clock: Clock;
  logger: Logger;
  limiter: SignInLimiter;
  assets: ConsoleAssets;
  /** ACME external account binding credentials (orders/acme/eab.ts). */
  eab: EabService;
  /** The customer console's sign-in link for a link token. */
  linkUrl(token: string): string;
}

const Id = Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER });
const IdPath = Type.Object({ id: Id });

function tokenMatches(expected: string, given: string): boolean {
  const a = createHash('sha256').update(expected).digest();
  const b = createHash('sha256').update(given).digest();
  return timingSafeEqual(a, b);
}

/** The use cases one operator request calls, acting as that operator. */
interface Acting {
  accounts: AccountService;
  orders: OrderEngine;
  eab: EabService;
}

/** A plain value of an audit entry's detail, as text. */
function detailText(v: unknown): string {
  return typeof v === 'string' || typeof v === 'number' ? String(v) : '';
}

function Message({ text, err }: { text?: string; err?: CertError }) {
  if (err)
    return (
      <div class="error" role="alert">
        {err.message} (<code>{CAS_ERROR_CODES[err.kind].code}</code>)
      </div>
    );
  return text ? (
    <div class="notice" role="status">
      {text}
    </div>
  ) : null;
}

export function operatorConsolePlugin(svc: OperatorConsoleServices): FastifyPluginAsyncTypebox {
  const { accounts, orders } = svc;
  return async (app) => {
    await installShell(app, {
      name: 'operator',
      logger: svc.logger,
      assets: svc.assets,
      kind: 'operator',
      resolveSession: (token) => accounts.resolveConsoleSession(token),
    });
    /** The signed-in operator's use cases (audited as the operator), or a redirect (GET) / a refusal (POST). */
    const who = (req: FastifyRequest, reply: FastifyReply): Acting | undefined => {
      const s = sessionOf(req);
      if (!s) {
        if (req.method === 'GET') {
          void reply.redirect('/console/sign-in', 303);
          return undefined;
        }
        throw new CertError('unauthorized', 'Sign in to the operator console first.');
      }
      if (req.method === 'POST') checkFormOrigin(req, s.csrf);
      const actor = consoleActor(req, s);
      return { accounts: accounts.actingAs(actor), orders: orders.actingAs(actor), eab: svc.eab.actingAs(actor) };
    };
    /** A POST's acting use cases: `who` throws rather than redirects for a POST. */
    const acting = (req: FastifyRequest, reply: FastifyReply): Acting => who(req, reply)!;

    app.get('/sign-in', async (req, reply) => {
      const ctx = pageContext(req, reply, 'operator');
      const pre = preSessionToken(req, reply);
      return sendPage(
        reply,
        { ...ctx, nav: 'none' },
        ctx.t('signIn.title'),
        <form method="post" action="/console/sign-in" class="stack">
          <Csrf token={pre} />
          <label for="tok">{ctx.t('signIn.operatorToken')}</label>
          <input id="tok" type="password" name="Token" autocomplete="current-password" required />
          <button type="submit">{ctx.t('signIn.submit')}</button>
        </form>,
      );
    });
    app.post('/sign-in', async (req, reply) => {
      checkFormOrigin(req, preSessionToken(req, reply));
      const started = await svc.limiter.attempt(req.ip, async () => {
        if (!tokenMatches(svc.token, formOf(req).Token ?? ''))
          throw new CertError('unauthorized', 'A valid operator token is required.');
        return accounts.startOperatorSession();
      });
      setCookie(reply, req, SESSION_COOKIE, started.token);
      return reply.redirect('/console/', 303);
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

    // ---- OV review queue ----
    const reviewPage = async (req: FastifyRequest, reply: FastifyReply, msg: { text?: string; err?: CertError }) => {
      const ctx = pageContext(req, reply, 'operator');
      const { t } = ctx;
      const waiting = (await orders.listOrdersForOperator({ state: 'process' })).filter(
        (o) => o.approvedAt === null && findProduct(o.productCode)?.requiresReview === true,
      );
      return sendPage(
        reply,
        ctx,
        t('op.review.title'),
        <>
          <Message {...msg} />
          {waiting.length === 0 ? (
            <p>{t('op.review.none')}</p>
          ) : (
            <table>
              <thead>
                <tr>
                  <th scope="col">{t('orders.id')}</th>
                  <th scope="col">{t('op.review.account')}</th>
                  <th scope="col">{t('orders.domains')}</th>
                  <th scope="col">{t('op.review.company')}</th>
                  <th scope="col">{t('common.actions')}</th>
                </tr>
              </thead>
              <tbody>
                {waiting.map((o) => (
                  <tr data-order={o.id}>
                    <td>{o.id}</td>
                    <td>{o.accountId}</td>
                    <td>{o.names.join(', ')}</td>
                    <td>
                      {o.company
                        ? `${o.company.name}, ${o.company.city || o.company.province}, ${o.company.country}`
                        : ''}
                    </td>
                    <td>
                      <form method="post" action={`/console/orders/${o.id}/approve`} class="inline">
                        <Csrf token={ctx.csrf} />
                        <button type="submit">{t('op.review.approve')}</button>
                      </form>
                      <form method="post" action={`/console/orders/${o.id}/reject`}>
                        <Csrf token={ctx.csrf} />
                        <label for={`reason-${o.id}`}>{t('op.review.reason')}</label>{' '}
                        <input id={`reason-${o.id}`} type="text" name="Reason" required maxLength={500} />{' '}
                        <button type="submit">{t('op.review.reject')}</button>
                      </form>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>,
      );
    };
    app.get('/', async (req, reply) => (who(req, reply) ? reviewPage(req, reply, {}) : reply));
    app.post('/orders/:id/approve', { schema: { params: IdPath } }, async (req, reply) => {
      await acting(req, reply).orders.approveOrder(req.params.id);
      return reviewPage(req, reply, { text: pageContext(req, reply, 'operator').t('op.done') });
    });
    app.post('/orders/:id/reject', { schema: { params: IdPath } }, async (req, reply) => {
      const op = acting(req, reply);
      try {
        await op.orders.rejectOrder(req.params.id, formOf(req).Reason ?? '');
        return await reviewPage(req, reply, { text: pageContext(req, reply, 'operator').t('op.done') });
      } catch (e) {
        if (!isCertError(e) || e.kind === 'internal') throw e;
        reply.code(400);
        return reviewPage(req, reply, { err: e });
      }
    });

    // ---- accounts and plans ----
    const accountsPage = async (
      req: FastifyRequest,
      reply: FastifyReply,
      msg: { text?: string; err?: CertError },
      status = 200,
    ) => {
      const ctx: PageContext = pageContext(req, reply, 'operator');
      const { t } = ctx;
      const list = await accounts.listAccounts();
      const plans = await Promise.all(list.map((a) => accounts.listPlans(a.AccountId)));
      return sendPage(
        reply,
        ctx,
        t('op.accounts.title'),
        <>
          <Message {...msg} />
          <table>
            <thead>
              <tr>
                <th scope="col">Id</th>
                <th scope="col">{t('common.name')}</th>
                <th scope="col">{t('overview.plans')}</th>
                <th scope="col">{t('common.actions')}</th>
              </tr>
            </thead>
            <tbody>
              {list.map((a, i) => (
                <tr data-account={a.AccountId}>
                  <td>
                    <a href={`/console/accounts/${a.AccountId}`}>{a.AccountId}</a>
                  </td>
                  <td>{a.Name}</td>
                  <td>
                    <ul>
                      {(plans[i] ?? []).map((p) => (
                        <li>
                          {p.ProductCode} × {p.TotalCount} ({formatDate(p.CreatedAt)}
                          {p.ExpiresAt ? ` – ${formatDate(p.ExpiresAt)}` : ''})
                        </li>
                      ))}
                    </ul>
                  </td>
                  <td>
                    <form method="post" action={`/console/accounts/${a.AccountId}/plans`}>
                      <Csrf token={ctx.csrf} />
                      <label for={`pc-${a.AccountId}`}>{t('apply.product')}</label>{' '}
                      <select id={`pc-${a.AccountId}`} name="ProductCode">
                        {PRODUCTS.map((p) => (
                          <option value={p.code}>{p.code}</option>
                        ))}
                      </select>{' '}
                      <label for={`n-${a.AccountId}`}>{t('op.accounts.count')}</label>{' '}
                      <input id={`n-${a.AccountId}`} type="text" name="Count" value="10" size={4} />{' '}
                      <button type="submit">{t('op.accounts.grant')}</button>
                    </form>
                    <form method="post" action={`/console/accounts/${a.AccountId}/link`}>
                      <Csrf token={ctx.csrf} />
                      <button type="submit">{t('op.accounts.link')}</button>
                    </form>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>,
        status,
      );
    };
    app.get('/accounts', async (req, reply) => (who(req, reply) ? accountsPage(req, reply, {}) : reply));
    app.post('/accounts/:id/plans', { schema: { params: IdPath } }, async (req, reply) => {
      const op = acting(req, reply);
      const f = formOf(req);
      try {
        const count = /^\d{1,7}$/.test(f.Count ?? '') ? Number(f.Count) : NaN;
        await op.accounts.grantPlan({
          accountId: req.params.id,
          productCode: f.ProductCode ?? '',
          count,
          expiresAt: null,
        });
        return await accountsPage(req, reply, { text: pageContext(req, reply, 'operator').t('op.done') });
      } catch (e) {
        if (!isCertError(e) || e.kind === 'internal') throw e;
        return accountsPage(req, reply, { err: e }, 400);
      }
    });
    app.post('/accounts/:id/link', { schema: { params: IdPath } }, async (req, reply) => {
      const link = await acting(req, reply).accounts.createConsoleLink(req.params.id);
      const t = pageContext(req, reply, 'operator').t;
      return accountsPage(req, reply, { text: t('op.accounts.linkMade', { url: svc.linkUrl(link.token) }) });
    });

    // ---- one account: plans granted (with who granted them), keys, contacts, EAB credentials ----
    const accountPage = async (
      req: FastifyRequest,
      reply: FastifyReply,
      accountId: number,
      msg: { text?: string; err?: CertError; secret?: { keyId: string; hmac: string } },
      status = 200,
    ) => {
      const ctx = pageContext(req, reply, 'operator');
      const { t } = ctx;
      await accounts.requireAccount(accountId);
      const [keys, contacts, companies, grants, eab] = await Promise.all([
        accounts.listAccessKeys(accountId),
        accounts.listContacts(accountId, { page: 1, pageSize: 200 }),
        accounts.listCompanies(accountId),
        svc.store.repos.audit.list({ accountId, kind: 'plan.granted', limit: 200 }),
        svc.eab.listEabKeys(accountId),
      ]);
      const base = `/console/accounts/${accountId}`;
      const button = (action: string, label: string) => (
        <form method="post" action={action} class="inline">
          <Csrf token={ctx.csrf} />
          <button type="submit">{label}</button>
        </form>
      );
      return sendPage(
        reply,
        ctx,
        t('op.account.title', { id: accountId }),
        <>
          <Message {...msg} />
          {msg.secret && (
            <dl class="facts">
              <dt>KeyId</dt>
              <dd class="mono" data-field="eab-key-id">
                {msg.secret.keyId}
              </dd>
              <dt>HmacKey</dt>
              <dd class="mono" data-field="eab-hmac">
                {msg.secret.hmac}
              </dd>
            </dl>
          )}
          <h2>{t('op.account.grants')}</h2>
          <Table
            rows={grants}
            empty={t('overview.noPlans')}
            columns={[
              { head: t('orders.created'), cell: (e) => formatTime(e.at) },
              { head: t('apply.product'), cell: (e) => detailText(e.detail.productCode) },
              { head: t('op.accounts.count'), field: 'count', cell: (e) => detailText(e.detail.count) },
              {
                head: t('op.account.grantedBy'),
                field: 'actor',
                cell: (e) => [e.actor.kind, e.actor.id].filter(Boolean).join(':'),
              },
            ]}
          />
          <h2>{t('nav.keys')}</h2>
          <Table
            rows={keys}
            rowAttrs={(k) => ({ 'data-key': k.accessKeyId })}
            columns={[
              { head: 'AccessKeyId', mono: true, cell: (k) => k.accessKeyId },
              {
                head: t('orders.status'),
                field: 'status',
                cell: (k) => (k.enabled ? t('keys.enabled') : t('keys.disabled')),
              },
              { head: t('keys.policy'), cell: (k) => (k.policy ? k.policy.join(', ') : t('keys.everything')) },
              {
                head: t('common.actions'),
                cell: (k) =>
                  button(
                    `${base}/keys/${k.accessKeyId}/${k.enabled ? 'disable' : 'enable'}`,
                    k.enabled ? t('keys.disable') : t('keys.enable'),
                  ),
              },
            ]}
          />
          <h2>{t('nav.contacts')}</h2>
          <Table
            rows={contacts.rows}
            empty={t('contacts.none')}
            columns={[
              { head: t('common.name'), cell: (c) => c.name },
              { head: t('common.email'), cell: (c) => c.email },
              { head: t('common.mobile'), cell: (c) => c.mobile },
            ]}
          />
          <h2>{t('nav.companies')}</h2>
          <Table
            rows={companies}
            empty={t('companies.none')}
            columns={[
              { head: t('common.name'), cell: (c) => c.name },
              { head: t('common.country'), cell: (c) => c.country },
              { head: t('common.city'), cell: (c) => c.city },
            ]}
          />
          <h2>{t('op.eab.title')}</h2>
          <Table
            rows={eab}
            empty={t('op.eab.none')}
            rowAttrs={(k) => ({ 'data-eab': k.KeyId })}
            columns={[
              { head: 'KeyId', mono: true, cell: (k) => k.KeyId },
              { head: t('apply.product'), cell: (k) => k.ProductCode },
              { head: t('op.eab.used'), cell: (k) => `${k.UsedAccounts} / ${k.MaxAccounts}` },
              {
                head: t('orders.status'),
                field: 'status',
                cell: (k) => (k.Revoked ? t('op.eab.revoked') : t('keys.enabled')),
              },
              {
                head: t('common.actions'),
                cell: (k) => !k.Revoked && button(`${base}/eab/${k.KeyId}/revoke`, t('op.eab.revoke')),
              },
            ]}
          />
          <form method="post" action={`${base}/eab`} class="stack">
            <Csrf token={ctx.csrf} />
            <h3>{t('op.eab.create')}</h3>
            <label for="eab-product">{t('apply.product')}</label>
            <select id="eab-product" name="ProductCode">
              {PRODUCTS.filter((p) => !p.requiresReview).map((p) => (
                <option value={p.code}>{p.code}</option>
              ))}
            </select>
            <label for="eab-max">{t('op.eab.maxAccounts')}</label>
            <input id="eab-max" type="text" name="MaxAccounts" value="1" />
            <button type="submit">{t('op.eab.create')}</button>
          </form>
        </>,
        status,
      );
    };
    app.get('/accounts/:id', { schema: { params: IdPath } }, async (req, reply) =>
      who(req, reply) ? accountPage(req, reply, req.params.id, {}) : reply,
    );
    const KeyPath = Type.Object({ id: Id, key: Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' }) });
    for (const verb of ['enable', 'disable'] as const)
      app.post(`/accounts/:id/keys/:key/${verb}`, { schema: { params: KeyPath } }, async (req, reply) => {
        const op = acting(req, reply);
        const key = (await op.accounts.listAccessKeys(req.params.id)).find((k) => k.accessKeyId === req.params.key);
        if (!key) throw new CertError('not_found', 'No such AccessKey.');
        await op.accounts.setAccessKeyEnabled(key.accessKeyId, verb === 'enable');
        return reply.redirect(`/console/accounts/${req.params.id}`, 303);
      });
    app.post('/accounts/:id/eab', { schema: { params: IdPath } }, async (req, reply) => {
      const op = acting(req, reply);
      const f = formOf(req);
      try {
        const made = await op.eab.createEabKey({
          accountId: req.params.id,
          productCode: f.ProductCode ?? '',
          maxAccounts: /^\d{1,7}$/.test(f.MaxAccounts ?? '') ? Number(f.MaxAccounts) : NaN,
        });
        // The MAC key leaves certdesk on this page only (no-store), never logged.
        const t = pageContext(req, reply, 'operator').t;
        return await accountPage(req, reply, req.params.id, {
          text: t('op.eab.once'),
          secret: { keyId: made.KeyId, hmac: made.HmacKey },
        });
      } catch (e) {
        if (!isCertError(e) || e.kind === 'internal' || e.kind === 'not_found') throw e;
        return accountPage(req, reply, req.params.id, { err: e }, 400);
      }
    });
    app.post('/accounts/:id/eab/:key/revoke', { schema: { params: KeyPath } }, async (req, reply) => {
      const op = acting(req, reply);
      if (!(await op.eab.listEabKeys(req.params.id)).some((k) => k.KeyId === req.params.key))
        throw new CertError('not_found', 'No such EAB key.');
      await op.eab.revokeEabKey(req.params.key);
      return reply.redirect(`/console/accounts/${req.params.id}`, 303);
    });

    // ---- revocation by serial ----
    const revokePage = (
      req: FastifyRequest,
      reply: FastifyReply,
      msg: { text?: string; err?: CertError },
      status = 200,
    ) => {
      const ctx = pageContext(req, reply, 'operator');
      const { t } = ctx;
      return sendPage(
        reply,
        ctx,
        t('op.revoke.title'),
        <>
          <Message {...msg} />
          <form method="post" action="/console/revoke" class="stack">
            <Csrf token={ctx.csrf} />
            <label for="serial">{t('op.revoke.serial')}</label>
            <input id="serial" type="text" name="Serial" required />
            <label for="reason">{t('order.revokeReason')}</label>
            <select id="reason" name="Reason">
              {Object.keys(REVOCATION_REASONS).map((r) => (
                <option value={r}>{t(`reason.${r as keyof typeof REVOCATION_REASONS}`)}</option>
              ))}
            </select>
            <button type="submit">{t('order.revokeConfirm')}</button>
          </form>
        </>,
        status,
      );
    };
    app.get('/revoke', async (req, reply) => (who(req, reply) ? revokePage(req, reply, {}) : reply));
    app.post('/revoke', async (req, reply) => {
      const op = acting(req, reply);
      const f = formOf(req);
      try {
        await op.orders.revokeBySerial(f.Serial ?? '', parseRevocationReason(f.Reason || 'unspecified'));
        const t = pageContext(req, reply, 'operator').t;
        return revokePage(req, reply, { text: t('op.revoke.done', { serial: (f.Serial ?? '').slice(0, 64) }) });
      } catch (e) {
        if (!isCertError(e) || e.kind === 'internal') throw e;
        return revokePage(req, reply, { err: e }, 400);
      }
    });

    // ---- CA status and jobs ----
    app.get('/ca', async (req, reply) => {
      if (!who(req, reply)) return reply;
      const ctx = pageContext(req, reply, 'operator');
      const { t } = ctx;
      const issuers = await svc.store.repos.issuers.listActive();
      const rows = await Promise.all(
        issuers.map(async (i) => ({
          i,
          x: new X509Certificate(Buffer.from(i.cert_der, 'base64')),
          crl: i.role === 'issuing' ? await svc.store.repos.crls.header(i.id, -1) : undefined,
          ocsp: i.role === 'issuing' ? await svc.store.repos.ocspResponses.freshness(i.id) : undefined,
          refresh: i.role === 'issuing' ? await svc.store.repos.jobs.find(JOB_OCSP_REFRESH, i.id) : undefined,
        })),
      );
      return sendPage(
        reply,
        ctx,
        t('op.ca.title'),
        <Table
          caption={t('op.ca.issuers')}
          rows={rows}
          rowAttrs={({ i }) => ({ 'data-issuer': i.id })}
          columns={[
            { head: t('common.name'), cell: ({ i }) => i.name },
            { head: 'Role', cell: ({ i }) => i.role },
            { head: 'Algorithm', cell: ({ i }) => i.algorithm },
            { head: t('order.validity'), cell: ({ x }) => `${x.validFrom} – ${x.validTo}` },
            {
              head: 'CRL',
              cell: ({ crl }) =>
                crl
                  ? `#${crl.crl_number}: ${formatTime(Number(crl.this_update))} → ${formatTime(Number(crl.next_update))}`
                  : '',
            },
            {
              head: t('op.ca.ocsp'),
              field: 'ocsp',
              cell: ({ ocsp, refresh }) =>
                ocsp && (
                  <>
                    {t('op.ca.ocspCount', { n: ocsp.count })}
                    {ocsp.oldestThisUpdate !== null &&
                      ` · ${t('op.ca.ocspOldest', { at: formatTime(ocsp.oldestThisUpdate) })}`}
                    {refresh && ` · ${t('op.ca.ocspNext', { at: formatTime(Number(refresh.run_at)) })}`}
                  </>
                ),
            },
          ]}
        />,
      );
    });
    app.get('/jobs', async (req, reply) => {
      if (!who(req, reply)) return reply;
      const ctx = pageContext(req, reply, 'operator');
      const { t } = ctx;
      const stats = await svc.store.repos.stats.read(svc.clock.now());
      return sendPage(
        reply,
        ctx,
        t('op.jobs.title'),
        <>
          <Table
            rows={stats.jobs}
            columns={[
              { head: t('op.jobs.kind'), cell: (j) => j.kind },
              { head: 'due', cell: (j) => j.due },
              { head: 'leased', cell: (j) => j.leased },
              { head: 'scheduled', cell: (j) => j.scheduled },
            ]}
          />
          <h2>{t('orders.status')}</h2>
          <Table
            rows={[...stats.orders]}
            columns={[
              { head: t('op.jobs.state'), cell: ([state]) => state },
              { head: t('op.jobs.count'), cell: ([, n]) => n },
            ]}
          />
        </>,
      );
    });
  };
}
