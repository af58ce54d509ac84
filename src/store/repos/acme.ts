// ACME's own rows (migration 0008): accounts, EAB credentials, nonces, and the URL tokens of
// orders, authorizations and challenges linked to the order engine's rows. Orders,
// authorizations and certificates themselves stay in their repositories.
import type { Db, StoreKind } from '../store.js';
import type {
  AcmeAccountsTable,
  AcmeAuthorizationsTable,
  AcmeChallengesTable,
  AcmeEabKeysTable,
  AcmeOrdersTable,
  AuthorizationsTable,
} from '../schema.js';
import type { Selectable } from 'kysely';
import type {
  AcmeAccount,
  AcmeAccountStatus,
  AcmeAuthorizationLink,
  AcmeChallenge,
  AcmeChallengeStatus,
  AcmeEabKey,
  AcmeOrderLink,
  AcmeProblemDoc,
  PublicJwk,
} from '../../domain/acme.js';
import type { Authorization, Order } from '../../domain/order.js';
import { authorizationFromRow, orderFromRow } from '../mappers.js';
import { createBatcher } from '../batcher.js';
import { compiledOnce } from '../compiled-once.js';

function accountFromRow(r: Selectable<AcmeAccountsTable>): AcmeAccount {
  return {
    id: r.id,
    urlId: r.url_id,
    accountId: r.account_id,
    productCode: r.product_code,
    eabKeyId: r.eab_key_id,
    jwk: JSON.parse(r.jwk) as PublicJwk,
    thumbprint: r.thumbprint,
    status: r.status,
    contact: JSON.parse(r.contact) as string[],
    createdAt: r.created_at,
  };
}

function eabFromRow(r: Selectable<AcmeEabKeysTable>): AcmeEabKey {
  return {
    keyId: r.key_id,
    accountId: r.account_id,
    productCode: r.product_code,
    hmacSealed: r.hmac_sealed,
    maxAccounts: r.max_accounts,
    usedAccounts: r.used_accounts,
    expiresAt: r.expires_at,
    revokedAt: r.revoked_at,
    createdAt: r.created_at,
  };
}

function problemFrom(text: string | null): AcmeProblemDoc | null {
  return text === null ? null : (JSON.parse(text) as AcmeProblemDoc);
}

function orderLinkFromRow(r: Selectable<AcmeOrdersTable>): AcmeOrderLink {
  return {
    id: r.id,
    urlId: r.url_id,
    orderId: r.order_id,
    acmeAccountId: r.acme_account_id,
    profile: r.profile,
    replaces: r.replaces,
    replacesCertificateId: r.replaces_certificate_id,
    expiresAt: r.expires_at,
    error: problemFrom(r.error),
    createdAt: r.created_at,
  };
}

function authzLinkFromRow(r: Selectable<AcmeAuthorizationsTable>): AcmeAuthorizationLink {
  return {
    id: r.id,
    urlId: r.url_id,
    authorizationId: r.authorization_id,
    acmeAccountId: r.acme_account_id,
    expiresAt: r.expires_at,
    deactivatedAt: r.deactivated_at,
  };
}

function authzRecordFromRow(
  r: Selectable<AcmeAuthorizationsTable> & Omit<Selectable<AuthorizationsTable>, 'id'>,
): AcmeAuthorizationRecord {
  return {
    link: authzLinkFromRow(r),
    authorization: authorizationFromRow({
      id: r.authorization_id,
      order_id: r.order_id,
      domain: r.domain,
      token: r.token,
      status: r.status,
      last_error: r.last_error,
      validated_at: r.validated_at,
    }),
  };
}

function challengeFromRow(r: Selectable<AcmeChallengesTable>): AcmeChallenge {
  return {
    id: r.id,
    urlId: r.url_id,
    acmeAuthorizationId: r.acme_authorization_id,
    type: r.type,
    token: r.token,
    status: r.status,
    validatedAt: r.validated_at,
    error: problemFrom(r.error),
  };
}

/** An ACME order with the engine's order row (deleted ones too: an invalid order gave its unit back). */
export interface AcmeOrderRecord {
  link: AcmeOrderLink;
  order: Order;
  deleted: boolean;
  /** Its authorizations, by authorization id, when the use case that made the record holds them (newOrder). */
  authorizations?: AcmeAuthorizationRecord[];
}

export interface AcmeAuthorizationRecord {
  link: AcmeAuthorizationLink;
  authorization: Authorization;
  /** Its challenges, by id, when the read that made the record joined them (authorizationByUrlId). */
  challenges?: AcmeChallenge[];
}

