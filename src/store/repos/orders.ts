import { sql, type QueryResult, type Updateable } from 'kysely';
import type { Db, StoreKind } from '../store.js';
import { compiledOnce } from '../compiled-once.js';
import type { CertificateRow, OrderRow, OrdersTable } from '../schema.js';
import {
  DELETABLE_STATES,
  canTransition,
  isInitialOrderState,
  predecessorsOf,
  type Order,
  type OrderChanges,
  type OrderState,
  type PreviousState,
} from '../../domain/order.js';
import type { Certificate } from '../../domain/certificate.js';
import { certificateFromRow, orderChangesToRow, orderFromRow, orderToRow, type NewOrder } from '../mappers.js';
import { containsText } from './like.js';
import { createBatcher } from '../batcher.js';
import { CERTIFICATE_COLUMNS } from './certificates.js';
import type { PreparedQuery } from '../postgres/open-postgres.js';

export interface OrderListQuery {
  accountId: number;
  /** Only orders whose issued certificate matches these date bounds (derived statuses). */
  certificate?: { validAt?: number; expiredAt?: number; notAfterBetween?: [number, number] };
  keyword?: string;
  states?: readonly OrderState[];
  offset: number;
  limit: number;
}

export interface OrderWithCertificate {
  order: Order;
  certificate: Certificate | undefined;
}

/**
 * A move of the state machine: to `to`, from any state the table allows before it, or only
 * from `from` (a subset of those: the state the caller read, for a compare-and-set).
 */
export interface OrderMove<T extends OrderState> {
  to: T;
  from?: readonly PreviousState<T>[];
}

// Every column of the two tables, for the one statement that reads an order with its
// certificate on PostgreSQL (a join names its columns; `satisfies` keeps the lists complete).
const ORDER_COLUMNS = Object.keys({
  id: 1,
  account_id: 1,
  plan_id: 1,
  product_code: 1,
  state: 1,
  domains: 1,
  validate_type: 1,
  key_algorithm: 1,
  spki: 1,
  csr_der: 1,
  key_sealed: 1,
  contact_name: 1,
  contact_phone: 1,
  contact_email: 1,
  company_id: 1,
  company: 1,
  tags: 1,
  fail_reason: 1,
  approved_at: 1,
  validation_deadline: 1,
  caa_checked_at: 1,
  renewed_from: 1,
  validity_hours: 1,
  created_at: 1,
  updated_at: 1,
  deleted_at: 1,
} satisfies Record<keyof OrdersTable, 1>);
/** The states whose order has a signed certificate: getWithCertificate reads the certificate only for these. */
const ISSUED_STATES = ['certificate', 'revoked'] as const satisfies readonly OrderState[];
const ISSUED_ORDER_STATES: ReadonlySet<string> = new Set(ISSUED_STATES);

// One snapshot for both rows: an order never reads as issued beside its unsigned certificate.
const ORDERS_WITH_CERTIFICATES_PG = `select ${[...ORDER_COLUMNS.map((c) => `o.${c}`), ...CERTIFICATE_COLUMNS.map((c) => `c.${c}`)].join(', ')}
  from orders o left join certificates c
    on c.order_id = o.id and o.state in (${ISSUED_STATES.map((s) => `'${s}'`).join(', ')})
  where o.id = any($1::bigint[]) and o.deleted_at is null`;

function rowFrom<R>(columns: readonly string[], values: readonly unknown[], offset: number): R {
  const row: Record<string, unknown> = {};
  columns.forEach((c, i) => (row[c] = values[offset + i]));
  return row as R;
}

/** The hottest read of the order pipeline (compiled-once.ts): several per order. */
const liveOrderById = compiledOnce(['id'], (db, p: { id: number }) =>
  db.selectFrom('orders').selectAll().where('id', '=', p.id).where('deleted_at', 'is', null),
);

/**
 * getWithCertificate's batched reads on SQLite, compiled once per list length (compiled-once.ts):
 * a batch holds at most the requests in flight, so the lengths repeat.
 */
const liveOrdersByIds = compiledOnce(['ids'], (db, p: { ids: number[] }) =>
  db.selectFrom('orders').selectAll().where('id', 'in', p.ids).where('deleted_at', 'is', null),
);
const certificatesOfOrders = compiledOnce(['ids'], (db, p: { ids: number[] }) =>
  db.selectFrom('certificates').selectAll().where('order_id', 'in', p.ids),
);

type OrderInsertValues = ReturnType<typeof orderToRow>;

/**
 * The order row itself, on SQLite (PostgreSQL takes the unit in the same statement): every
 * column a value (orderToRow sets them all), compiled once (compiled-once.ts); built per call it
 * was the costliest compile of a submission.
 */
