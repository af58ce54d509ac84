// Aggregate counts for the metrics endpoint (src/app/metrics.ts): a handful of
// GROUP BY queries read at scrape time. They describe the whole database, so every certdesk
// process on one store reports the same values.
import { sql } from 'kysely';
import type { Db } from '../store.js';

export interface JobCounts {
  kind: string;
  /** run_at <= now and no live lease: a worker may claim it now. */
  due: number;
  /** A worker holds it (lease_until >= now, as jobRepo.claim reads a lease). */
  leased: number;
  /** run_at > now and no live lease. */
  scheduled: number;
}

export interface StoreStats {
  jobs: JobCounts[];
  /** Orders not deleted, by state. */
  orders: Map<string, number>;
  /** Certificates certdesk signed (source issued, state issued); revoked ones included. */
  certificatesIssued: number;
  /** Of those, the revoked ones. */
  certificatesRevoked: number;
  /** Authorizations (one per order and domain) by status. */
  validations: Map<string, number>;
}

// PostgreSQL returns count() and sum() as bigint strings, SQLite as numbers.
const num = (v: unknown): number => Number(v ?? 0);

export function statsRepo(db: Db) {
  return {
    async read(now: number): Promise<StoreStats> {
      const leased = sql<boolean>`lease_until is not null and lease_until >= ${now}`;
      const jobs = await db
        .selectFrom('jobs')
        .select([
          'kind',
          sql<number>`sum(case when ${leased} then 1 else 0 end)`.as('leased'),
          sql<number>`sum(case when not (${leased}) and run_at <= ${now} then 1 else 0 end)`.as('due'),
          sql<number>`sum(case when not (${leased}) and run_at > ${now} then 1 else 0 end)`.as('scheduled'),
        ])
        .groupBy('kind')
        .orderBy('kind')
        .execute();
      const orders = await db
        .selectFrom('orders')
        .select(['state', (eb) => eb.fn.countAll<number>().as('n')])
        .where('deleted_at', 'is', null)
        .groupBy('state')
        .execute();
      const certs = await db
        .selectFrom('certificates')
        .select([
          (eb) => eb.fn.countAll<number>().as('issued'),
          sql<number>`sum(case when revoked_at is not null then 1 else 0 end)`.as('revoked'),
        ])
        .where('source', '=', 'issued')
        .where('state', '=', 'issued')
        .executeTakeFirst();
      const validations = await db
        .selectFrom('authorizations')
        .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
        .groupBy('status')
        .execute();
      return {
        jobs: jobs.map((r) => ({ kind: r.kind, due: num(r.due), leased: num(r.leased), scheduled: num(r.scheduled) })),
        orders: new Map(orders.map((r) => [r.state, num(r.n)])),
        certificatesIssued: num(certs?.issued),
        certificatesRevoked: num(certs?.revoked),
        validations: new Map(validations.map((r) => [r.status, num(r.n)])),
      };
    },
  };
}
