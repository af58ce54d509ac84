// The scale-out store: several certdesk processes share one PostgreSQL.
import pg from 'pg';
import { Kysely, PostgresDialect } from 'kysely';
import type { Database } from '../schema.js';

// BIGINT (oid 20) arrives as a string by default; every id and time we store is below
// 2^53 (see schema.ts), so plain numbers are exact.
const INT8_OID = 20;
const NUMERIC_OID = 1700;
const types = {
  getTypeParser(oid: number, format?: any) {
    if (oid === INT8_OID || oid === NUMERIC_OID) return (v: string) => Number(v);
    return pg.types.getTypeParser(oid, format);
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

/** Relaxed-commit connections: the admissions batcher has at most two statements in flight. */
const RELAXED_CONNECTIONS = 2;

function openPool(url: string, max: number, settings: string[]): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max,
    // Connections stay open: no idle timer set and cleared on every release.
    idleTimeoutMillis: 0,
    types: types as any,
    ...(settings.length > 0 ? { options: settings.map((s) => `-c ${s}`).join(' ') } : {}),
  });
  // An idle client's error (server restart) must not crash the process.
  pool.on('error', () => {});
  return pool;
}

export function openPostgresKysely(url: string, opts: PostgresOptions = {}): { db: Kysely<Database>; prepared: PreparedQuery } {
  const settings = opts.schema ? [`search_path=${opts.schema}`] : [];
  const pool = openPool(url, opts.maxConnections ?? 10, settings);
  // Opened on first use: connections are made as statements need them. The setting is made
  // by a SET on each new connection (queued before any statement of it), not as a startup
  // option, which poolers such as PgBouncer refuse.
  const relaxedPool = openPool(url, RELAXED_CONNECTIONS, settings);
  relaxedPool.on('connect', (client) => {
    client.query('set synchronous_commit = off').catch(() => {}); // a failure shows on the statement queued behind it
  });
  const prepared: PreparedQuery = Object.assign(async <R>(name: string, text: string, values: unknown[]) => (await pool.query({ name, text, values })).rows as R[], {
    arrays: async (name: string, text: string, values: unknown[]) => (await pool.query({ name, text, values, rowMode: 'array' })).rows as unknown[][],
    relaxed: async <R>(name: string, text: string, values: unknown[]) => (await relaxedPool.query({ name, text, values })).rows as R[],
    close: async () => {
      await Promise.all([relaxedPool.end(), pool.ending ? undefined : pool.end()]);
    },
  });
  return { db: new Kysely<Database>({ dialect: new PostgresDialect({ pool }) }), prepared };
}
