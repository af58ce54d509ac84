import type { Db } from '../store.js';
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

export function authorizationRepo(db: Db) {
  return {
    /** The rows as inserted, in id order (as forOrder reads them), so the caller need not read them back. */
    async insertMany(authorizations: NewAuthorization[]): Promise<Authorization[]> {
      if (authorizations.length === 0) return [];
      const rows = await db
        .insertInto('authorizations')
        .values(authorizations.map(authorizationToRow))
        .returningAll()
        .execute();
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
