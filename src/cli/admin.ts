// `certdesk admin <noun> <verb>`: operator commands that work directly on the store named
// by --data-dir / --database-url, also while `certdesk serve` runs on it.
import { CertError } from '../domain/errors.js';
import { buildConfig, consoleBaseUrl } from '../config/schema.js';
import { openContext, type AppContext } from '../app/context.js';
import { silentLogger } from '../app/logger.js';
import { createAccount, listAccounts, requireAccount } from '../accounts/accounts.js';
import { getOrCreateWebhookSecret } from '../notices/index.js';
import { createAccessKey, deleteAccessKey, listAccessKeys, setAccessKeyEnabled } from '../accounts/access-keys.js';
import { grantPlan, listPlans } from '../accounts/plans.js';
import { createConsoleLink } from '../accounts/console-sessions.js';
import { consoleLinkUrl } from '../app/console.js';
import { addContact, listContacts, removeContact } from '../accounts/contacts.js';
import { addCompany, listCompanies, removeCompany } from '../accounts/companies.js';
import { contactView, companyView, operatorOrderView } from '../api/admin/views.js';
import { caSettings, ensureHierarchy } from '../app/ca-bootstrap.js';
import { buildOrderDeps } from '../app/orders-wiring.js';
import type { OrderDeps } from '../orders/deps.js';
import { approveOrder, rejectOrder, resubmitOrder } from '../orders/review.js';
import { listOrdersForOperator } from '../orders/operator-queries.js';
import { revokeBySerial } from '../orders/revoke-certificate.js';
import { parseRevocationReason, REVOCATION_REASONS } from '../domain/revocation.js';
import { parseExpiry } from '../api/admin/routes.js';
import { configFlags, intFlag, optionalFlag, requireFlag, type Flags } from './args.js';
import type { Command } from './command.js';
import { printerFor, table, type Printer } from './output.js';

type Handler = (ctx: AppContext, flags: Flags, positionals: string[], print: Printer) => Promise<void>;

interface AdminCommand {
  args?: string;
  summary: string;
  options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean }>;
  run: Handler;
}

function idFrom(flags: Flags, positionals: string[], flag = 'id'): string {
  const v = optionalFlag(flags, flag) ?? positionals[0];
  if (!v) throw new CertError('missing_parameter', `the ${flag} is required (as --${flag} or a positional argument).`);
  return v;
}

function numericId(text: string): number {
  if (!/^\d{1,15}$/.test(text)) throw new CertError('invalid_parameter', 'the id must be a whole number.');
  return Number(text);
}

/** The order engine, for the review commands. The running server's worker does the issuing. */
async function orderDeps(ctx: AppContext): Promise<OrderDeps> {
  const h = await ensureHierarchy(
    { store: ctx.store, sealer: ctx.sealer, clock: ctx.clock, random: ctx.random, logger: ctx.logger },
    caSettings(ctx.config),
  );
  return buildOrderDeps(ctx, h, () => {});
}

