import type { Db, StoreKind } from '../store.js';

export function metaRepo(db: Db, _kind: StoreKind) {
  return {
    async get(key: string): Promise<string | undefined> {
      const r = await db.selectFrom('meta').select('value').where('key', '=', key).executeTakeFirst();
      return r?.value;
    },
    /** Stores `value` unless the key is set already; returns what is stored (first writer wins). */
    async setIfAbsent(key: string, value: string): Promise<string> {
      await db
        .insertInto('meta')
        .values({ key, value })
        .onConflict((oc) => oc.column('key').doNothing())
        .execute();
      const stored = await this.get(key);
      if (stored === undefined) throw new Error(`meta ${key} vanished`);
      return stored;
    },
  };
}
