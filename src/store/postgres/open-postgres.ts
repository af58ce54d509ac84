// The scale-out store: several certdesk processes share one PostgreSQL.
import pg from 'pg';
import { Kysely, PostgresDialect } from 'kysely';
import type { Database } from '../schema.js';

// BIGINT (oid 20) arrives as a string by default; every id and time we store is below
// 2^53 (see schema.ts), so plain numbers are exact.
const INT8_OID = 20;
const NUMERIC_OID = 1700;
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary'): (v: string) => unknown {
    if (oid === INT8_OID || oid === NUMERIC_OID) return (v: string) => Number(v);
    // pg types its parsers as returning `any`; we hand them on unread.
    // eslint-disable-next-line @typescript-eslint/no-unsafe-return
    return format === 'binary'
      ? (pg.types.getTypeParser(oid, 'binary') as (v: string) => unknown)
      : pg.types.getTypeParser(oid, 'text');
  },
};

export interface PostgresOptions {
  /** A schema to work in (created if missing): lets test suites share one database. */
  schema?: string;
  maxConnections?: number;
}

/**
 * Runs one statement as a named prepared statement: PostgreSQL parses and plans it once per
 * connection, and no query builder runs. For the few statements every API request makes
 * (store/repos: nonces, rate counters, order reads), whose text never changes because batches
 * pass arrays (`unnest($1::text[])`, `= any($1)`) instead of a varying number of rows.
 */
export interface PreparedQuery {
  <R>(name: string, text: string, values: unknown[]): Promise<R[]>;
  /** Rows as arrays of values in the order of the select list: no object built per row. */
  arrays(name: string, text: string, values: unknown[]): Promise<unknown[][]>;
  /**
   * On connections whose commits return before the WAL is flushed to disk
   * (synchronous_commit = off, PostgreSQL manual 30.4): the change is visible to every other
   * session at once and survives certdesk's crashes, but a crash of the database server
   * itself forgets the last commits (up to 3 x wal_writer_delay, 0.6 s by default). Only for
   * writes whose loss is harmless (store/repos/admissions.ts says which).
   */
  relaxed<R>(name: string, text: string, values: unknown[]): Promise<R[]>;
  /**
   * Closes the relaxed connections, and the main pool unless Kysely closed it already: call
   * it after `db.destroy()` (Kysely ends the pool only if it ever used it).
   */
  close(): Promise<void>;
}

/** Relaxed-commit connections: the admissions batcher has one statement in flight at a time. */
const RELAXED_CONNECTIONS = 1;

function openPool(url: string, max: number, schema: string | undefined): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max,
    // Connections stay open: no idle timer set and cleared on every release.
    idleTimeoutMillis: 0,
    types: types,
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
  });
  // An idle client's error (server restart) must not crash the process.
  pool.on('error', () => {});
  return pool;
}

export function openPostgresKysely(
  url: string,
  opts: PostgresOptions = {},
): { db: Kysely<Database>; prepared: PreparedQuery } {
  const pool = openPool(url, opts.maxConnections ?? 10, opts.schema);
  // Opened on first use: connections are made as statements need them. The setting is made
  // by a SET before a connection's first statement, not as a startup option, which poolers
  // such as PgBouncer refuse.
  const relaxedPool = openPool(url, RELAXED_CONNECTIONS, opts.schema);
  const relaxedReady = new WeakSet<pg.PoolClient>();
  async function relaxed<R>(name: string, text: string, values: unknown[]): Promise<R[]> {
    const client = await relaxedPool.connect();
    let broken: Error | undefined;
    try {
      if (!relaxedReady.has(client)) {
        await client.query('set synchronous_commit = off');
        relaxedReady.add(client);
      }
      return (await client.query({ name, text, values })).rows as R[];
    } catch (e) {
      broken = e as Error; // the connection is dropped rather than reused in an unknown state
      throw e;
    } finally {
      client.release(broken);
    }
  }
  const prepared: PreparedQuery = Object.assign(
    async <R>(name: string, text: string, values: unknown[]) => (await pool.query({ name, text, values })).rows as R[],
    {
      arrays: async (name: string, text: string, values: unknown[]) =>
        (await pool.query({ name, text, values, rowMode: 'array' })).rows as unknown[][],
      relaxed,
      close: async () => {
        await Promise.all([relaxedPool.end(), pool.ending ? undefined : pool.end()]);
      },
    },
  );
  return { db: new Kysely<Database>({ dialect: new PostgresDialect({ pool }) }), prepared };
}