/** Nonces spent, or accounts read, per statement at most (one bind parameter each). */
const REDEEM_BATCH = 256;

/**
 * Spends a batch of nonces in one DELETE ... RETURNING: a returned row is a nonce this call
 * deleted, so each nonce still has exactly one winner, across processes too (the row goes
 * once). A nonce twice in one batch (a replay) wins for its first use only. The batch is
 * checked against its latest `now`, never earlier than any member's own.
 */
// The statements every ACME request makes, built and compiled by Kysely once (decision 0027).
const redeemNonces = compiledOnce(['nonces', 'now'], (db, p: { nonces: string[]; now: number }) =>
  db.deleteFrom('acme_nonces').where('nonce', 'in', p.nonces).where('expires_at', '>', p.now).returning('nonce'),
);
const accountsByUrlIds = compiledOnce(['ids'], (db, p: { ids: string[] }) =>
  db.selectFrom('acme_accounts').selectAll().where('url_id', 'in', p.ids),
);
/** An order link and its order; on PostgreSQL the order row is locked (FOR UPDATE OF orders), not the link. */
function orderRecordStatement(by: 'url_id' | 'order_id', lock: boolean) {
  return compiledOnce(['value'], (db, p: { value: string | number }) => {
    const q = orderRecordQuery(db).where(by === 'url_id' ? 'acme_orders.url_id' : 'acme_orders.order_id', '=', p.value);
    return lock ? q.forUpdate('orders') : q;
  });
}
/**
 * An order link and its order with its authorizations (links and the engine's rows), one row
 * per authorization, by the order's URL token: the order POST-as-GET and finalize read the
 * order and every authorization URL of its answer in one statement (they were two).
 */
function orderWithAuthorizationsStatement(lock: boolean) {
  return compiledOnce(['value'], (db, p: { value: string }) => {
    const q = orderRecordQuery(db)
      .leftJoin('authorizations', 'authorizations.order_id', 'orders.id')
      .leftJoin('acme_authorizations', 'acme_authorizations.authorization_id', 'authorizations.id')
      .select([
        'acme_authorizations.id as az_link_id',
        'acme_authorizations.url_id as az_url_id',
        'acme_authorizations.acme_account_id as az_acme_account_id',
        'acme_authorizations.expires_at as az_expires_at',
        'acme_authorizations.deactivated_at as az_deactivated_at',
        'authorizations.id as az_id',
        'authorizations.domain as az_domain',
        'authorizations.token as az_token',
        'authorizations.status as az_status',
        'authorizations.last_error as az_last_error',
        'authorizations.validated_at as az_validated_at',
      ])
      .where('acme_orders.url_id', '=', p.value)
      .orderBy('authorizations.id');
    return lock ? q.forUpdate('orders') : q;
  });
}
const orderWithAuthorizationsStatements = {
  plain: orderWithAuthorizationsStatement(false),
  locked: orderWithAuthorizationsStatement(true),
};
type OrderRecordRow = Awaited<ReturnType<ReturnType<typeof orderRecordQuery>['executeTakeFirstOrThrow']>>;
function orderRecordQuery(db: Db) {
  return db
    .selectFrom('acme_orders')
    .innerJoin('orders', 'orders.id', 'acme_orders.order_id')
    .selectAll('orders')
    .select([
      'acme_orders.id as link_id',
      'acme_orders.url_id as link_url_id',
      'acme_orders.acme_account_id as link_acme_account_id',
      'acme_orders.profile as link_profile',
      'acme_orders.replaces as link_replaces',
      'acme_orders.replaces_certificate_id as link_replaces_certificate_id',
      'acme_orders.expires_at as link_expires_at',
      'acme_orders.error as link_error',
      'acme_orders.created_at as link_created_at',
    ]);
}
const orderRecordStatements = {
  url_id: { plain: orderRecordStatement('url_id', false), locked: orderRecordStatement('url_id', true) },
  order_id: { plain: orderRecordStatement('order_id', false), locked: orderRecordStatement('order_id', true) },
};
/** ACME authorization links joined with the order engine's authorizations. */
const authzJoin = (db: Db) =>
  db
    .selectFrom('acme_authorizations')
    .innerJoin('authorizations', 'authorizations.id', 'acme_authorizations.authorization_id')
    .selectAll('acme_authorizations')
    .select([
      'authorizations.order_id',
      'authorizations.domain',
      'authorizations.token',
      'authorizations.status',
      'authorizations.last_error',
      'authorizations.validated_at',
    ]);
