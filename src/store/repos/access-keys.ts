import { sql } from 'kysely';
import type { Db, StoreKind } from '../store.js';
import type { AccessKeyRow } from '../schema.js';
import type { AccessKeyCache } from '../access-key-cache.js';

/** Where changes of keys are announced on PostgreSQL, for the caches of other processes (access-key-cache.ts). */
export interface AccessKeyFeed {
  channel: string;
  /** Prefixes each payload (`<tag>:<id>`): installations in other schemas of the database ignore it. */
  tag: string;
  /** This process's cache; only the root (non-transaction) repositories read through it. */
  cache?: AccessKeyCache;
  /**
   * Transactions: forget a changed key in this process's cache at once (its NOTIFY comes
   * back after the commit and forgets it again, covering a read made before the commit).
   */
  dropCached?: (id: string) => void;
}

export function accessKeyRepo(db: Db, kind: StoreKind, feed?: AccessKeyFeed) {
  const get = (id: string): Promise<AccessKeyRow | undefined> =>
    db.selectFrom('access_keys').selectAll().where('id', '=', id).executeTakeFirst();

  /**
   * Runs one UPDATE/DELETE of a key; on PostgreSQL the statement also sends the NOTIFY (one
   * statement, so the notice goes out exactly when the change commits). True if the key existed.
   */
  async function change(id: string, statement: 'enable' | 'disable' | 'delete'): Promise<boolean> {
    let changed: boolean;
    if (kind === 'postgres' && feed) {
      const dml =
        statement === 'delete'
          ? sql`delete from access_keys where id = ${id} returning id`
          : sql`update access_keys set enabled = ${statement === 'enable' ? 1 : 0} where id = ${id} returning id`;
      const r =
        await sql`with changed as (${dml}) select pg_notify(${feed.channel}, ${`${feed.tag}:${id}`}) from changed`.execute(
          db,
        );
      changed = r.rows.length > 0;
    } else if (statement === 'delete') {
      changed = Number((await db.deleteFrom('access_keys').where('id', '=', id).executeTakeFirst()).numDeletedRows) > 0;
    } else {
      const r = await db
        .updateTable('access_keys')
        .set({ enabled: statement === 'enable' ? 1 : 0 })
        .where('id', '=', id)
        .executeTakeFirst();
      changed = Number(r.numUpdatedRows) > 0;
    }
    // Our own notification comes back too, but later: forget the row now.
    feed?.cache?.invalidate(id);
    feed?.dropCached?.(id);
    return changed;
  }

  return {
    async insert(row: AccessKeyRow): Promise<void> {
      await db.insertInto('access_keys').values(row).execute();
    },
    get,
    /**
     * The key as authentication needs it: from this process's cache where one runs
     * (PostgreSQL, see access-key-cache.ts), else from the table.
     */
    async getForAuth(id: string): Promise<AccessKeyRow | undefined> {
      return feed?.cache ? feed.cache.get(id, get) : get(id);
    },
    async listByAccount(accountId: number): Promise<AccessKeyRow[]> {
      return db
        .selectFrom('access_keys')
        .selectAll()
        .where('account_id', '=', accountId)
        .orderBy('created_at')
        .execute();
    },
    /** Returns false when no such key exists. */
    async setEnabled(id: string, enabled: boolean): Promise<boolean> {
      return change(id, enabled ? 'enable' : 'disable');
    },
    async delete(id: string): Promise<boolean> {
      return change(id, 'delete');
    },
  };
}
