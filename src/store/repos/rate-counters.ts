import { sql } from 'kysely';
import type { Db } from '../store.js';

export function rateCounterRepo(db: Db) {
  return {
    /**
     * Counts one request of `accountId` to `action` in the window starting at `windowStart`
     * and returns the window's count so far, this request included. One statement (an upsert
     * with RETURNING, SQLite >= 3.35 and PostgreSQL alike), so concurrent processes never
     * lose a count.
     */
    async hit(accountId: number, action: string, windowStart: number): Promise<number> {
      const row = await db
        .insertInto('rate_counters')
        .values({ window_start: windowStart, account_id: accountId, action, count: 1 })
        .onConflict((oc) =>
          oc.columns(['window_start', 'account_id', 'action']).doUpdateSet({ count: sql<number>`${sql.ref('rate_counters.count')} + 1` }),
        )
        .returning('count')
        .executeTakeFirstOrThrow();
      return Number(row.count);
    },
    /** Forgets the windows that started before `windowStart`. */
    async purgeBefore(windowStart: number): Promise<number> {
      const r = await db.deleteFrom('rate_counters').where('window_start', '<', windowStart).executeTakeFirst();
      return Number(r.numDeletedRows);
    },
  };
}
