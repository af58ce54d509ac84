// Operator endpoints (issue 2, item 5). Each route validates its input and calls one use case.
import { CertError } from '../../domain/errors.js';
import type { AccountDeps } from '../../accounts/deps.js';
import { createAccount, listAccounts } from '../../accounts/accounts.js';
import { createAccessKey, deleteAccessKey, listAccessKeys, setAccessKeyEnabled } from '../../accounts/access-keys.js';
import { grantPlan, listPlans } from '../../accounts/plans.js';
import { addContact, listContacts, removeContact } from '../../accounts/contacts.js';
import { addCompany, listCompanies, removeCompany } from '../../accounts/companies.js';
import { contactView, companyView, operatorOrderView } from './views.js';
import type { OrderDeps } from '../../orders/deps.js';
import { approveOrder, rejectOrder, resubmitOrder } from '../../orders/review.js';
import { listOrdersForOperator } from '../../orders/operator-queries.js';
import { revokeBySerial } from '../../orders/revoke-certificate.js';
import { parseRevocationReason } from '../../domain/revocation.js';

export interface AdminServices {
  accounts: AccountDeps;
  orders: OrderDeps;
}

type Body = Record<string, unknown>;

export interface AdminRoute {
  method: string;
  pattern: RegExp;
  status?: number;
  run(s: AdminServices, args: string[], body: Body, query: URLSearchParams): Promise<Record<string, unknown>>;
}

function str(body: Body, name: string, required: true): string;
function str(body: Body, name: string, required?: false): string | undefined;
function str(body: Body, name: string, required = false): string | undefined {
  const v = body[name];
  if (v === undefined || v === null || v === '') {
    if (required) throw new CertError('missing_parameter', `The field ${name} is required.`);
    return undefined;
  }
  if (typeof v !== 'string') throw new CertError('invalid_parameter', `The field ${name} must be a string.`);
  return v;
}

function int(body: Body, name: string): number {
  const v = body[name];
  if (v === undefined || v === null || v === '')
    throw new CertError('missing_parameter', `The field ${name} is required.`);
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n)) throw new CertError('invalid_parameter', `The field ${name} must be a whole number.`);
  return n;
}

function idArg(s: string | undefined): number {
  const n = Number(s);
  if (!Number.isSafeInteger(n) || n <= 0)
    throw new CertError('invalid_parameter', 'The id in the path must be a positive whole number.');
  return n;
}

function strList(body: Body, name: string): string[] {
  const v = body[name];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string'))
    throw new CertError('invalid_parameter', `The field ${name} must be an array of strings.`);
  return v as string[];
}

export function parseExpiry(text: string | undefined): number | null {
  if (text === undefined) return null;
  const t = Date.parse(text);
  if (!Number.isFinite(t)) throw new CertError('invalid_parameter', 'The expiry must be an ISO 8601 date.');
  return t;
}

