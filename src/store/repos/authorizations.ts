import type { QueryResult } from 'kysely';
import type { Db } from '../store.js';
import type { AuthorizationRow } from '../schema.js';
import { compiledOnce } from '../compiled-once.js';
import type { Authorization, AuthorizationStatus } from '../../domain/order.js';
import { authorizationFromRow, authorizationToRow, type NewAuthorization } from '../mappers.js';

// Read and written on every validation attempt (compiled-once.ts).
const authorizationsOfOrder = compiledOnce(['orderId'], (db, p: { orderId: number }) =>
  db.selectFrom('authorizations').selectAll().where('order_id', '=', p.orderId).orderBy('id'),
);
const setAuthorizationOutcome = compiledOnce(
  ['id', 'status', 'lastError', 'validatedAt'],
  (db, p: { id: number; status: AuthorizationStatus; lastError: string | null; validatedAt: number | null }) =>
    db
      .updateTable('authorizations')
      .set({ status: p.status, last_error: p.lastError, validated_at: p.validatedAt })
      .where('id', '=', p.id),
);

type AuthorizationInsertValues = ReturnType<typeof authorizationToRow>;
const AUTHORIZATION_COLUMNS = [
  'order_id',
  'domain',
  'token',
  'status',
  'last_error',
  'validated_at',
] as const satisfies readonly (keyof AuthorizationInsertValues)[];
/** Orders of up to this many names have their insert compiled once (one per count); larger ones are built per call. */
const MAX_COMPILED_ROWS = 8;
type InsertStatement = (db: Db, values: Record<string, unknown>) => Promise<QueryResult<AuthorizationRow>>;
const insertStatements = new Map<number, InsertStatement>();

/**
 * The insert of an order's authorizations, once per order, compiled once per row count
 * (compiled-once.ts); values are named `<column>@<row>`.
 */
function insertStatement(count: number): InsertStatement {
  let s = insertStatements.get(count);
  if (s === undefined) {
    const rows = Array.from({ length: count }, (_, i) => i);
    s = compiledOnce<Record<string, unknown>, AuthorizationRow>(
      rows.flatMap((i) => AUTHORIZATION_COLUMNS.map((c) => `${c}@${i}`)),
      (db, p) =>
        db
          .insertInto('authorizations')
          .values(
            rows.map(
              (i) =>
                Object.fromEntries(
                  AUTHORIZATION_COLUMNS.map((c) => [c, p[`${c}@${i}`]]),
                ) as unknown as AuthorizationInsertValues,
            ),
          )
          .returningAll(),
    );
    insertStatements.set(count, s);
  }
  return s;
}

export function authorizationRepo(db: Db) {
  return {
    /** The rows as inserted, in id order (as forOrder reads them), so the caller need not read them back. */
    async insertMany(authorizations: NewAuthorization[]): Promise<Authorization[]> {
      if (authorizations.length === 0) return [];
      let rows: AuthorizationRow[];
      if (authorizations.length <= MAX_COMPILED_ROWS) {
        const values: Record<string, unknown> = {};
        authorizations.forEach((a, i) => {
          const row = authorizationToRow(a);
          for (const c of AUTHORIZATION_COLUMNS) values[`${c}@${i}`] = row[c];
        });
        rows = (await insertStatement(authorizations.length)(db, values)).rows;
      } else {
        rows = await db
          .insertInto('authorizations')
          .values(authorizations.map(authorizationToRow))
          .returningAll()
          .execute();
      }
      return rows.map(authorizationFromRow).sort((a, b) => a.id - b.id);
    },
    async forOrder(orderId: number): Promise<Authorization[]> {
      return (await authorizationsOfOrder(db, { orderId })).rows.map(authorizationFromRow);
    },
    async setOutcome(
      id: number,
      outcome: { status: AuthorizationStatus; lastError: string | null; validatedAt: number | null },
    ): Promise<void> {
      await setAuthorizationOutcome(db, {
        id,
        status: outcome.status,
        lastError: outcome.lastError,
        validatedAt: outcome.validatedAt,
      });
    },
    /** A fresh random value, to be proven again (BR 3.2.2.4 v2.2.6: each value is single-use). */
    async replaceToken(id: number, token: string): Promise<void> {
      await db
        .updateTable('authorizations')
        .set({ token, status: 'pending', last_error: null, validated_at: null })
        .where('id', '=', id)
        .execute();
    },
    async resetForOrder(orderId: number): Promise<void> {
      await db
        .updateTable('authorizations')
        .set({ status: 'pending', last_error: null, validated_at: null })
        .where('order_id', '=', orderId)
        .execute();
    },
  };
}