const insertOrderRow = compiledOnce(
  ORDER_COLUMNS.filter((c) => c !== 'id') as (keyof OrderInsertValues)[],
  (db, row: OrderInsertValues) => db.insertInto('orders').values(row).returningAll(),
);

/**
 * An order takes a unit of its plan (plans.used_count, migration 0016) in its insert's
 * transaction; the guard refuses a unit the plan does not have, so the count never passes
 * the plan's total even for a caller that skipped the look for room.
 */
const takePlanUnit = compiledOnce(['planId'], (db, p: { planId: number }) =>
  db
    .updateTable('plans')
    .set((eb) => ({ used_count: eb('used_count', '+', 1) }))
    .where('id', '=', p.planId)
    .whereRef('used_count', '<', 'total_count'),
);

/** Distinct column sets kept compiled (the callers' change sets are a handful; the bound guards a mistake). */
const MAX_UPDATE_SHAPES = 64;
type UpdateStatement = (db: Db, values: Record<string, unknown>) => Promise<QueryResult<unknown>>;
const updateStatements = new Map<string, UpdateStatement>();

/**
 * moveOrder's and update's statements, compiled once per set of changed columns and whether
 * the state is checked (compiled-once.ts): two to three per order on the order pipeline, and
 * built per call they were most of Kysely's compiling there. Values are named `set:<column>`,
 * `id` and `from` (a list: one text per its length).
 */
function updateStatement(columns: readonly string[], guarded: boolean): UpdateStatement {
  const key = `${guarded ? 'move' : 'update'}:${columns.join(',')}`;
  let s = updateStatements.get(key);
  if (s === undefined) {
    if (updateStatements.size >= MAX_UPDATE_SHAPES) updateStatements.delete(updateStatements.keys().next().value!);
    const names = [...columns.map((c) => `set:${c}`), 'id', ...(guarded ? ['from'] : [])];
    s = compiledOnce<Record<string, unknown>, unknown>(names, (db, p) => {
      const set: Updateable<OrdersTable> = Object.fromEntries(columns.map((c) => [c, p[`set:${c}`]]));
      const q = db
        .updateTable('orders')
        .set(set)
        .where('id', '=', p.id as number);
      return guarded ? q.where('state', 'in', p.from as OrderState[]).where('deleted_at', 'is', null) : q;
    });
    updateStatements.set(key, s);
  }
  return s;
}

/** The values of updateStatement: the row's defined columns (Kysely's `set` skips undefined ones too). */
function updateValues(row: Record<string, unknown>): { columns: string[]; values: Record<string, unknown> } {
  const columns: string[] = [];
  const values: Record<string, unknown> = {};
  for (const c in row) {
    const v = row[c];
    if (v === undefined) continue;
    columns.push(c);
    values[`set:${c}`] = v;
  }
  return { columns, values };
}

