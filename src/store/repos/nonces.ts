import type { Db } from '../store.js';

export function nonceRepo(db: Db) {
  return {
    /**
     * Remembers a nonce until `expiresAt`. Returns false when the key already used it: the
     * primary key makes the check atomic across processes sharing the database.
     */
    async remember(accessKeyId: string, nonce: string, expiresAt: number): Promise<boolean> {
      const r = await db
        .insertInto('request_nonces')
        .values({ access_key_id: accessKeyId, nonce, expires_at: expiresAt })
        .onConflict((oc) => oc.columns(['access_key_id', 'nonce']).doNothing())
        .executeTakeFirst();
      return Number(r.numInsertedOrUpdatedRows ?? 0n) > 0;
    },
    /** Forgets nonces whose timestamp window has closed: a replay of them fails the date check anyway. */
    async purgeExpired(now: number): Promise<number> {
      const r = await db.deleteFrom('request_nonces').where('expires_at', '<', now).executeTakeFirst();
      return Number(r.numDeletedRows);
    },
  };
}
