import { sql } from 'kysely';
import type { Db } from '../store.js';
import { createBatcher } from '../batcher.js';
import { compiledOnce } from '../compiled-once.js';
import type { PreparedQuery } from '../postgres/open-postgres.js';

/**
 * The upsert of a batch's counts, its rows from `rowsSql` (window_start, account_id, action,
 * count, as planHits().arrays() binds them).
 */
export function hitUpsertPg(rowsSql: string): string {
  return `insert into rate_counters (window_start, account_id, action, count)
  ${rowsSql}
  on conflict (window_start, account_id, action) do update set count = rate_counters.count + excluded.count
  returning window_start, account_id, action, count`;
}

const HIT_PG = hitUpsertPg('select * from unnest($1::bigint[], $2::bigint[], $3::text[], $4::integer[])');

export interface RateHit {
  accountId: number;
  action: string;
  windowStart: number;
}

export interface CounterRow {
  window_start: number;
  account_id: number;
  action: string;
  count: number;
}

/** 4 bind parameters per row; distinct (window, account, action) keys per batch at most. */
const MAX_BATCH = 256;

/**
 * One batch's hits as rows for one multi-row upsert, and how to read its answer: each
 * distinct (window, account, action) adds its number of hits k and gets back the new count
 * c, and its hits take the positions c-k+1 .. c in order. One statement (upsert with
 * RETURNING, SQLite >= 3.35 and PostgreSQL alike), so concurrent processes never lose a
 * count and no two requests get the same position.
 */
export function planHits(hits: readonly RateHit[]) {
  const groups = new Map<string, { row: CounterRow; items: number[] }>();
  hits.forEach((h, i) => {
    const k = `${h.windowStart}\n${h.accountId}\n${h.action}`;
    const g = groups.get(k);
    if (g) {
      g.row.count += 1;
      g.items.push(i);
    } else {
      groups.set(k, {
        row: { window_start: h.windowStart, account_id: h.accountId, action: h.action, count: 1 },
        items: [i],
      });
    }
  });
  // Rows in one fixed order (the keys sorted): two batches in flight, from this process or
  // another, then lock the counters they share in the same order and cannot deadlock.
  const rows = [...groups.keys()].sort().map((k) => groups.get(k)!.row);
  return {
    rows,
    /** The bind values of the rows: four arrays. */
    arrays: (): unknown[] => [
      rows.map((r) => r.window_start),
      rows.map((r) => r.account_id),
      rows.map((r) => r.action),
      rows.map((r) => r.count),
    ],
    positions(counted: readonly CounterRow[]): number[] {
      const out = new Array<number>(hits.length);
      for (const r of counted) {
        const g = groups.get(`${Number(r.window_start)}\n${Number(r.account_id)}\n${r.action}`)!;
        const first = Number(r.count) - g.items.length + 1;
        g.items.forEach((item, j) => (out[item] = first + j));
      }
      return out;
    },
  };
}

/** SQLite's upsert of a batch, compiled once per batch size (compiled-once.ts): it runs on every CAS request. */
const hitSqlite = compiledOnce(
  ['windows', 'accounts', 'actions', 'counts'],
  (db, p: { windows: number[]; accounts: number[]; actions: string[]; counts: number[] }) =>
    db
      .insertInto('rate_counters')
      .values(
        p.windows.map((w, i) => ({
          window_start: w,
          account_id: p.accounts[i]!,
          action: p.actions[i]!,
          count: p.counts[i]!,
        })),
      )
      .onConflict((oc) =>
        oc
          .columns(['window_start', 'account_id', 'action'])
          .doUpdateSet({ count: sql<number>`${sql.ref('rate_counters.count')} + ${sql.ref('excluded.count')}` }),
      )
      .returning(['window_start', 'account_id', 'action', 'count']),
);

export function rateCounterRepo(db: Db, prepared?: PreparedQuery) {
  async function hitMany(hits: RateHit[]): Promise<number[]> {
    const plan = planHits(hits);
    const [windows, accounts, actions, counts] = plan.arrays() as [number[], number[], string[], number[]];
    const rows = prepared
      ? await prepared<CounterRow>('certdesk_rate_hit', HIT_PG, [windows, accounts, actions, counts])
      : (await hitSqlite(db, { windows, accounts, actions, counts })).rows;
    return plan.positions(rows);
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
