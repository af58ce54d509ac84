// `certdesk admin <noun> <verb>`: operator commands that work directly on the store named
// by --data-dir / --database-url, also while `certdesk serve` runs on it.
import { userInfo } from 'node:os';
import { CertError } from '../domain/errors.js';
import { AUDIT_KINDS, type Actor } from '../domain/audit.js';
import { listAuditEvents } from '../audit/list.js';
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
import { buildOrderDeps, depsForIssuer } from '../app/orders-wiring.js';
import type { CaHierarchy } from '../app/ca-bootstrap.js';
import { runCrlPublication } from '../status/publish-crl.js';
import { parseSerialList, revokeCertificatesInBulk, type MassRevocationProgress } from '../orders/mass-revoke.js';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { OrderDeps } from '../orders/deps.js';
import { approveOrder, rejectOrder, resubmitOrder } from '../orders/review.js';
import { listOrdersForOperator } from '../orders/operator-queries.js';
import { revokeBySerial } from '../orders/revoke-certificate.js';
import { parseRevocationReason, REVOCATION_REASONS } from '../domain/revocation.js';
import { parseExpiry } from '../api/admin/routes.js';
import { configFlags, intFlag, optionalFlag, requireFlag, type Flags } from './args.js';
import type { Command } from './command.js';
import { createEabKey, listEabKeys, revokeEabKey } from '../orders/acme/eab.js';
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
  return (await orderEngine(ctx)).deps;
}

async function orderEngine(ctx: AppContext): Promise<{ deps: OrderDeps; hierarchy: CaHierarchy }> {
  const hierarchy = await ensureHierarchy(
    { store: ctx.store, sealer: ctx.sealer, clock: ctx.clock, random: ctx.random, logger: ctx.logger },
    caSettings(ctx.config),
  );
  return { deps: buildOrderDeps(ctx, hierarchy, () => {}), hierarchy };
}

/** A time flag: an ISO 8601 date or date-time (UTC unless it names a zone). */
function timeFlag(flags: Flags, name: string): number | undefined {
  const v = optionalFlag(flags, name);
  if (v === undefined) return undefined;
  const t = Date.parse(v);
  if (!Number.isFinite(t)) throw new CertError('invalid_parameter', `--${name} must be an ISO 8601 date or time.`);
  return t;
}

/** `\r`-rewritten progress line on a terminal (stderr); nothing when stderr is not one. */
function progressLine(): ((p: MassRevocationProgress) => void) | undefined {
  if (!process.stderr.isTTY) return undefined;
  let last = 0;
  return (p) => {
    const now = Date.now();
    if (now - last < 100 && p.revoked < p.total) return;
    last = now;
    const width = 30;
    const done = p.total === 0 ? width : Math.round((width * p.revoked) / p.total);
    process.stderr.write(`\r[${'#'.repeat(done)}${'.'.repeat(width - done)}] ${p.revoked}/${p.total}`);
    if (p.revoked >= p.total) process.stderr.write('\n');
  };
}

