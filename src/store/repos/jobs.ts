// A durable job queue with leases: a claimed job belongs to one worker until its lease
// ends; a worker that dies leaves the lease to expire and another takes the job over.
import { sql, type QueryResult } from 'kysely';
import type { Db, StoreKind } from '../store.js';
import { compiledOnce } from '../compiled-once.js';
import type { JobRow } from '../schema.js';

/** PostgreSQL NOTIFY channel of jobs due now: workers in other processes are woken by it (Store.onJobsDue). */
export const JOBS_CHANNEL = 'certdesk_jobs';

/** Every job's end (compiled-once.ts). */
const completeJob = compiledOnce(['id', 'owner'], (db, p: { id: number; owner: string }) =>
  db.deleteFrom('jobs').where('id', '=', p.id).where('lease_owner', '=', p.owner),
);

/** A leased job becomes its follow-up of another kind (handOver): same row, same lease owner. */
const handOverJob = compiledOnce(
  ['id', 'owner', 'kind', 'until'],
  (db, p: { id: number; owner: string; kind: string; until: number }) =>
    db
      .updateTable('jobs')
      .set({ kind: p.kind, attempts: 0, run_at: p.until, lease_until: p.until, last_error: null })
      .where('id', '=', p.id)
      .where('lease_owner', '=', p.owner)
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom('jobs as other')
              .select('other.id')
              .where('other.kind', '=', p.kind)
              .whereRef('other.ref_id', '=', 'jobs.ref_id'),
          ),
        ),
      ),
);

/** enqueue on SQLite: two per order (the submission's job, the nudge of a status read), compiled once. */
const enqueueSqlite = compiledOnce(
  ['kind', 'refId', 'runAt', 'now'],
  (db, p: { kind: string; refId: number; runAt: number; now: number }) =>
    db
      .insertInto('jobs')
      .values({
        kind: p.kind,
        ref_id: p.refId,
        run_at: p.runAt,
        attempts: 0,
        lease_owner: null,
        lease_until: null,
        last_error: null,
        created_at: p.now,
      })
      // Two-argument min() is SQLite's spelling of PostgreSQL's least().
      .onConflict((oc) =>
        oc.columns(['kind', 'ref_id']).doUpdateSet({ run_at: sql<number>`min(jobs.run_at, excluded.run_at)` }),
      ),
);

type ClaimValues = { owner: string; now: number; until: number; kinds?: string[] };
type ClaimStatement = (db: Db, values: ClaimValues) => Promise<QueryResult<JobRow>>;
/** Distinct (store, limit, kinds or not) claims kept compiled: the workers use one or two limits. */
const MAX_CLAIM_SHAPES = 16;
const claimStatements = new Map<string, ClaimStatement>();

/**
 * The worker's claim, every poll and after every batch, compiled once per store kind, limit
 * and whether kinds are named (compiled-once.ts). The limit is a constant of the compiled
 * statement, not a named value, so that SQLite gets it written in the text
 * (sqlite/inline-limits.ts); `kinds` is a list (one text per its length).
 */
function claimStatement(kind: StoreKind, limit: number, byKind: boolean): ClaimStatement {
  const key = `${kind}:${limit}:${byKind}`;
  let s = claimStatements.get(key);
  if (s === undefined) {
    if (claimStatements.size >= MAX_CLAIM_SHAPES) claimStatements.delete(claimStatements.keys().next().value!);
    s = compiledOnce(byKind ? ['owner', 'now', 'until', 'kinds'] : ['owner', 'now', 'until'], (db, p: ClaimValues) => {
      const due = db
        .selectFrom('jobs')
        .select('id')
        .where('run_at', '<=', p.now)
        .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', p.now)]))
        // SQLite: `+kind` keeps the kinds as a filter only, so the plan reads the due jobs in
        // run_at order from jobs_due (an index range, no sort) instead of every job of those
        // kinds from jobs_kind_ref, then sorting them (SQLite's query planner docs,
        // "Disqualifying WHERE clause terms using unary-+").
        .$if(byKind && kind === 'postgres', (q) => q.where('kind', 'in', p.kinds!))
        .$if(byKind && kind !== 'postgres', (q) => q.where(sql<string>`+kind`, 'in', p.kinds!))
        .orderBy('run_at')
        .limit(limit)
        .$if(kind === 'postgres', (q) => q.forUpdate().skipLocked());
      // run_at moves to the lease's end while the attempt runs: an enqueue meanwhile (a
      // customer asking for an attempt now) pulls it earlier, and retry() keeps that earlier
      // time instead of the backoff, so the request is not lost to the running attempt.
      return db
        .updateTable('jobs')
        .set({ lease_owner: p.owner, lease_until: p.until, run_at: p.until })
        .where('id', 'in', due)
        .returningAll();
    });
    claimStatements.set(key, s);
  }
  return s;
}