export const ADMIN_COMMANDS: Record<string, AdminCommand> = {
  'account create': {
    args: '--name NAME',
    summary: 'create an account and its first AccessKey (the secret is shown once)',
    options: { name: { type: 'string' } },
    run: async (ctx, f, _p, print) => {
      const r = await createAccount(ctx.accounts, requireFlag(f, 'name'));
      print(
        r,
        () =>
          `AccountId: ${r.AccountId}\nAccessKeyId: ${r.AccessKeyId}\nAccessKeySecret: ${r.AccessKeySecret}\n(the secret is not shown again)`,
      );
    },
  },
  'account webhook-secret': {
    args: '--account ID',
    summary: "the secret that signs the account's webhooks (X-Certdesk-Signature, HMAC-SHA256)",
    options: { account: { type: 'string' } },
    run: async (ctx, f, _p, print) => {
      const accountId = intFlag(f, 'account');
      await requireAccount(ctx.accounts, accountId);
      const secret = await getOrCreateWebhookSecret(ctx, accountId);
      print({ AccountId: accountId, WebhookSecret: secret }, () => secret);
    },
  },
  'account console-link': {
    args: '--account ID [--order ID]',
    summary: 'a one-time sign-in link to the customer console, valid 15 minutes (--order: that order only)',
    options: { account: { type: 'string' }, order: { type: 'string' } },
    run: async (ctx, f, _p, print) => {
      const order = optionalFlag(f, 'order');
      const r = await createConsoleLink(ctx.accounts, intFlag(f, 'account'), order ? numericId(order) : null);
      const url = consoleLinkUrl(consoleBaseUrl(ctx.config), r.token);
      print({ Url: url, ExpiresAt: new Date(r.expiresAt).toISOString() }, () => url);
    },
  },
  'account list': {
    summary: 'list accounts',
    options: {},
    run: async (ctx, _f, _p, print) => {
      const r = await listAccounts(ctx.accounts);
      print(r, () => table(r as never, ['AccountId', 'Name']));
    },
  },
  'key create': {
    args: '--account ID [--policy "Describe*,ListContact"]',
    summary: 'a new AccessKey',
    options: { account: { type: 'string' }, policy: { type: 'string' } },
    run: async (ctx, f, _p, print) => {
      const r = await createAccessKey(ctx.accounts, intFlag(f, 'account'), optionalFlag(f, 'policy'));
      print(
        r,
        () => `AccessKeyId: ${r.AccessKeyId}\nAccessKeySecret: ${r.AccessKeySecret}\n(the secret is not shown again)`,
      );
    },
  },
  'key list': {
    args: '--account ID',
    summary: 'list AccessKeys (never their secrets)',
    options: { account: { type: 'string' } },
    run: async (ctx, f, _p, print) => {
      const r = await listAccessKeys(ctx.accounts, intFlag(f, 'account'));
      print(r, () => table(r as never, ['accessKeyId', 'enabled', 'policy']));
    },
  },
  'key disable': {
    args: 'ACCESS_KEY_ID',
    summary: 'refuse further calls with this key',
    options: { id: { type: 'string' } },
    run: async (ctx, f, p, print) => {
      const id = idFrom(f, p);
      await setAccessKeyEnabled(ctx.accounts, id, false);
      print({ AccessKeyId: id, Enabled: false }, () => `disabled ${id}`);
    },
  },
  'key enable': {
    args: 'ACCESS_KEY_ID',
    summary: 'accept calls with this key again',
    options: { id: { type: 'string' } },
    run: async (ctx, f, p, print) => {
      const id = idFrom(f, p);
      await setAccessKeyEnabled(ctx.accounts, id, true);
      print({ AccessKeyId: id, Enabled: true }, () => `enabled ${id}`);
    },
  },
  'key delete': {
    args: 'ACCESS_KEY_ID',
    summary: 'delete the key',
    options: { id: { type: 'string' } },
    run: async (ctx, f, p, print) => {
      const id = idFrom(f, p);
      await deleteAccessKey(ctx.accounts, id);
      print({ AccessKeyId: id, Deleted: true }, () => `deleted ${id}`);
    },
  },
  'plan grant': {
    args: '--account ID --product CODE --count N [--expires ISO-DATE]',
    summary: 'grant a resource plan',
    options: {
      account: { type: 'string' },
      product: { type: 'string' },
      count: { type: 'string' },
      expires: { type: 'string' },
    },
    run: async (ctx, f, _p, print) => {
      const r = await grantPlan(ctx.accounts, {
        accountId: intFlag(f, 'account'),
        productCode: requireFlag(f, 'product'),
        count: intFlag(f, 'count'),
        expiresAt: parseExpiry(optionalFlag(f, 'expires')),
      });
      print(
        r,
        () =>
          `plan ${r.PlanId}: ${r.TotalCount} x ${r.ProductCode} for account ${r.AccountId}${r.ExpiresAt ? ` until ${new Date(r.ExpiresAt).toISOString()}` : ''}`,
      );
    },
  },
  'plan list': {
    args: '--account ID',
    summary: 'list resource plans',
    options: { account: { type: 'string' } },
    run: async (ctx, f, _p, print) => {
      const r = await listPlans(ctx.accounts, intFlag(f, 'account'));
      print(r, () => table(r as never, ['PlanId', 'ProductCode', 'TotalCount', 'ExpiresAt']));
    },
  },
  'contact add': {
    args: '--account ID --name N --email E --mobile M [--webhook URL]...',
    summary: 'add a contact',
    options: {
      account: { type: 'string' },
      name: { type: 'string' },
      email: { type: 'string' },
      mobile: { type: 'string' },
      webhook: { type: 'string', multiple: true },
    },
    run: async (ctx, f, _p, print) => {
      const row = await addContact(ctx.accounts, intFlag(f, 'account'), {
        name: requireFlag(f, 'name'),
        email: requireFlag(f, 'email'),
        mobile: requireFlag(f, 'mobile'),
        webhooks: (f.webhook as string[] | undefined) ?? [],
      });
      const v = contactView(row);
      print(v, () => `contact ${v.ContactId} added`);
    },
  },
  'contact list': {
    args: '--account ID [--keyword K]',
    summary: 'list contacts, newest first',
    options: { account: { type: 'string' }, keyword: { type: 'string' } },
    run: async (ctx, f, _p, print) => {
      const r = await listContacts(ctx.accounts, intFlag(f, 'account'), {
        keyword: optionalFlag(f, 'keyword'),
        page: 1,
        pageSize: 10_000,
      });
      const rows = r.rows.map(contactView);
      print(rows, () => table(rows, ['ContactId', 'Name', 'Email', 'Mobile', 'Webhooks']));
    },
  },
  'contact remove': {
    args: '--account ID CONTACT_ID',
    summary: 'remove a contact',
    options: { account: { type: 'string' }, id: { type: 'string' } },
    run: async (ctx, f, p, print) => {
      const id = numericId(idFrom(f, p));
      await removeContact(ctx.accounts, intFlag(f, 'account'), id);
      print({ ContactId: id, Removed: true }, () => `removed contact ${id}`);
    },
  },
  'company add': {
    args: '--account ID --name N [--country CC] [--province P] [--city C] [--address A] [--phone T]',
    summary: 'add a company profile',
    options: {
      account: { type: 'string' },
      name: { type: 'string' },
      country: { type: 'string' },
      province: { type: 'string' },
      city: { type: 'string' },
      address: { type: 'string' },
      phone: { type: 'string' },
    },
    run: async (ctx, f, _p, print) => {
      const row = await addCompany(ctx.accounts, intFlag(f, 'account'), {
        name: requireFlag(f, 'name'),
        country: optionalFlag(f, 'country'),
        province: optionalFlag(f, 'province'),
        city: optionalFlag(f, 'city'),
        address: optionalFlag(f, 'address'),
        phone: optionalFlag(f, 'phone'),
      });
      const v = companyView(row);
      print(v, () => `company ${v.CompanyId} added`);
    },
  },
  'company list': {
    args: '--account ID',
    summary: 'list company profiles, newest first',
    options: { account: { type: 'string' } },
    run: async (ctx, f, _p, print) => {
      const rows = (await listCompanies(ctx.accounts, intFlag(f, 'account'))).map(companyView);
      print(rows, () => table(rows, ['CompanyId', 'Name', 'Country', 'Province', 'City']));
    },
  },
  'company remove': {
    args: '--account ID COMPANY_ID',
    summary: 'remove a company profile',
    options: { account: { type: 'string' }, id: { type: 'string' } },
    run: async (ctx, f, p, print) => {
      const id = numericId(idFrom(f, p));
      await removeCompany(ctx.accounts, intFlag(f, 'account'), id);
      print({ CompanyId: id, Removed: true }, () => `removed company ${id}`);
    },
  },
  'order list': {
    args: '[--state process] [--account ID]',
    summary: 'orders across accounts (OV orders awaiting review are in state process)',
    options: { state: { type: 'string' }, account: { type: 'string' } },
    run: async (ctx, f, _p, print) => {
      const rows = (
        await listOrdersForOperator(await orderDeps(ctx), {
          state: optionalFlag(f, 'state'),
          accountId: optionalFlag(f, 'account') ? intFlag(f, 'account') : undefined,
        })
      ).map(operatorOrderView);
      print(rows, () =>
        table(rows, ['OrderId', 'AccountId', 'ProductCode', 'State', 'Domains', 'AwaitingReview', 'FailReason']),
      );
    },
  },
  'order approve': {
    args: 'ORDER_ID',
    summary: 'approve an OV order waiting for review; it is issued next',
    options: { id: { type: 'string' } },
    run: async (ctx, f, p, print) => {
      const id = numericId(idFrom(f, p));
      await approveOrder(await orderDeps(ctx), id);
      print({ OrderId: id, Approved: true }, () => `approved order ${id}`);
    },
  },
  'order reject': {
    args: 'ORDER_ID --reason TEXT',
    summary: 'reject an order under review (it ends in verify_fail with the reason)',
    options: { id: { type: 'string' }, reason: { type: 'string' } },
    run: async (ctx, f, p, print) => {
      const id = numericId(idFrom(f, p));
      await rejectOrder(await orderDeps(ctx), id, requireFlag(f, 'reason'));
      print({ OrderId: id, Rejected: true }, () => `rejected order ${id}`);
    },
  },
  'order submit': {
    args: 'ORDER_ID',
    summary: 'submit a pending (payed) order, e.g. a renewal, for validation',
    options: { id: { type: 'string' } },
    run: async (ctx, f, p, print) => {
      const id = numericId(idFrom(f, p));
      await resubmitOrder(await orderDeps(ctx), id);
      print({ OrderId: id, Submitted: true }, () => `submitted order ${id}`);
    },
  },
  'cert revoke': {
    args: `--serial HEX [--reason ${Object.keys(REVOCATION_REASONS).join('|')}]`,
    summary: `revoke a certificate (RFC 5280 reason)`,
    options: { serial: { type: 'string' }, reason: { type: 'string' } },
    run: async (ctx, f, _p, print) => {
      const reason = optionalFlag(f, 'reason') ?? 'unspecified';
      const r = await revokeBySerial(await orderDeps(ctx), requireFlag(f, 'serial'), parseRevocationReason(reason));
      print(
        { CertificateId: r.certificateId, OrderId: r.orderId, Serial: requireFlag(f, 'serial'), Reason: reason },
        () => `revoked certificate ${r.certificateId} (${reason})`,
      );
    },
  },
};

/** `certdesk admin <noun> <verb>`: one command per entry, on the store of --data-dir / --database-url. */
export const adminCommands: readonly Command[] = Object.entries(ADMIN_COMMANDS).map(([name, c]) => ({
  name: `admin ${name}`,
  ...(c.args ? { args: c.args } : {}),
  summary: c.summary,
  options: c.options,
  config: ['store'],
  async run({ flags, positionals, env }) {
    const config = buildConfig(configFlags(flags));
    const ctx = await openContext({ config, env, logger: silentLogger });
    try {
      await c.run(ctx, flags, positionals, printerFor(flags.json === true));
    } finally {
      await ctx.store.close();
    }
  },
}));