const authorizationsOfOrder = compiledOnce(['orderId'], (db, p: { orderId: number }) =>
  authzJoin(db).where('authorizations.order_id', '=', p.orderId).orderBy('authorizations.id'),
);
/** A challenge's columns beside its authorization's in one row (`ch_` prefixed). */
const CHALLENGE_COLUMNS = [
  'acme_challenges.id as ch_id',
  'acme_challenges.url_id as ch_url_id',
  'acme_challenges.type as ch_type',
  'acme_challenges.token as ch_token',
  'acme_challenges.status as ch_status',
  'acme_challenges.validated_at as ch_validated_at',
  'acme_challenges.error as ch_error',
] as const;
/** An authorization with its challenges, one row per challenge (none: a reused authorization). */
const authorizationByUrlId = compiledOnce(['urlId'], (db, p: { urlId: string }) =>
  authzJoin(db)
    .leftJoin('acme_challenges', 'acme_challenges.acme_authorization_id', 'acme_authorizations.id')
    .select(CHALLENGE_COLUMNS)
    .where('acme_authorizations.url_id', '=', p.urlId)
    .orderBy('acme_challenges.id'),
);
const authorizationById = compiledOnce(['id'], (db, p: { id: number }) =>
  authzJoin(db).where('acme_authorizations.id', '=', p.id),
);
const challengesOf = compiledOnce(['ids'], (db, p: { ids: number[] }) =>
  db.selectFrom('acme_challenges').selectAll().where('acme_authorization_id', 'in', p.ids).orderBy('id'),
);
const challengeByUrlId = compiledOnce(['urlId'], (db, p: { urlId: string }) =>
  db.selectFrom('acme_challenges').selectAll().where('url_id', '=', p.urlId),
);
/** What the certificate URL serves, by the order's URL token: one join instead of the order and its certificate row. */
const certificateOfOrder = compiledOnce(['urlId'], (db, p: { urlId: string }) =>
  db
    .selectFrom('acme_orders')
    .leftJoin('certificates', 'certificates.order_id', 'acme_orders.order_id')
    .select(['acme_orders.acme_account_id', 'certificates.state', 'certificates.cert_der', 'certificates.issuer_id'])
    .where('acme_orders.url_id', '=', p.urlId),
);
/** A challenge with its authorization (link and the engine's row): the challenge POST's one read. */
const challengeWithAuthorization = compiledOnce(['urlId'], (db, p: { urlId: string }) =>
  authzJoin(db)
    .innerJoin('acme_challenges', 'acme_challenges.acme_authorization_id', 'acme_authorizations.id')
    .select([
      ...CHALLENGE_COLUMNS,
      // How many names the order has (fixed when it is made): a one-name order is ready when
      // this challenge is valid, without reading its other authorizations (there are none).
      (eb) =>
        eb
          .selectFrom('authorizations as siblings')
          .select((e) => e.fn.countAll<number | string>().as('n'))
          .whereRef('siblings.order_id', '=', 'authorizations.order_id')
          .as('order_authorizations'),
    ])
    .where('acme_challenges.url_id', '=', p.urlId),
);
const challengeById = compiledOnce(['id'], (db, p: { id: number }) =>
  db.selectFrom('acme_challenges').selectAll().where('id', '=', p.id),
);

