import type { Db } from '../store.js';
import type { AccountRow } from '../schema.js';

export function accountRepo(db: Db) {
  return {
    async create(name: string, now: number): Promise<AccountRow> {
      return db.insertInto('accounts').values({ name, created_at: now }).returningAll().executeTakeFirstOrThrow();
    },
    async get(id: number): Promise<AccountRow | undefined> {
      return db.selectFrom('accounts').selectAll().where('id', '=', id).executeTakeFirst();
    },
    async list(): Promise<AccountRow[]> {
      return db.selectFrom('accounts').selectAll().orderBy('id').execute();
    },
  };
}
