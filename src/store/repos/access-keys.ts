import type { Db } from '../store.js';
import type { AccessKeyRow } from '../schema.js';

export function accessKeyRepo(db: Db) {
  return {
    async insert(row: AccessKeyRow): Promise<void> {
      await db.insertInto('access_keys').values(row).execute();
    },
    async get(id: string): Promise<AccessKeyRow | undefined> {
      return db.selectFrom('access_keys').selectAll().where('id', '=', id).executeTakeFirst();
    },
    async listByAccount(accountId: number): Promise<AccessKeyRow[]> {
      return db.selectFrom('access_keys').selectAll().where('account_id', '=', accountId).orderBy('created_at').execute();
    },
    /** Returns false when no such key exists. */
    async setEnabled(id: string, enabled: boolean): Promise<boolean> {
      const r = await db.updateTable('access_keys').set({ enabled: enabled ? 1 : 0 }).where('id', '=', id).executeTakeFirst();
      return Number(r.numUpdatedRows) > 0;
    },
    async delete(id: string): Promise<boolean> {
      const r = await db.deleteFrom('access_keys').where('id', '=', id).executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    },
  };
}