/**
 * pullEarlier on SQLite: the job's row exists (the submission wrote it), so a guarded UPDATE
 * moves it in place, with no insert tried first; when the job is due already it changes no
 * row and its commit writes no page (docs/decisions/0037-fewer-statements-per-order.md).
 */
const pullEarlierSqlite = compiledOnce(
  ['kind', 'refId', 'runAt'],
  (db, p: { kind: string; refId: number; runAt: number }) =>
    db
      .updateTable('jobs')
      .set({ run_at: p.runAt })
      .where('kind', '=', p.kind)
      .where('ref_id', '=', p.refId)
      .where('run_at', '>', p.runAt),
);
export function jobRepo(db: Db, kind: StoreKind) {
  return {
    /** Schedules (kind, ref) at runAt; an existing job for the same (kind, ref) is pulled earlier, never later. */
    async enqueue(jobKind: string, refId: number, runAt: number, now: number): Promise<void> {
      if (kind !== 'postgres') {
        await enqueueSqlite(db, { kind: jobKind, refId, runAt, now });
        return;
      }
      const earlier = sql<number>`least(jobs.run_at, excluded.run_at)`;
      const insert = db
        .insertInto('jobs')
        .values({
          kind: jobKind,
          ref_id: refId,
          run_at: runAt,
          attempts: 0,
          lease_owner: null,
          lease_until: null,
          last_error: null,
          created_at: now,
        })
        .onConflict((oc) => oc.columns(['kind', 'ref_id']).doUpdateSet({ run_at: earlier }));
      if (runAt <= now) {
        // Due now: the same statement tells workers of other processes (LISTEN, delivered at
        // commit), so they claim it at once instead of at their next poll.
        await sql`with j as (${insert.returning('id')}) select pg_notify(${JOBS_CHANNEL}, '') from j`.execute(db);
        return;
      }
      await insert.execute();
    },
    /** enqueue where the job most likely exists already: pulled earlier in place, written anew only when missing. */
    async pullEarlier(jobKind: string, refId: number, runAt: number, now: number): Promise<void> {
      if (kind === 'postgres') return this.enqueue(jobKind, refId, runAt, now); // its NOTIFY wakes other processes
      const moved = await pullEarlierSqlite(db, { kind: jobKind, refId, runAt });
      if (Number(moved.numAffectedRows ?? 0n) > 0) return;
      if ((await this.find(jobKind, refId)) !== undefined) return; // due already
      await enqueueSqlite(db, { kind: jobKind, refId, runAt, now });
    },
    /** enqueue for many jobs of one kind, in statements of up to 1000 rows. */
    async enqueueMany(jobKind: string, refIds: readonly number[], runAt: number, now: number): Promise<void> {
      const earlier =
        kind === 'postgres'
          ? sql<number>`least(jobs.run_at, excluded.run_at)`
          : sql<number>`min(jobs.run_at, excluded.run_at)`;
      if (refIds.length === 0) return;
      if (kind === 'postgres') {
        // One statement, the ids as one array parameter.
        await db
          .insertInto('jobs')
          .columns(['kind', 'ref_id', 'run_at', 'attempts', 'created_at'])
          .expression(
            sql`select ${jobKind}::text, unnest(${[...refIds]}::bigint[]), ${runAt}::bigint, 0, ${now}::bigint`,
          )
          .onConflict((oc) => oc.columns(['kind', 'ref_id']).doUpdateSet({ run_at: earlier }))
          .execute();
        return;
      }
      for (let i = 0; i < refIds.length; i += 1000) {
        await db
          .insertInto('jobs')
          .values(
            refIds.slice(i, i + 1000).map((refId) => ({
              kind: jobKind,
              ref_id: refId,
              run_at: runAt,
              attempts: 0,
              lease_owner: null,
              lease_until: null,
              last_error: null,
              created_at: now,
            })),
          )
          .onConflict((oc) => oc.columns(['kind', 'ref_id']).doUpdateSet({ run_at: earlier }))
          .execute();
      }
    },
    /**
     * Claims up to `limit` due jobs whose lease is free or expired. PostgreSQL: FOR UPDATE
     * SKIP LOCKED, so concurrent workers never claim the same row. SQLite: one writer at a time.
     */
    async claim(
      owner: string,
      now: number,
      leaseMs: number,
      limit: number,
      kinds?: readonly string[],
    ): Promise<JobRow[]> {
      // No kind named: no job of them (and `in ()` is not SQL everywhere).
      if (kinds !== undefined && kinds.length === 0) return [];
      const values = { owner, now, until: now + leaseMs, ...(kinds === undefined ? {} : { kinds: [...kinds] }) };
      return (await claimStatement(kind, limit, kinds !== undefined)(db, values)).rows;
    },
    async complete(id: number, owner: string): Promise<void> {
      await completeJob(db, { id, owner });
    },
    /**
     * The next attempt at `runAt`, or sooner when an enqueue asked for one while this attempt
     * ran (claim). Returns when it is due (undefined: the lease was lost meanwhile).
     */
    async retry(id: number, owner: string, runAt: number, error: string | null): Promise<number | undefined> {
      const row = await db
        .updateTable('jobs')
        .set((eb) => ({
          run_at: eb
            .case()
            .when('run_at', '<', eb.ref('lease_until'))
            .then(sql<number>`${kind === 'postgres' ? sql`least` : sql`min`}(jobs.run_at, ${runAt})`)
            .else(runAt)
            .end(),
          attempts: eb('attempts', '+', 1),
          lease_owner: null,
          lease_until: null,
          last_error: error,
        }))
        .where('id', '=', id)
        .where('lease_owner', '=', owner)
        .returning('run_at')
        .executeTakeFirst();
      return row === undefined ? undefined : Number(row.run_at);
    },
    /**
     * A job made already leased to `owner` (a worker's turn that runs it right away, worker.ts);
     * undefined when one of that kind and reference exists (it keeps its own schedule).
     */
    async enqueueLeased(
      jobKind: string,
      refId: number,
      owner: string,
      now: number,
      leaseMs: number,
    ): Promise<number | undefined> {
      const row = await db
        .insertInto('jobs')
        .values({
          kind: jobKind,
          ref_id: refId,
          run_at: now + leaseMs,
          attempts: 0,
          lease_owner: owner,
          lease_until: now + leaseMs,
          last_error: null,
          created_at: now,
        })
        .onConflict((oc) => oc.columns(['kind', 'ref_id']).doNothing())
        .returning('id')
        .executeTakeFirst();
      return row === undefined ? undefined : Number(row.id);
    },
    /**
     * The leased job `id` becomes a job of `jobKind` for the same reference, still leased to
     * `owner` (an order's validate job turning into its issue job): one statement where
     * complete() and enqueueLeased() take two. False when the lease was lost or a job of that
     * kind and reference exists (the caller then completes and enqueues as usual).
     */
    async handOver(id: number, owner: string, jobKind: string, now: number, leaseMs: number): Promise<boolean> {
      const r = await handOverJob(db, { id, owner, kind: jobKind, until: now + leaseMs });
      return Number(r.numAffectedRows ?? 0) > 0;
    },
    async cancel(jobKind: string, refId: number): Promise<void> {
      await db.deleteFrom('jobs').where('kind', '=', jobKind).where('ref_id', '=', refId).execute();
    },
    async find(jobKind: string, refId: number): Promise<JobRow | undefined> {
      return db
        .selectFrom('jobs')
        .selectAll()
        .where('kind', '=', jobKind)
        .where('ref_id', '=', refId)
        .executeTakeFirst();
    },
    async nextRunAt(): Promise<number | undefined> {
      const r = await db
        .selectFrom('jobs')
        .select((eb) => eb.fn.min<number>('run_at').as('t'))
        .executeTakeFirst();
      return r?.t === null || r?.t === undefined ? undefined : Number(r.t);
    },
  };
}
