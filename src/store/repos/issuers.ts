import type { Db } from '../store.js';
import type { IssuerRow } from '../schema.js';
import type { Insertable } from 'kysely';
import type { IssuersTable } from '../schema.js';

export function issuerRepo(db: Db) {
  return {
    async insert(row: Insertable<IssuersTable>): Promise<IssuerRow> {
      return db.insertInto('issuers').values(row).returningAll().executeTakeFirstOrThrow();
    },
    async listActive(): Promise<IssuerRow[]> {
      return db.selectFrom('issuers').selectAll().where('active', '=', 1).orderBy('id').execute();
    },
    /** Every issuer, retired ones too (they still sign their certificates' CRLs and OCSP), oldest first. */
    async listAll(): Promise<IssuerRow[]> {
      return db.selectFrom('issuers').selectAll().orderBy('id').execute();
    },
    async setActive(id: number, active: boolean): Promise<void> {
      await db
        .updateTable('issuers')
        .set({ active: active ? 1 : 0 })
        .where('id', '=', id)
        .execute();
    },
    async count(): Promise<number> {
      const r = await db
        .selectFrom('issuers')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      return Number(r.n);
    },
  };
}
