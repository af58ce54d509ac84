import type { Db } from '../store.js';
import { createBatcher } from '../batcher.js';
import { compiledOnce } from '../compiled-once.js';
import type { PreparedQuery } from '../postgres/open-postgres.js';

/**
 * The insert of a batch's nonces, its rows from `rowsSql` (access_key_id, nonce, expires_at,
 * as planNonces().arrays() binds them).
 */
export function nonceInsertPg(rowsSql: string): string {
  return `insert into request_nonces (access_key_id, nonce, expires_at)
  ${rowsSql}
  on conflict (access_key_id, nonce) do nothing
  returning access_key_id, nonce`;
}

const REMEMBER_PG = nonceInsertPg('select * from unnest($1::text[], $2::text[], $3::bigint[])');

export interface NonceUse {
  accessKeyId: string;
  nonce: string;
  expiresAt: number;
}

interface NonceRow {
  access_key_id: string;
  nonce: string;
  expires_at: number;
}

/** 3 bind parameters per row: 256 rows stay far below SQLite's 32,766 and PostgreSQL's 65,535. */
const MAX_BATCH = 256;

/**
 * One batch's nonces as rows for one multi-row INSERT ... ON CONFLICT DO NOTHING RETURNING,
 * and how to read its answer: the rows it returns are the nonces that were new, and a nonce
 * twice in one batch is new at most once (for its first use).
 */
export function planNonces(uses: readonly NonceUse[]) {
  const first = new Map<string, number>();
  uses.forEach((u, i) => {
    const k = `${u.accessKeyId}\n${u.nonce}`;
    if (!first.has(k)) first.set(k, i);
  });
  // Sorted, as in rate-counters.ts: concurrent batches that share a nonce (a replay) wait
  // for each other's rows in one order and cannot deadlock.
  const rows: NonceRow[] = [...first.keys()].sort().map((k) => {
    const u = uses[first.get(k)!]!;
    return { access_key_id: u.accessKeyId, nonce: u.nonce, expires_at: u.expiresAt };
  });
  return {
    rows,
    /** The bind values of the rows: three arrays. */
    arrays: (): unknown[] => [
      rows.map((r) => r.access_key_id),
      rows.map((r) => r.nonce),
      rows.map((r) => r.expires_at),
    ],
    verdicts(inserted: readonly { access_key_id: string; nonce: string }[]): boolean[] {
      const fresh = new Array<boolean>(uses.length).fill(false);
      for (const r of inserted) fresh[first.get(`${r.access_key_id}\n${r.nonce}`)!] = true;
      return fresh;
    },
  };
}

/**
 * SQLite's multi-row insert of a batch, built and compiled by Kysely once per batch size
 * (compiled-once.ts): it runs on every CAS request, where building it anew was a measurable
 * share of the request's CPU.
 */
const rememberSqlite = compiledOnce(
  ['keys', 'nonces', 'expires'],
  (db, p: { keys: string[]; nonces: string[]; expires: number[] }) =>
    db
      .insertInto('request_nonces')
      .values(p.keys.map((k, i) => ({ access_key_id: k, nonce: p.nonces[i]!, expires_at: p.expires[i]! })))
      .onConflict((oc) => oc.columns(['access_key_id', 'nonce']).doNothing())
      .returning(['access_key_id', 'nonce']),
);

export function nonceRepo(db: Db, prepared?: PreparedQuery) {
  async function rememberMany(uses: NonceUse[]): Promise<boolean[]> {
    const plan = planNonces(uses);
    type Inserted = { access_key_id: string; nonce: string };
    const [keys, nonces, expires] = plan.arrays() as [string[], string[], number[]];
    const inserted = prepared
      ? await prepared<Inserted>('certdesk_nonces_remember', REMEMBER_PG, [keys, nonces, expires])
      : (await rememberSqlite(db, { keys, nonces, expires })).rows;
    return plan.verdicts(inserted);
  }
  const remember = createBatcher(rememberMany, { maxBatch: MAX_BATCH });

  return {
    /**
     * Remembers a nonce until `expiresAt`. Returns false when the key already used it: the
     * primary key makes the check atomic across processes sharing the database. Concurrent
     * calls are grouped into one statement (store/batcher.ts).
     */
    remember(accessKeyId: string, nonce: string, expiresAt: number): Promise<boolean> {
      return remember({ accessKeyId, nonce, expiresAt });
    },
    rememberMany,
    /** Forgets nonces whose timestamp window has closed: a replay of them fails the date check anyway. */
    async purgeExpired(now: number): Promise<number> {
      const r = await db.deleteFrom('request_nonces').where('expires_at', '<', now).executeTakeFirst();
      return Number(r.numDeletedRows);
    },
  };
}