export function orderRepo(db: Db, kind: StoreKind, prepared?: PreparedQuery) {
  // The busiest API path (DescribeCertificateState) reads one order and its certificate.
  // Concurrent calls are grouped (store/batcher.ts) into one `id IN (...)` read: on
  // PostgreSQL one join, on SQLite (no round trip to save) the two tables one after the other.
  const getWithCertificate = createBatcher(
    async (keys: { accountId: number; id: number }[]): Promise<(OrderWithCertificate | undefined)[]> => {
      const ids = [...new Set(keys.map((k) => k.id))];
      const found = new Map<number, OrderWithCertificate>();
      if (prepared) {
        const certIdAt = ORDER_COLUMNS.length;
        for (const values of await prepared.arrays('certdesk_orders_with_certificates', ORDERS_WITH_CERTIFICATES_PG, [
          ids,
        ])) {
          const order = orderFromRow(rowFrom<OrderRow>(ORDER_COLUMNS, values, 0));
          found.set(order.id, {
            order,
            certificate:
              values[certIdAt] === null
                ? undefined
                : certificateFromRow(rowFrom<CertificateRow>(CERTIFICATE_COLUMNS, values, certIdAt)),
          });
        }
      } else {
        const orders = (await liveOrdersByIds(db, { ids })).rows;
        const issuedIds = orders.filter((o) => ISSUED_ORDER_STATES.has(o.state)).map((o) => o.id);
        const certificates = issuedIds.length === 0 ? [] : (await certificatesOfOrders(db, { ids: issuedIds })).rows;
        const certByOrder = new Map(certificates.map((c) => [c.order_id, c]));
        for (const row of orders) {
          const cert = certByOrder.get(row.id);
          found.set(row.id, { order: orderFromRow(row), certificate: cert && certificateFromRow(cert) });
        }
      }
      return keys.map((k) => {
        const f = found.get(k.id);
        return f && f.order.accountId === k.accountId ? f : undefined;
      });
    },
  );

  return {
    /**
     * A live order of this account with, once it is issued (states 'certificate' and
     * 'revoked'), its certificate row; read together with the concurrent calls: for read
     * paths outside transactions. An order in any other state is answered without its
     * certificate row (an unsigned intent at most, which no reader shows), so the polls of
     * orders waiting for validation read one table.
     */
    getWithCertificate(accountId: number, id: number): Promise<OrderWithCertificate | undefined> {
      return getWithCertificate({ accountId, id });
    },
    /** A new order, in an initial state of the table (INITIAL_ORDER_STATES). */
    async insert(order: NewOrder): Promise<Order> {
      // The type says so already; this holds for callers that cast.
      const state: string = order.state;
      if (!isInitialOrderState(state)) throw new Error(`an order cannot be created in state ${state}`);
      if (kind === 'postgres') {
        // One round trip: the unit taken in a data-modifying WITH, the order's plan_id read
        // from it, so a plan without a free unit leaves plan_id null and the insert refused.
        try {
          return orderFromRow(
            await db
              .with('took', (qb) =>
                qb
                  .updateTable('plans')
                  .set((eb) => ({ used_count: eb('used_count', '+', 1) }))
                  .where('id', '=', order.planId)
                  .whereRef('used_count', '<', 'total_count')
                  .returning('id'),
              )
              .insertInto('orders')
              .values({ ...orderToRow(order), plan_id: sql<number>`(select id from took)` })
              .returningAll()
              .executeTakeFirstOrThrow(),
          );
        } catch (e) {
          if (
            (e as { code?: string; column?: string }).code === '23502' &&
            (e as { column?: string }).column === 'plan_id'
          )
            throw new Error(`plan ${order.planId} has no free unit`, { cause: e });
          throw e;
        }
      }
      const took = await takePlanUnit(db, { planId: order.planId });
      if (Number(took.numAffectedRows ?? 0) === 0) throw new Error(`plan ${order.planId} has no free unit`);
      const [row] = (await insertOrderRow(db, orderToRow(order))).rows;
      return orderFromRow(row!);
    },
    /** A live (not deleted) order of this account. */
    async get(accountId: number, id: number): Promise<Order | undefined> {
      const row = await db
        .selectFrom('orders')
        .selectAll()
        .where('id', '=', id)
        .where('account_id', '=', accountId)
        .where('deleted_at', 'is', null)
        .executeTakeFirst();
      return row && orderFromRow(row);
    },
    /** For the worker and operators: any live order by id. */
    async getById(id: number): Promise<Order | undefined> {
      const [row] = (await liveOrderById(db, { id })).rows;
      return row && orderFromRow(row);
    },
    /**
     * The same, locking the row until the transaction ends (PostgreSQL; SQLite's write
     * transaction already excludes every other writer).
     */
    async getForUpdate(id: number): Promise<Order | undefined> {
      let q = db.selectFrom('orders').selectAll().where('id', '=', id).where('deleted_at', 'is', null);
      if (kind === 'postgres') q = q.forUpdate();
      const row = await q.executeTakeFirst();
      return row && orderFromRow(row);
    },
    /**
     * The one writer of an order's state. The statement itself refuses what the state table
     * (domain/order.ts) does not allow: it changes the row only while the order is in one
     * of the states allowed before `to` (or in `move.from`, a subset of them), so two writers
     * (API and worker, two processes) cannot both act on what they read. False when the
     * order is no longer there or no longer in such a state; a move the table never allows
     * is a programming error and throws.
     */
    async moveOrder<T extends OrderState>(
      id: number,
      move: OrderMove<T>,
      changes: OrderChanges = {},
    ): Promise<boolean> {
      // The type parameter has done its work at the call site; here the move is checked again at run time.
      const { to, from: only } = move as unknown as { to: OrderState; from?: readonly OrderState[] };
      const from = only ?? predecessorsOf(to);
      const refused = from.filter((s) => !canTransition(s, to));
      if (refused.length > 0 || from.length === 0)
        throw new Error(`the order state table has no move ${refused.join('|') || '(nothing)'} -> ${to}`);
      const { columns, values } = updateValues({ ...orderChangesToRow(changes), state: to });
      const r = await updateStatement(columns, true)(db, { ...values, id, from: [...from] });
      return Number(r.numAffectedRows ?? 0) > 0;
    },
    /** moveOrder for many orders in one statement (a mass revocation's batch): how many moved. */
    async moveOrders<T extends OrderState>(
      ids: readonly number[],
      move: OrderMove<T>,
      changes: OrderChanges = {},
    ): Promise<number> {
      if (ids.length === 0) return 0;
      const { to, from: only } = move as unknown as { to: OrderState; from?: readonly OrderState[] };
      const from = only ?? predecessorsOf(to);
      const refused = from.filter((s) => !canTransition(s, to));
      if (refused.length > 0 || from.length === 0)
        throw new Error(`the order state table has no move ${refused.join('|') || '(nothing)'} -> ${to}`);
      const r = await db
        .updateTable('orders')
        .set({ ...orderChangesToRow(changes), state: to })
        .where('id', 'in', [...ids])
        .where('state', 'in', [...from])
        .where('deleted_at', 'is', null)
        .executeTakeFirst();
      return Number(r.numUpdatedRows);
    },
    /** Live orders by id (event sinks of a batch). */
    async getManyById(ids: readonly number[]): Promise<Order[]> {
      if (ids.length === 0) return [];
      const rows = await db
        .selectFrom('orders')
        .selectAll()
        .where('id', 'in', [...ids])
        .where('deleted_at', 'is', null)
        .execute();
      return rows.map(orderFromRow);
    },
    /** Changes fields other than the state. */
    async update(id: number, changes: OrderChanges): Promise<void> {
      const { columns, values } = updateValues(orderChangesToRow(changes));
      // Nothing to change: no statement (`update ... set` with no column is not SQL).
      if (columns.length === 0) return;
      await updateStatement(columns, false)(db, { ...values, id });
    },
    /**
     * Deletion is not a state: a failed or pending order gets deleted_at, and its plan unit is
     * free again (the plan's counter, in the same transaction; ACME's invalid and expired
     * orders give theirs back this way).
     */
    async markDeleted(id: number, now: number): Promise<boolean> {
      const r = await db
        .updateTable('orders')
        .set({ deleted_at: now, updated_at: now })
        .where('id', '=', id)
        .where('state', 'in', [...DELETABLE_STATES])
        .where('deleted_at', 'is', null)
        .executeTakeFirst();
      if (Number(r.numUpdatedRows) === 0) return false;
      await db
        .updateTable('plans')
        .set((eb) => ({ used_count: eb('used_count', '-', 1) }))
        .where('id', '=', (eb) => eb.selectFrom('orders').select('plan_id').where('id', '=', id))
        .execute();
      return true;
    },
    async list(q: OrderListQuery): Promise<{ total: number; orders: Order[] }> {
      let base = db.selectFrom('orders').where('account_id', '=', q.accountId).where('deleted_at', 'is', null);
      if (q.states && q.states.length > 0) base = base.where('state', 'in', [...q.states]);
      const c = q.certificate;
      if (c) {
        base = base.where('id', 'in', (eb) => {
          let sub = eb
            .selectFrom('certificates')
            .select('order_id')
            .where('account_id', '=', q.accountId)
            .where('state', '=', 'issued')
            .where('order_id', 'is not', null);
          if (c.validAt !== undefined) sub = sub.where('not_after', '>=', c.validAt);
          if (c.expiredAt !== undefined) sub = sub.where('not_after', '<', c.expiredAt);
          if (c.notAfterBetween)
            sub = sub.where('not_after', '>=', c.notAfterBetween[0]).where('not_after', '<=', c.notAfterBetween[1]);
          // Reassigning `sub` widens its type past what `in` accepts; the query is the same.
          // eslint-disable-next-line @typescript-eslint/no-unsafe-return, @typescript-eslint/no-explicit-any
          return sub as any;
        });
      }
      if (q.keyword) {
        const kw = q.keyword;
        base = base.where((eb) =>
          eb.or([containsText(eb.ref('domains'), kw), containsText(eb.cast('id', 'text'), kw)]),
        );
      }
      const { n } = await base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      const rows = await base.selectAll().orderBy('id', 'desc').offset(q.offset).limit(q.limit).execute();
      return { total: Number(n), orders: rows.map(orderFromRow) };
    },
    async listForOperator(q: { state?: OrderState; accountId?: number; limit: number }): Promise<Order[]> {
      let base = db.selectFrom('orders').selectAll().where('deleted_at', 'is', null);
      if (q.state) base = base.where('state', '=', q.state);
      if (q.accountId !== undefined) base = base.where('account_id', '=', q.accountId);
      return (await base.orderBy('id').limit(q.limit).execute()).map(orderFromRow);
    },
    async lockAccount(accountId: number): Promise<void> {
      // Serializes submissions of one account across processes (PostgreSQL), so that the
      // quota check and the insert cannot interleave with another submission's.
      if (kind === 'postgres')
        await db.selectFrom('accounts').select('id').where('id', '=', accountId).forUpdate().execute();
    },
  };
}