// The statements of every order (new order, challenge), compiled once too.
const insertOrderLinkStatement = compiledOnce(
  [
    'urlId',
    'orderId',
    'acmeAccountId',
    'profile',
    'replaces',
    'replacesCertificateId',
    'expiresAt',
    'error',
    'createdAt',
  ],
  (
    db,
    // The link as stored: no id yet, the problem document as JSON text.
    p: Omit<AcmeOrderLink, 'id' | 'error'> & { error: string | null },
  ) =>
    db
      .insertInto('acme_orders')
      .values({
        url_id: p.urlId,
        order_id: p.orderId,
        acme_account_id: p.acmeAccountId,
        profile: p.profile,
        replaces: p.replaces,
        replaces_certificate_id: p.replacesCertificateId,
        expires_at: p.expiresAt,
        error: p.error,
        created_at: p.createdAt,
      })
      .returningAll(),
);
const insertAuthorizationLinkStatement = compiledOnce(
  ['urlId', 'authorizationId', 'acmeAccountId', 'expiresAt', 'deactivatedAt'],
  (
    db,
    p: {
      urlId: string;
      authorizationId: number;
      acmeAccountId: number;
      expiresAt: number;
      deactivatedAt: number | null;
    },
  ) =>
    db
      .insertInto('acme_authorizations')
      .values({
        url_id: p.urlId,
        authorization_id: p.authorizationId,
        acme_account_id: p.acmeAccountId,
        expires_at: p.expiresAt,
        deactivated_at: p.deactivatedAt,
      })
      .returningAll(),
);
/** Challenges as lists of column values, one element per row (one compiled text per row count). */
const insertChallengesStatement = compiledOnce(
  ['urlIds', 'authorizationIds', 'types', 'tokens', 'statuses', 'validatedAts', 'errors'],
  (
    db,
    p: {
      urlIds: string[];
      authorizationIds: number[];
      types: AcmeChallenge['type'][];
      tokens: string[];
      statuses: AcmeChallengeStatus[];
      validatedAts: (number | null)[];
      errors: (string | null)[];
    },
  ) =>
    db.insertInto('acme_challenges').values(
      p.urlIds.map((urlId, i) => ({
        url_id: urlId,
        acme_authorization_id: p.authorizationIds[i]!,
        type: p.types[i]!,
        token: p.tokens[i]!,
        status: p.statuses[i]!,
        validated_at: p.validatedAts[i]!,
        error: p.errors[i]!,
      })),
    ),
);
const setChallengeStatus = compiledOnce(
  ['id', 'from', 'status'],
  (db, p: { id: number; from: AcmeChallengeStatus[]; status: AcmeChallengeStatus }) =>
    db.updateTable('acme_challenges').set({ status: p.status }).where('id', '=', p.id).where('status', 'in', p.from),
);
const settleChallenge = compiledOnce(
  ['id', 'from', 'status', 'validatedAt', 'error'],
  (
    db,
    p: {
      id: number;
      from: AcmeChallengeStatus[];
      status: AcmeChallengeStatus;
      validatedAt: number | null;
      error: string | null;
    },
  ) =>
    db
      .updateTable('acme_challenges')
      .set({ status: p.status, validated_at: p.validatedAt, error: p.error })
      .where('id', '=', p.id)
      .where('status', 'in', p.from),
);
const reusableAuthorizationStatement = compiledOnce(
  ['accountId', 'domain', 'since', 'now', 'valid'],
  (db, p: { accountId: number; domain: string; since: number; now: number; valid: 'valid' }) =>
    db
      .selectFrom('acme_authorizations')
      .innerJoin('authorizations', 'authorizations.id', 'acme_authorizations.authorization_id')
      .innerJoin('acme_accounts', 'acme_accounts.id', 'acme_authorizations.acme_account_id')
      .select(['authorizations.validated_at', 'acme_authorizations.expires_at'])
      .where('acme_accounts.account_id', '=', p.accountId)
      .where('authorizations.domain', '=', p.domain)
      .where('authorizations.status', '=', p.valid)
      .where('acme_authorizations.deactivated_at', 'is', null)
      .where('acme_authorizations.expires_at', '>', p.now)
      .where('authorizations.validated_at', '>', p.since)
      .orderBy('authorizations.validated_at', 'desc')
      .limit(1),
);

async function redeemMany(db: Db, uses: readonly { nonce: string; now: number }[]): Promise<boolean[]> {
  // Sorted: on PostgreSQL two batches sharing nonces lock their rows in one order (no deadlock).
  const nonces = [...new Set(uses.map((u) => u.nonce))].sort();
  const now = Math.max(...uses.map((u) => u.now));
  const { rows } = await redeemNonces(db, { nonces, now });
  const spent = new Set(rows.map((r) => r.nonce));
  return uses.map((u) => spent.delete(u.nonce));
}