/** `cert revoke` with --serials-file or selectors: many certificates, in batches, then each affected issuer's CRLs re-signed once. */
async function massRevoke(ctx: AppContext, f: Flags, reasonName: string, print: Printer): Promise<void> {
  const reason = parseRevocationReason(reasonName);
  const file = optionalFlag(f, 'serials-file');
  const issuedBefore = timeFlag(f, 'issued-before');
  const productCode = optionalFlag(f, 'product');
  const accountId = optionalFlag(f, 'account') === undefined ? undefined : intFlag(f, 'account');
  let serials: string[] | undefined;
  if (file !== undefined) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      throw new CertError('invalid_parameter', `the serials file ${file} cannot be read.`);
    }
    serials = parseSerialList(text);
  }
  const started = performance.now();
  const { deps, hierarchy } = await orderEngine(ctx);
  const onProgress = progressLine();
  const s = await revokeCertificatesInBulk(
    deps,
    {
      ...(serials ? { serials } : {}),
      ...(issuedBefore !== undefined ? { issuedBefore } : {}),
      ...(productCode !== undefined ? { productCode } : {}),
      ...(accountId !== undefined ? { accountId } : {}),
    },
    reason,
    onProgress ? { onProgress } : {},
  );
  // The CRLs at once, each scope once (full and every partition), not after the sinks' delay.
  // --crl-partitions is a serve flag: the scopes to re-sign are those published already
  // (certificates name their partition at issuance), so none is left stale.
  for (const id of s.issuerIds) {
    const d = depsForIssuer(ctx, hierarchy, deps, id);
    const stored = Math.max(0, ...(await ctx.store.repos.crls.headers(id)).map((h) => h.partition + 1));
    await runCrlPublication({ ...d, ca: { ...d.ca, crlPartitions: Math.max(d.ca.crlPartitions, stored) } }, id);
  }
  const seconds = (performance.now() - started) / 1000;
  print(
    {
      Revoked: s.revoked,
      AlreadyRevoked: s.alreadyRevoked,
      NotFound: s.notFound.length,
      NotFoundSerials: s.notFound.slice(0, 100),
      OrdersRevoked: s.ordersRevoked,
      Batches: s.batches,
      CrlsPublishedFor: s.issuerIds,
      Reason: reasonName,
      Seconds: Math.round(seconds * 1000) / 1000,
    },
    () =>
      [
        `revoked ${s.revoked} certificates (${reasonName}) in ${s.batches} batches, ${seconds.toFixed(1)} s`,
        `already revoked: ${s.alreadyRevoked}; orders ended as revoked: ${s.ordersRevoked}`,
        ...(s.notFound.length > 0
          ? [
              `not found: ${s.notFound.length} (${s.notFound.slice(0, 5).join(', ')}${s.notFound.length > 5 ? ', ...' : ''})`,
            ]
          : []),
        `CRLs re-signed for issuer ${s.issuerIds.join(', ') || '(none)'}`,
      ].join('\n'),
  );
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
  'acme eab create': {
    args: '--account ID --product CODE [--max-accounts N] [--expires-days D]',
    summary:
      'create ACME External Account Binding credentials for a customer and a product (the MAC key is shown once)',
    options: {
      account: { type: 'string' },
      product: { type: 'string' },
      'max-accounts': { type: 'string' },
      'expires-days': { type: 'string' },
    },
    run: async (ctx, f, _p, print) => {
      const r = await createEabKey(
        { store: ctx.store, clock: ctx.clock, random: ctx.random, sealer: ctx.sealer },
        {
          accountId: intFlag(f, 'account'),
          productCode: requireFlag(f, 'product'),
          ...(optionalFlag(f, 'max-accounts') !== undefined ? { maxAccounts: intFlag(f, 'max-accounts') } : {}),
          ...(optionalFlag(f, 'expires-days') !== undefined ? { expiresDays: intFlag(f, 'expires-days') } : {}),
        },
      );
      print(r, () => `KeyId: ${r.KeyId}\nHmacKey: ${r.HmacKey}\n(the MAC key is not shown again)`);
    },
  },
  'acme eab list': {
    args: '[--account ID]',
    summary: 'list ACME EAB credentials (never their MAC keys)',
    options: { account: { type: 'string' } },
    run: async (ctx, f, _p, print) => {
      const r = await listEabKeys(
        { store: ctx.store, clock: ctx.clock, random: ctx.random, sealer: ctx.sealer },
        optionalFlag(f, 'account') === undefined ? undefined : intFlag(f, 'account'),
      );
      print(r, () =>
        table(r as never, ['KeyId', 'AccountId', 'ProductCode', 'MaxAccounts', 'UsedAccounts', 'Revoked']),
      );
    },
  },
  'acme eab revoke': {
    args: 'KEYID',
    summary: 'revoke ACME EAB credentials (accounts already made with them stay)',
    options: { id: { type: 'string' } },
    run: async (ctx, f, p, print) => {
      const keyId = idFrom(f, p);
      await revokeEabKey({ store: ctx.store, clock: ctx.clock, random: ctx.random, sealer: ctx.sealer }, keyId);
      print({ KeyId: keyId, Revoked: true }, () => `revoked ${keyId}`);
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
    args: `--serial HEX | --serials-file FILE | --issued-before TIME | --product CODE | --account ID [--reason ${Object.keys(REVOCATION_REASONS).join('|')}]`,
    summary: `revoke a certificate, or many at once (a serial per line; selectors combine), RFC 5280 reason`,
    options: {
      serial: { type: 'string' },
      reason: { type: 'string' },
      'serials-file': { type: 'string' },
      'issued-before': { type: 'string' },
      product: { type: 'string' },
      account: { type: 'string' },
    },
    run: async (ctx, f, _p, print) => {
      const reason = optionalFlag(f, 'reason') ?? 'unspecified';
      if (optionalFlag(f, 'serial') === undefined) return massRevoke(ctx, f, reason, print);
      const r = await revokeBySerial(await orderDeps(ctx), requireFlag(f, 'serial'), parseRevocationReason(reason));
      print(
        { CertificateId: r.certificateId, OrderId: r.orderId, Serial: requireFlag(f, 'serial'), Reason: reason },
        () => `revoked certificate ${r.certificateId} (${reason})`,
      );
    },
  },
  'audit list': {
    args: '[--account ID] [--order ID] [--since TIME] [--until TIME] [--kind KIND] [--limit N]',
    summary: `the audit trail, newest first (kinds: ${AUDIT_KINDS.join(', ')})`,
    options: {
      account: { type: 'string' },
      order: { type: 'string' },
      since: { type: 'string' },
      until: { type: 'string' },
      kind: { type: 'string' },
      limit: { type: 'string' },
    },
    run: async (ctx, f, _p, print) => {
      const events = await listAuditEvents(ctx.store, {
        ...(optionalFlag(f, 'account') ? { accountId: intFlag(f, 'account') } : {}),
        ...(optionalFlag(f, 'order') ? { orderId: intFlag(f, 'order') } : {}),
        ...(optionalFlag(f, 'since') ? { since: optionalFlag(f, 'since') } : {}),
        ...(optionalFlag(f, 'until') ? { until: optionalFlag(f, 'until') } : {}),
        ...(optionalFlag(f, 'kind') ? { kind: optionalFlag(f, 'kind') } : {}),
        ...(optionalFlag(f, 'limit') ? { limit: intFlag(f, 'limit') } : {}),
      });
      const rows = events.map((e) => ({
        At: new Date(e.at).toISOString(),
        Kind: e.kind,
        Actor: [e.actor.kind, e.actor.id].filter(Boolean).join(':'),
        From: e.actor.remoteAddress,
        AccountId: e.accountId,
        OrderId: e.orderId,
        Detail: e.detail,
      }));
      print(events, () => table(rows, ['At', 'Kind', 'Actor', 'From', 'AccountId', 'OrderId', 'Detail']));
    },
  },
};

/** Who runs `certdesk admin`, as the audit trail records it: the operator at this machine's account. */
function cliOperator(): Actor {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // no passwd entry (some containers): the operator stays unnamed
  }
  return { kind: 'operator', id: `cli:${user}`, remoteAddress: null };
}

/** `certdesk admin <noun> <verb>`: one command per entry, on the store of --data-dir / --database-url. */
export const adminCommands: readonly Command[] = Object.entries(ADMIN_COMMANDS).map(([name, c]) => ({
  name: `admin ${name}`,
  ...(c.args ? { args: c.args } : {}),
  summary: c.summary,
  options: c.options,
  config: ['store'],
  async run({ flags, positionals, env }) {
    const config = buildConfig(configFlags(flags));
    // Everything this command changes is audited as done by the operator at this terminal.
    const ctx = await openContext({ config, env, logger: silentLogger, actor: cliOperator() });
    try {
      await c.run(ctx, flags, positionals, printerFor(flags.json === true));
    } finally {
      await ctx.store.close();
    }
  },
}));
