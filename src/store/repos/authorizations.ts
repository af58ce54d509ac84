import type { Insertable } from 'kysely';
import type { Db } from '../store.js';
import type { AuthorizationRow, AuthorizationsTable } from '../schema.js';

export function authorizationRepo(db: Db) {
  return {
    async insertMany(rows: Insertable<AuthorizationsTable>[]): Promise<void> {
      if (rows.length > 0) await db.insertInto('authorizations').values(rows).execute();
    },
    async forOrder(orderId: number): Promise<AuthorizationRow[]> {
      return db.selectFrom('authorizations').selectAll().where('order_id', '=', orderId).orderBy('id').execute();
    },
    async setOutcome(
      id: number,
      outcome: { status: string; lastError: string | null; validatedAt: number | null },
    ): Promise<void> {
      await db
        .updateTable('authorizations')
        .set({ status: outcome.status, last_error: outcome.lastError, validated_at: outcome.validatedAt })
        .where('id', '=', id)
        .execute();
    },
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