export function adminRoutes(): readonly AdminRoute[] {
  return [
    {
      method: 'POST',
      pattern: /^\/v1\/accounts$/,
      status: 201,
      run: async (s, _a, b) => ({ ...(await createAccount(s.accounts, str(b, 'Name', true))) }),
    },
    { method: 'GET', pattern: /^\/v1\/accounts$/, run: async (s) => ({ Accounts: await listAccounts(s.accounts) }) },
    {
      method: 'POST',
      pattern: /^\/v1\/accounts\/(\d+)\/keys$/,
      status: 201,
      run: async (s, [id], b) => ({ ...(await createAccessKey(s.accounts, idArg(id), str(b, 'Policy'))) }),
    },
    {
      method: 'GET',
      pattern: /^\/v1\/accounts\/(\d+)\/keys$/,
      run: async (s, [id]) => ({ AccessKeys: await listAccessKeys(s.accounts, idArg(id)) }),
    },
    {
      method: 'POST',
      pattern: /^\/v1\/keys\/([A-Za-z0-9]+)\/disable$/,
      run: async (s, [id]) => (await setAccessKeyEnabled(s.accounts, id!, false), {}),
    },
    {
      method: 'POST',
      pattern: /^\/v1\/keys\/([A-Za-z0-9]+)\/enable$/,
      run: async (s, [id]) => (await setAccessKeyEnabled(s.accounts, id!, true), {}),
    },
    {
      method: 'DELETE',
      pattern: /^\/v1\/keys\/([A-Za-z0-9]+)$/,
      run: async (s, [id]) => (await deleteAccessKey(s.accounts, id!), {}),
    },
    {
      method: 'POST',
      pattern: /^\/v1\/accounts\/(\d+)\/plans$/,
      status: 201,
      run: async (s, [id], b) => ({
        ...(await grantPlan(s.accounts, {
          accountId: idArg(id),
          productCode: str(b, 'ProductCode', true),
          count: int(b, 'Count'),
          expiresAt: parseExpiry(str(b, 'ExpiresAt')),
        })),
      }),
    },
    {
      method: 'GET',
      pattern: /^\/v1\/accounts\/(\d+)\/plans$/,
      run: async (s, [id]) => ({ Plans: await listPlans(s.accounts, idArg(id)) }),
    },
    {
      method: 'POST',
      pattern: /^\/v1\/accounts\/(\d+)\/contacts$/,
      status: 201,
      run: async (s, [id], b) =>
        contactView(
          await addContact(s.accounts, idArg(id), {
            name: str(b, 'Name', true),
            email: str(b, 'Email', true),
            mobile: str(b, 'Mobile', true),
            webhooks: strList(b, 'Webhooks'),
          }),
        ),
    },
    {
      method: 'GET',
      pattern: /^\/v1\/accounts\/(\d+)\/contacts$/,
      run: async (s, [id], _b, q) => {
        const page = await listContacts(s.accounts, idArg(id), {
          keyword: q.get('Keyword') ?? undefined,
          page: 1,
          pageSize: 1000,
        });
        return { TotalCount: page.total, Contacts: page.rows.map(contactView) };
      },
    },
    {
      method: 'DELETE',
      pattern: /^\/v1\/accounts\/(\d+)\/contacts\/(\d+)$/,
      run: async (s, [id, cid]) => (await removeContact(s.accounts, idArg(id), idArg(cid)), {}),
    },
    {
      method: 'POST',
      pattern: /^\/v1\/accounts\/(\d+)\/companies$/,
      status: 201,
      run: async (s, [id], b) =>
        companyView(
          await addCompany(s.accounts, idArg(id), {
            name: str(b, 'Name', true),
            country: str(b, 'Country'),
            province: str(b, 'Province'),
            city: str(b, 'City'),
            address: str(b, 'Address'),
            phone: str(b, 'Phone'),
          }),
        ),
    },
    {
      method: 'GET',
      pattern: /^\/v1\/accounts\/(\d+)\/companies$/,
      run: async (s, [id]) => ({ Companies: (await listCompanies(s.accounts, idArg(id))).map(companyView) }),
    },
    {
      method: 'DELETE',
      pattern: /^\/v1\/accounts\/(\d+)\/companies\/(\d+)$/,
      run: async (s, [id, cid]) => (await removeCompany(s.accounts, idArg(id), idArg(cid)), {}),
    },
    {
      method: 'GET',
      pattern: /^\/v1\/orders$/,
      run: async (s, _a, _b, q) => ({
        Orders: (
          await listOrdersForOperator(s.orders, {
            state: q.get('state') ?? undefined,
            accountId: q.has('account') ? idArg(q.get('account')!) : undefined,
          })
        ).map(operatorOrderView),
      }),
    },
    {
      method: 'POST',
      pattern: /^\/v1\/orders\/(\d+)\/approve$/,
      run: async (s, [id]) => (await approveOrder(s.orders, idArg(id)), {}),
    },
    {
      method: 'POST',
      pattern: /^\/v1\/orders\/(\d+)\/reject$/,
      run: async (s, [id], b) => (await rejectOrder(s.orders, idArg(id), str(b, 'Reason', true)), {}),
    },
    {
      method: 'POST',
      pattern: /^\/v1\/orders\/(\d+)\/submit$/,
      run: async (s, [id]) => (await resubmitOrder(s.orders, idArg(id)), {}),
    },
    {
      method: 'POST',
      pattern: /^\/v1\/certificates\/([0-9A-Fa-f:]+)\/revoke$/,
      run: async (s, [serial], b) => {
        const r = await revokeBySerial(s.orders, serial!, parseRevocationReason(str(b, 'Reason') ?? 'unspecified'));
        return { CertificateId: r.certificateId, OrderId: r.orderId };
      },
    },
  ];
}
