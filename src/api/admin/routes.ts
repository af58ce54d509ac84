// Operator endpoints: a TypeBox schema on every route (fastify validates before the handler
// runs; src/api/edge/errors.ts turns a refusal into MissingParameter / InvalidParameter),
// then one call into a use case.
import Type from 'typebox';
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { CertError } from '../../domain/errors.js';
import type { AccountService } from '../../accounts/service.js';
import type { OrderEngine } from '../../orders/engine.js';
import type { EabService } from '../../orders/acme/eab.js';
import type { OperatorReadView } from '../../store/views.js';
import { listAuditEvents } from '../../audit/list.js';
import { AUDIT_KINDS } from '../../domain/audit.js';
import { contactView, companyView, operatorOrderView } from './views.js';
import { parseRevocationReason } from '../../domain/revocation.js';

/** What the operator API holds: bound use cases, and the store only to answer /healthz and list the audit trail. */
export interface AdminServices {
  accounts: AccountService;
  orders: OrderEngine;
  /** ACME External Account Binding credentials (RFC 8555 §7.3.4). */
  acmeEab: EabService;
  store: OperatorReadView;
}

export function parseExpiry(text: string | undefined): number | null {
  if (text === undefined) return null;
  const t = Date.parse(text);
  if (!Number.isFinite(t)) throw new CertError('invalid_parameter', 'The expiry must be an ISO 8601 date.');
  return t;
}

// ---- schemas ----

const Id = Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER });
const AccountPath = Type.Object({ id: Id });
const KeyPath = Type.Object({ key: Type.String({ pattern: '^[A-Za-z0-9]{1,64}$' }) });
const ChildPath = Type.Object({ id: Id, child: Id });
const Name = Type.String({ minLength: 1, maxLength: 256 });
const Optional = (max: number) => Type.Optional(Type.String({ maxLength: max }));
const closed = <P extends Parameters<typeof Type.Object>[0]>(props: P) =>
  Type.Object(props, { additionalProperties: false });

/** The services as one request's caller uses them (src/api/admin/plugin.ts: acting as the operator, from its address). */
export type AdminServicesFor = (req: FastifyRequest) => AdminServices;

