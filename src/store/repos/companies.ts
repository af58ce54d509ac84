import type { Db } from '../store.js';
import type { CompanyRow, NewCompany } from '../schema.js';

export function companyRepo(db: Db) {
  return {
    async add(c: NewCompany): Promise<CompanyRow> {
      return db.insertInto('companies').values(c).returningAll().executeTakeFirstOrThrow();
    },
    async list(accountId: number): Promise<CompanyRow[]> {
      return db.selectFrom('companies').selectAll().where('account_id', '=', accountId).orderBy('id', 'desc').execute();
    },
    async latest(accountId: number): Promise<CompanyRow | undefined> {
      return db
        .selectFrom('companies')
        .selectAll()
        .where('account_id', '=', accountId)
        .orderBy('id', 'desc')
        .limit(1)
        .executeTakeFirst();
    },
    async findByName(accountId: number, name: string): Promise<CompanyRow | undefined> {
      return db
        .selectFrom('companies')
        .selectAll()
        .where('account_id', '=', accountId)
        .where('name', '=', name)
        .orderBy('id', 'desc')
        .limit(1)
        .executeTakeFirst();
    },
    /** Changes a company of the account; undefined when it has no such company. */
    async update(
      accountId: number,
      id: number,
      f: Omit<NewCompany, 'id' | 'account_id' | 'created_at'>,
    ): Promise<CompanyRow | undefined> {
      return db
        .updateTable('companies')
        .set(f)
        .where('account_id', '=', accountId)
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirst();
    },
    async remove(accountId: number, id: number): Promise<boolean> {
      const r = await db
        .deleteFrom('companies')
        .where('account_id', '=', accountId)
        .where('id', '=', id)
        .executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    },
  };
}