export function acmeRepo(db: Db, kind: StoreKind) {
  const lockFor = <Q extends { forUpdate(): Q }>(q: Q): Q => (kind === 'postgres' ? q.forUpdate() : q);
  // Every ACME POST signed with `kid` reads its account: concurrent reads go in one statement
  // (batcher.ts), each answered with the row as read then, as if read alone.
  const accountsByUrlId = createBatcher(
    async (urlIds: string[]) => {
      const ids = [...new Set(urlIds)];
      const { rows } = await accountsByUrlIds(db, { ids });
      const byUrlId = new Map(rows.map((r) => [r.url_id, r]));
      return urlIds.map((u) => byUrlId.get(u));
    },
    { maxBatch: REDEEM_BATCH },
  );
  // Every ACME POST spends a nonce: concurrent requests spend theirs in one statement (batcher.ts).
  const redeem = createBatcher((uses: { nonce: string; now: number }[]) => redeemMany(db, uses), {
    maxBatch: REDEEM_BATCH,
  });
  /** An order link and its order in one statement (they were two reads per ACME answer). */
  async function orderRecord(by: 'url_id' | 'order_id', value: string | number): Promise<AcmeOrderRecord | undefined> {
    const statement = orderRecordStatements[by][kind === 'postgres' ? 'locked' : 'plain'];
    const [row] = (await statement(db, { value })).rows;
    return row && orderRecordFromRow(row);
  }
  function orderRecordFromRow(row: OrderRecordRow): AcmeOrderRecord {
    const link = orderLinkFromRow({
      id: row.link_id,
      url_id: row.link_url_id,
      order_id: row.id,
      acme_account_id: row.link_acme_account_id,
      profile: row.link_profile,
      replaces: row.link_replaces,
      replaces_certificate_id: row.link_replaces_certificate_id,
      expires_at: row.link_expires_at,
      error: row.link_error,
      created_at: row.link_created_at,
    });
    return { link, order: orderFromRow(row), deleted: row.deleted_at !== null };
  }
  return {
    // ---- EAB (RFC 8555 §7.3.4) ----
    async insertEab(k: AcmeEabKey): Promise<void> {
      await db
        .insertInto('acme_eab_keys')
        .values({
          key_id: k.keyId,
          account_id: k.accountId,
          product_code: k.productCode,
          hmac_sealed: k.hmacSealed,
          max_accounts: k.maxAccounts,
          used_accounts: k.usedAccounts,
          expires_at: k.expiresAt,
          revoked_at: k.revokedAt,
          created_at: k.createdAt,
        })
        .execute();
    },
    async getEab(keyId: string): Promise<AcmeEabKey | undefined> {
      const r = await db.selectFrom('acme_eab_keys').selectAll().where('key_id', '=', keyId).executeTakeFirst();
      return r && eabFromRow(r);
    },
    async listEab(accountId?: number): Promise<AcmeEabKey[]> {
      let q = db.selectFrom('acme_eab_keys').selectAll();
      if (accountId !== undefined) q = q.where('account_id', '=', accountId);
      return (await q.orderBy('created_at').execute()).map(eabFromRow);
    },
    async revokeEab(keyId: string, now: number): Promise<boolean> {
      const r = await db
        .updateTable('acme_eab_keys')
        .set({ revoked_at: now })
        .where('key_id', '=', keyId)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      return Number(r.numUpdatedRows) > 0;
    },
    /** Takes one account use of the key, in the statement: false when revoked, expired or used up. */
    async useEab(keyId: string, now: number): Promise<boolean> {
      const r = await db
        .updateTable('acme_eab_keys')
        .set((eb) => ({ used_accounts: eb('used_accounts', '+', 1) }))
        .where('key_id', '=', keyId)
        .where('revoked_at', 'is', null)
        .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
        .whereRef('used_accounts', '<', 'max_accounts')
        .executeTakeFirst();
      return Number(r.numUpdatedRows) > 0;
    },

    // ---- accounts ----
    async insertAccount(a: Omit<AcmeAccount, 'id'>): Promise<AcmeAccount> {
      return accountFromRow(
        await db
          .insertInto('acme_accounts')
          .values({
            url_id: a.urlId,
            account_id: a.accountId,
            product_code: a.productCode,
            eab_key_id: a.eabKeyId,
            jwk: JSON.stringify(a.jwk),
            thumbprint: a.thumbprint,
            status: a.status,
            contact: JSON.stringify(a.contact),
            created_at: a.createdAt,
          })
          .returningAll()
          .executeTakeFirstOrThrow(),
      );
    },
    async accountByUrlId(urlId: string): Promise<AcmeAccount | undefined> {
      const r = await accountsByUrlId(urlId);
      return r && accountFromRow(r);
    },
    async accountById(id: number): Promise<AcmeAccount | undefined> {
      const r = await db.selectFrom('acme_accounts').selectAll().where('id', '=', id).executeTakeFirst();
      return r && accountFromRow(r);
    },
    async accountByThumbprint(thumbprint: string): Promise<AcmeAccount | undefined> {
      const r = await db
        .selectFrom('acme_accounts')
        .selectAll()
        .where('thumbprint', '=', thumbprint)
        .executeTakeFirst();
      return r && accountFromRow(r);
    },
    async updateAccount(
      id: number,
      c: { contact?: string[]; status?: AcmeAccountStatus; jwk?: PublicJwk; thumbprint?: string },
    ): Promise<void> {
      await db
        .updateTable('acme_accounts')
        .set({
          ...(c.contact ? { contact: JSON.stringify(c.contact) } : {}),
          ...(c.status ? { status: c.status } : {}),
          ...(c.jwk ? { jwk: JSON.stringify(c.jwk) } : {}),
          ...(c.thumbprint ? { thumbprint: c.thumbprint } : {}),
        })
        .where('id', '=', id)
        .execute();
    },

    // ---- nonces (RFC 8555 §6.5) ----
    async issueNonces(nonces: readonly string[], expiresAt: number): Promise<void> {
      if (nonces.length === 0) return;
      await db
        .insertInto('acme_nonces')
        .values(nonces.map((nonce) => ({ nonce, expires_at: expiresAt })))
        .execute();
    },
    /** Spends a nonce: true for exactly one caller, whichever process it runs in (the row is deleted once). */
    async redeemNonce(nonce: string, now: number): Promise<boolean> {
      return redeem({ nonce, now });
    },
    async purgeNonces(now: number): Promise<number> {
      const r = await db.deleteFrom('acme_nonces').where('expires_at', '<=', now).executeTakeFirst();
      return Number(r.numDeletedRows);
    },

    // ---- orders ----
    async insertOrderLink(o: Omit<AcmeOrderLink, 'id'>): Promise<AcmeOrderLink> {
      const { rows } = await insertOrderLinkStatement(db, {
        urlId: o.urlId,
        orderId: o.orderId,
        acmeAccountId: o.acmeAccountId,
        profile: o.profile,
        replaces: o.replaces,
        replacesCertificateId: o.replacesCertificateId,
        expiresAt: o.expiresAt,
        error: o.error === null ? null : JSON.stringify(o.error),
        createdAt: o.createdAt,
      });
      return orderLinkFromRow(rows[0]!);
    },
    async setOrderError(id: number, error: AcmeProblemDoc): Promise<void> {
      await db
        .updateTable('acme_orders')
        .set({ error: JSON.stringify(error) })
        .where('id', '=', id)
        .execute();
    },
    async orderByUrlId(urlId: string): Promise<AcmeOrderRecord | undefined> {
      return orderRecord('url_id', urlId);
    },
    /** orderByUrlId with `authorizations` (by authorization id), in one statement. */
    async orderWithAuthorizationsByUrlId(urlId: string): Promise<AcmeOrderRecord | undefined> {
      const statement = orderWithAuthorizationsStatements[kind === 'postgres' ? 'locked' : 'plain'];
      const { rows } = await statement(db, { value: urlId });
      const [first] = rows;
      if (!first) return undefined;
      const authorizations: AcmeAuthorizationRecord[] = [];
      for (const r of rows)
        if (r.az_link_id !== null && r.az_id !== null)
          authorizations.push({
            link: {
              id: r.az_link_id,
              urlId: r.az_url_id!,
              authorizationId: r.az_id,
              acmeAccountId: r.az_acme_account_id!,
              expiresAt: r.az_expires_at!,
              deactivatedAt: r.az_deactivated_at,
            },
            authorization: authorizationFromRow({
              id: r.az_id,
              order_id: first.id,
              domain: r.az_domain!,
              token: r.az_token!,
              status: r.az_status!,
              last_error: r.az_last_error,
              validated_at: r.az_validated_at,
            }),
          });
      return { ...orderRecordFromRow(first), authorizations };
    },
    /**
     * The ordering ACME account and the order's certificate (state, DER in base64, issuer),
     * by the order's URL token; undefined when no such order, certificate fields null when
     * it has none yet.
     */
    async certificateOfOrder(urlId: string): Promise<
      | {
          acmeAccountId: number;
          state: string | null;
          certDer: string | null;
          issuerId: number | null;
        }
      | undefined
    > {
      const [r] = (await certificateOfOrder(db, { urlId })).rows;
      return (
        r && {
          acmeAccountId: r.acme_account_id,
          state: r.state,
          certDer: r.cert_der,
          issuerId: r.issuer_id,
        }
      );
    },
    async orderByOrderId(orderId: number): Promise<AcmeOrderRecord | undefined> {
      return orderRecord('order_id', orderId);
    },
    async withOrder(link: AcmeOrderLink): Promise<AcmeOrderRecord> {
      const row = await lockFor(
        db.selectFrom('orders').selectAll().where('id', '=', link.orderId),
      ).executeTakeFirstOrThrow();
      return { link, order: orderFromRow(row), deleted: row.deleted_at !== null };
    },
    /**
     * The orders replacing certificate `certificateId` (RFC 9773 §5). In a write transaction on
     * PostgreSQL the certificate row is locked first, so that of two concurrent replacements
     * the second sees the first (SQLite's write transaction holds the whole database).
     */
    async replacementsOf(certificateId: number): Promise<AcmeOrderRecord[]> {
      await lockFor(db.selectFrom('certificates').select('id').where('id', '=', certificateId)).execute();
      const links = await db
        .selectFrom('acme_orders')
        .selectAll()
        .where('replaces_certificate_id', '=', certificateId)
        .execute();
      const out: AcmeOrderRecord[] = [];
      for (const l of links) out.push(await this.withOrder(orderLinkFromRow(l)));
      return out;
    },
    /** The account's orders, newest first, `limit` from before `beforeId` (RFC 8555 §7.1.2.1 orders list). */
    async listOrders(acmeAccountId: number, limit: number, beforeId?: number): Promise<AcmeOrderRecord[]> {
      let q = db.selectFrom('acme_orders').selectAll().where('acme_account_id', '=', acmeAccountId);
      if (beforeId !== undefined) q = q.where('id', '<', beforeId);
      const links = await q.orderBy('id', 'desc').limit(limit).execute();
      const out: AcmeOrderRecord[] = [];
      for (const l of links) out.push(await this.withOrder(orderLinkFromRow(l)));
      return out;
    },
    /** The account's orders created at or after `since`, oldest first (§6.6 rate limit, sliding window). */
    async orderTimesSince(acmeAccountId: number, since: number, limit: number): Promise<number[]> {
      const rows = await db
        .selectFrom('acme_orders')
        .select('created_at')
        .where('acme_account_id', '=', acmeAccountId)
        .where('created_at', '>=', since)
        .orderBy('created_at')
        .limit(limit)
        .execute();
      return rows.map((r) => r.created_at);
    },
    /** Orders still waiting (pending or ready) past their expiry: their units go back (sweep). */
    async expiredWaiting(now: number, limit: number): Promise<AcmeOrderLink[]> {
      const rows = await db
        .selectFrom('acme_orders')
        .innerJoin('orders', 'orders.id', 'acme_orders.order_id')
        .selectAll('acme_orders')
        .where('acme_orders.expires_at', '<', now)
        .where('orders.state', 'in', ['domain_verify', 'ready'])
        .where('orders.deleted_at', 'is', null)
        .limit(limit)
        .execute();
      return rows.map(orderLinkFromRow);
    },

    // ---- authorizations and challenges ----
    async insertAuthorizationLink(a: Omit<AcmeAuthorizationLink, 'id'>): Promise<AcmeAuthorizationLink> {
      const { rows } = await insertAuthorizationLinkStatement(db, {
        urlId: a.urlId,
        authorizationId: a.authorizationId,
        acmeAccountId: a.acmeAccountId,
        expiresAt: a.expiresAt,
        deactivatedAt: a.deactivatedAt,
      });
      return authzLinkFromRow(rows[0]!);
    },
    async authorizationsForOrder(orderId: number): Promise<AcmeAuthorizationRecord[]> {
      const { rows } = await authorizationsOfOrder(db, { orderId });
      return rows.map(authzRecordFromRow);
    },
    // A link, its authorization and its challenges in one statement (they were three reads
    // per authorization POST-as-GET).
    async authorizationByUrlId(
      urlId: string,
    ): Promise<(AcmeAuthorizationRecord & { orderId: number; challenges: AcmeChallenge[] }) | undefined> {
      const { rows } = await authorizationByUrlId(db, { urlId });
      const [r] = rows;
      if (!r) return undefined;
      const challenges: AcmeChallenge[] = [];
      for (const c of rows)
        if (c.ch_id !== null)
          challenges.push(
            challengeFromRow({
              id: c.ch_id,
              url_id: c.ch_url_id!,
              acme_authorization_id: c.id,
              type: c.ch_type!,
              token: c.ch_token!,
              status: c.ch_status!,
              validated_at: c.ch_validated_at,
              error: c.ch_error,
            }),
          );
      return { ...authzRecordFromRow(r), orderId: r.order_id, challenges };
    },
    async authorizationById(id: number): Promise<(AcmeAuthorizationRecord & { orderId: number }) | undefined> {
      const [r] = (await authorizationById(db, { id })).rows;
      return r && { ...authzRecordFromRow(r), orderId: r.order_id };
    },
    async authorizationRecord(link: AcmeAuthorizationLink): Promise<AcmeAuthorizationRecord & { orderId: number }> {
      const a = await db
        .selectFrom('authorizations')
        .selectAll()
        .where('id', '=', link.authorizationId)
        .executeTakeFirstOrThrow();
      return { link, authorization: authorizationFromRow(a), orderId: a.order_id };
    },
    async deactivateAuthorization(id: number, now: number): Promise<boolean> {
      const r = await db
        .updateTable('acme_authorizations')
        .set({ deactivated_at: now })
        .where('id', '=', id)
        .where('deactivated_at', 'is', null)
        .executeTakeFirst();
      return Number(r.numUpdatedRows) > 0;
    },
    /** Deactivates every pending authorization of an account (RFC 8555 §7.3.6). */
    async deactivatePendingOf(acmeAccountId: number, now: number): Promise<void> {
      await db
        .updateTable('acme_authorizations')
        .set({ deactivated_at: now })
        .where('acme_account_id', '=', acmeAccountId)
        .where('deactivated_at', 'is', null)
        .where('authorization_id', 'in', (eb) =>
          eb.selectFrom('authorizations').select('id').where('status', '=', 'pending'),
        )
        .execute();
    },
    /**
     * Valid authorizations of the customer's ACME accounts for `domain` validated after
     * `since` (RFC 8555 §7.1.4 reuse within the BR 4.2.1 DCV reuse period).
     */
    async reusableAuthorization(
      accountId: number,
      domain: string,
      since: number,
      now: number,
    ): Promise<{ validatedAt: number; expiresAt: number } | undefined> {
      const [r] = (await reusableAuthorizationStatement(db, { accountId, domain, since, now, valid: 'valid' })).rows;
      return r && r.validated_at !== null ? { validatedAt: r.validated_at, expiresAt: r.expires_at } : undefined;
    },
    async insertChallenges(cs: Omit<AcmeChallenge, 'id'>[]): Promise<void> {
      if (cs.length === 0) return;
      await insertChallengesStatement(db, {
        urlIds: cs.map((c) => c.urlId),
        authorizationIds: cs.map((c) => c.acmeAuthorizationId),
        types: cs.map((c) => c.type),
        tokens: cs.map((c) => c.token),
        statuses: cs.map((c) => c.status),
        validatedAts: cs.map((c) => c.validatedAt),
        errors: cs.map((c) => (c.error === null ? null : JSON.stringify(c.error))),
      });
    },
    async challengesFor(acmeAuthorizationIds: readonly number[]): Promise<AcmeChallenge[]> {
      if (acmeAuthorizationIds.length === 0) return [];
      const ids = [...acmeAuthorizationIds];
      return (await challengesOf(db, { ids })).rows.map(challengeFromRow);
    },
    async challengeByUrlId(urlId: string): Promise<AcmeChallenge | undefined> {
      const [r] = (await challengeByUrlId(db, { urlId })).rows;
      return r && challengeFromRow(r);
    },
    /** A challenge and its authorization in one statement (they were two reads per challenge POST). */
    async challengeWithAuthorization(urlId: string): Promise<
      | {
          challenge: AcmeChallenge;
          authz: AcmeAuthorizationRecord & { orderId: number; orderAuthorizations: number };
        }
      | undefined
    > {
      const [r] = (await challengeWithAuthorization(db, { urlId })).rows;
      if (!r) return undefined;
      return {
        challenge: challengeFromRow({
          id: r.ch_id,
          url_id: r.ch_url_id,
          acme_authorization_id: r.id,
          type: r.ch_type,
          token: r.ch_token,
          status: r.ch_status,
          validated_at: r.ch_validated_at,
          error: r.ch_error,
        }),
        authz: { ...authzRecordFromRow(r), orderId: r.order_id, orderAuthorizations: Number(r.order_authorizations) },
      };
    },
    async challengeById(id: number): Promise<AcmeChallenge | undefined> {
      const [r] = (await challengeById(db, { id })).rows;
      return r && challengeFromRow(r);
    },
    /** Moves a challenge on, only from `from` (a compare-and-set: one writer wins). */
    async setChallenge(
      id: number,
      from: readonly AcmeChallengeStatus[],
      to: { status: AcmeChallengeStatus; validatedAt?: number | null; error?: AcmeProblemDoc | null },
    ): Promise<boolean> {
      const error = to.error === undefined ? undefined : to.error === null ? null : JSON.stringify(to.error);
      const r =
        to.validatedAt === undefined && error === undefined
          ? await setChallengeStatus(db, { id, from: [...from], status: to.status })
          : to.validatedAt !== undefined && error !== undefined
            ? await settleChallenge(db, { id, from: [...from], status: to.status, validatedAt: to.validatedAt, error })
            : await db
                .updateTable('acme_challenges')
                .set({
                  status: to.status,
                  ...(to.validatedAt !== undefined ? { validated_at: to.validatedAt } : {}),
                  ...(error !== undefined ? { error } : {}),
                })
                .where('id', '=', id)
                .where('status', 'in', [...from])
                .executeTakeFirst()
                .then((x) => ({ numAffectedRows: x.numUpdatedRows }));
      return Number(r.numAffectedRows ?? 0n) > 0;
    },
  };
}
