// CSRs kept for an account (CAS API reference, CSR actions). Every statement is scoped by account_id, so an id
// from another account reads as absent.
import type { Insertable } from 'kysely';
import { containsText } from './like.js';
import type { Db } from '../store.js';
import type { CsrRow, CsrsTable } from '../schema.js';

export type NewCsr = Insertable<CsrsTable>;

export function csrRepo(db: Db) {
  return {
    async insert(row: NewCsr): Promise<CsrRow> {
      return db.insertInto('csrs').values(row).returningAll().executeTakeFirstOrThrow();
    },
    async get(accountId: number, id: number): Promise<CsrRow | undefined> {
      return db
        .selectFrom('csrs')
        .selectAll()
        .where('account_id', '=', accountId)
        .where('id', '=', id)
        .executeTakeFirst();
    },
    /** Sets or clears the sealed private key; false when the CSR does not exist for this account. */
    async setKey(accountId: number, id: number, keySealed: string | null): Promise<boolean> {
      const r = await db
        .updateTable('csrs')
        .set({ key_sealed: keySealed })
        .where('account_id', '=', accountId)
        .where('id', '=', id)
        .executeTakeFirst();
      return Number(r.numUpdatedRows) > 0;
    },
    async remove(accountId: number, id: number): Promise<boolean> {
      const r = await db.deleteFrom('csrs').where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    },
    /** Newest first. `keyword` matches name, common name or SANs, case-insensitively (CAS API reference, CSR actions ListCsr `KeyWord`). */
    async page(
      accountId: number,
      q: { algorithm?: string; keyword?: string; offset: number; limit: number },
    ): Promise<{ total: number; rows: CsrRow[] }> {
      let base = db.selectFrom('csrs').where('account_id', '=', accountId);
      if (q.algorithm) base = base.where('algorithm', '=', q.algorithm);
      if (q.keyword) {
        const kw = q.keyword;
        base = base.where((eb) =>
          eb.or([
            containsText(eb.ref('name'), kw),
            containsText(eb.ref('common_name'), kw),
            containsText(eb.ref('sans'), kw),
          ]),
        );
      }
      const { n } = await base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      const rows = await base.selectAll().orderBy('id', 'desc').offset(q.offset).limit(q.limit).execute();
      return { total: Number(n), rows };
    },
  };
}
