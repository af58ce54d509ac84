import { sql } from 'kysely';
import type { Db } from '../store.js';
import { createBatcher } from '../batcher.js';
import type { PreparedQuery } from '../postgres/open-postgres.js';

const HIT_PG = `insert into rate_counters (window_start, account_id, action, count)
  select * from unnest($1::bigint[], $2::bigint[], $3::text[], $4::integer[])
  on conflict (window_start, account_id, action) do update set count = rate_counters.count + excluded.count
  returning window_start, account_id, action, count`;

export interface RateHit {
  accountId: number;
  action: string;
  windowStart: number;
}

/** 4 bind parameters per row; distinct (window, account, action) keys per batch at most. */
const MAX_BATCH = 256;

export function rateCounterRepo(db: Db, prepared?: PreparedQuery) {
  /**
   * Counts a batch of requests with one multi-row upsert: each distinct (window, account,
   * action) adds its number of hits k and gets back the new count c, and its hits take the
   * positions c-k+1 .. c in order. One statement (upsert with RETURNING, SQLite >= 3.35 and
   * PostgreSQL alike), so concurrent processes never lose a count and no two requests get
   * the same position.
   */
  async function hitMany(hits: RateHit[]): Promise<number[]> {
    const groups = new Map<string, { row: { window_start: number; account_id: number; action: string; count: number }; items: number[] }>();
    hits.forEach((h, i) => {
      const k = `${h.windowStart}\n${h.accountId}\n${h.action}`;
      const g = groups.get(k);
      if (g) {
        g.row.count += 1;
        g.items.push(i);
      } else {
        groups.set(k, { row: { window_start: h.windowStart, account_id: h.accountId, action: h.action, count: 1 }, items: [i] });
      }
    });
    // Rows in one fixed order (the keys sorted): two batches in flight, from this process or
    // another, then lock the counters they share in the same order and cannot deadlock.
    const ordered = [...groups.keys()].sort().map((k) => groups.get(k)!.row);
    type Counted = { window_start: number; account_id: number; action: string; count: number };
    const rows = prepared
      ? await prepared<Counted>('certdesk_rate_hit', HIT_PG, [ordered.map((r) => r.window_start), ordered.map((r) => r.account_id), ordered.map((r) => r.action), ordered.map((r) => r.count)])
      : await db
          .insertInto('rate_counters')
          .values(ordered)
          .onConflict((oc) =>
            oc.columns(['window_start', 'account_id', 'action']).doUpdateSet({ count: sql<number>`${sql.ref('rate_counters.count')} + ${sql.ref('excluded.count')}` }),
          )
          .returning(['window_start', 'account_id', 'action', 'count'])
          .execute();
    const out = new Array<number>(hits.length);
    for (const r of rows) {
      const g = groups.get(`${Number(r.window_start)}\n${Number(r.account_id)}\n${r.action}`)!;
      const first = Number(r.count) - g.items.length + 1;
      g.items.forEach((item, j) => (out[item] = first + j));
    }
    return out;
  }
  const hit = createBatcher(hitMany, { maxBatch: MAX_BATCH });

  return {
    /**
     * Counts one request of `accountId` to `action` in the window starting at `windowStart`
     * and returns the window's count so far, this request included. Concurrent calls are
     * grouped into one statement (store/batcher.ts).
     */
    hit(accountId: number, action: string, windowStart: number): Promise<number> {
      return hit({ accountId, action, windowStart });
    },
    hitMany,
    /** Forgets the windows that started before `windowStart`. */
    async purgeBefore(windowStart: number): Promise<number> {
      const r = await db.deleteFrom('rate_counters').where('window_start', '<', windowStart).executeTakeFirst();
      return Number(r.numDeletedRows);
    },
  };
}