export function adminRoutes(s: AdminServicesFor): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post(
      '/acme/eab',
      {
        schema: {
          body: closed({
            AccountId: Id,
            ProductCode: Type.String({ minLength: 1, maxLength: 128 }),
            MaxAccounts: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
            ExpiresDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 36_500 })),
          }),
        },
      },
      async (req, reply) => {
        const r = await s(req).acmeEab.createEabKey({
          accountId: req.body.AccountId,
          productCode: req.body.ProductCode,
          ...(req.body.MaxAccounts !== undefined ? { maxAccounts: req.body.MaxAccounts } : {}),
          ...(req.body.ExpiresDays !== undefined ? { expiresDays: req.body.ExpiresDays } : {}),
        });
        reply.code(201);
        return { RequestId: req.id, ...r };
      },
    );
    app.get('/acme/eab', { schema: { querystring: Type.Object({ AccountId: Type.Optional(Id) }) } }, async (req) => ({
      RequestId: req.id,
      EabKeys: await s(req).acmeEab.listEabKeys(req.query.AccountId),
    }));
    app.post(
      '/acme/eab/:key/revoke',
      { schema: { params: Type.Object({ key: Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' }) }) } },
      async (req) => {
        await s(req).acmeEab.revokeEabKey(req.params.key);
        return { RequestId: req.id };
      },
    );
    app.post('/accounts', { schema: { body: closed({ Name }) } }, async (req, reply) => {
      reply.code(201);
      return { RequestId: req.id, ...(await s(req).accounts.createAccount(req.body.Name)) };
    });
    app.get('/accounts', { schema: {} }, async (req) => ({
      RequestId: req.id,
      Accounts: await s(req).accounts.listAccounts(),
    }));

    app.post(
      '/accounts/:id/keys',
      { schema: { params: AccountPath, body: closed({ Policy: Optional(4096) }) } },
      async (req, reply) => {
        reply.code(201);
        return {
          RequestId: req.id,
          ...(await s(req).accounts.createAccessKey(req.params.id, req.body.Policy || undefined)),
        };
      },
    );
    app.get('/accounts/:id/keys', { schema: { params: AccountPath } }, async (req) => ({
      RequestId: req.id,
      AccessKeys: await s(req).accounts.listAccessKeys(req.params.id),
    }));
    app.post('/keys/:key/disable', { schema: { params: KeyPath } }, async (req) => {
      await s(req).accounts.setAccessKeyEnabled(req.params.key, false);
      return { RequestId: req.id };
    });
    app.post('/keys/:key/enable', { schema: { params: KeyPath } }, async (req) => {
      await s(req).accounts.setAccessKeyEnabled(req.params.key, true);
      return { RequestId: req.id };
    });
    app.delete('/keys/:key', { schema: { params: KeyPath } }, async (req) => {
      await s(req).accounts.deleteAccessKey(req.params.key);
      return { RequestId: req.id };
    });

    app.post(
      '/accounts/:id/plans',
      {
        schema: {
          params: AccountPath,
          body: closed({
            ProductCode: Type.String({ minLength: 1, maxLength: 128 }),
            Count: Type.Integer(),
            ExpiresAt: Optional(64),
          }),
        },
      },
      async (req, reply) => {
        const plan = await s(req).accounts.grantPlan({
          accountId: req.params.id,
          productCode: req.body.ProductCode,
          count: req.body.Count,
          expiresAt: parseExpiry(req.body.ExpiresAt || undefined),
        });
        reply.code(201);
        return { RequestId: req.id, ...plan };
      },
    );
    app.get('/accounts/:id/plans', { schema: { params: AccountPath } }, async (req) => ({
      RequestId: req.id,
      Plans: await s(req).accounts.listPlans(req.params.id),
    }));

    app.post(
      '/accounts/:id/contacts',
      {
        schema: {
          params: AccountPath,
          body: closed({
            Name,
            Email: Type.String({ minLength: 1, maxLength: 256 }),
            Mobile: Type.String({ minLength: 1, maxLength: 64 }),
            Webhooks: Type.Optional(Type.Array(Type.String({ maxLength: 2048 }), { maxItems: 16 })),
          }),
        },
      },
      async (req, reply) => {
        const row = await s(req).accounts.addContact(req.params.id, {
          name: req.body.Name,
          email: req.body.Email,
          mobile: req.body.Mobile,
          webhooks: req.body.Webhooks ?? [],
        });
        reply.code(201);
        return { RequestId: req.id, ...contactView(row) };
      },
    );
    app.get(
      '/accounts/:id/contacts',
      { schema: { params: AccountPath, querystring: closed({ Keyword: Optional(256) }) } },
      async (req) => {
        const page = await s(req).accounts.listContacts(req.params.id, {
          keyword: req.query.Keyword || undefined,
          page: 1,
          pageSize: 1000,
        });
        return { RequestId: req.id, TotalCount: page.total, Contacts: page.rows.map(contactView) };
      },
    );
    app.delete('/accounts/:id/contacts/:child', { schema: { params: ChildPath } }, async (req) => {
      await s(req).accounts.removeContact(req.params.id, req.params.child);
      return { RequestId: req.id };
    });

    app.post(
      '/accounts/:id/companies',
      {
        schema: {
          params: AccountPath,
          body: closed({
            Name,
            Country: Optional(64),
            Province: Optional(128),
            City: Optional(128),
            Address: Optional(512),
            Phone: Optional(64),
          }),
        },
      },
      async (req, reply) => {
        const b = req.body;
        const row = await s(req).accounts.addCompany(req.params.id, {
          name: b.Name,
          country: b.Country || undefined,
          province: b.Province || undefined,
          city: b.City || undefined,
          address: b.Address || undefined,
          phone: b.Phone || undefined,
        });
        reply.code(201);
        return { RequestId: req.id, ...companyView(row) };
      },
    );
    app.get('/accounts/:id/companies', { schema: { params: AccountPath } }, async (req) => ({
      RequestId: req.id,
      Companies: (await s(req).accounts.listCompanies(req.params.id)).map(companyView),
    }));
    app.delete('/accounts/:id/companies/:child', { schema: { params: ChildPath } }, async (req) => {
      await s(req).accounts.removeCompany(req.params.id, req.params.child);
      return { RequestId: req.id };
    });

    app.get(
      '/orders',
      {
        schema: {
          querystring: closed({
            // One of ORDER_STATES: listOrdersForOperator says so in its refusal.
            state: Optional(32),
            account: Type.Optional(Id),
          }),
        },
      },
      async (req) => ({
        RequestId: req.id,
        Orders: (
          await s(req).orders.listOrdersForOperator({ state: req.query.state, accountId: req.query.account })
        ).map(operatorOrderView),
      }),
    );
    const OrderPath = Type.Object({ id: Id });
    app.post('/orders/:id/approve', { schema: { params: OrderPath } }, async (req) => {
      await s(req).orders.approveOrder(req.params.id);
      return { RequestId: req.id };
    });
    app.post(
      '/orders/:id/reject',
      { schema: { params: OrderPath, body: closed({ Reason: Type.String({ minLength: 1, maxLength: 1024 }) }) } },
      async (req) => {
        await s(req).orders.rejectOrder(req.params.id, req.body.Reason);
        return { RequestId: req.id };
      },
    );
    app.post('/orders/:id/submit', { schema: { params: OrderPath } }, async (req) => {
      await s(req).orders.resubmitOrder(req.params.id);
      return { RequestId: req.id };
    });
    app.post(
      '/certificates/:serial/revoke',
      {
        schema: {
          params: Type.Object({ serial: Type.String({ pattern: '^[0-9A-Fa-f:]{1,128}$' }) }),
          body: closed({ Reason: Optional(64) }),
        },
      },
      async (req) => {
        const r = await s(req).orders.revokeBySerial(
          req.params.serial,
          parseRevocationReason(req.body.Reason || 'unspecified'),
        );
        return { RequestId: req.id, CertificateId: r.certificateId, OrderId: r.orderId };
      },
    );

    // The audit trail, newest first (domain/audit.ts).
    const Time = Type.String({ minLength: 1, maxLength: 64 });
    app.get(
      '/audit',
      {
        schema: {
          querystring: closed({
            account: Type.Optional(Id),
            order: Type.Optional(Id),
            since: Type.Optional(Time),
            until: Type.Optional(Time),
            kind: Type.Optional(Type.Enum([...AUDIT_KINDS])),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
          }),
        },
      },
      async (req) => {
        const q = req.query;
        const events = await listAuditEvents(s(req).store, {
          ...(q.account !== undefined ? { accountId: q.account } : {}),
          ...(q.order !== undefined ? { orderId: q.order } : {}),
          ...(q.since !== undefined ? { since: q.since } : {}),
          ...(q.until !== undefined ? { until: q.until } : {}),
          ...(q.kind !== undefined ? { kind: q.kind } : {}),
          ...(q.limit !== undefined ? { limit: q.limit } : {}),
        });
        return { RequestId: req.id, Events: events };
      },
    );
  };
}
