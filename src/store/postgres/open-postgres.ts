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
export type PreparedQuery = <R>(name: string, text: string, values: unknown[]) => Promise<R[]>;

export function openPostgresKysely(url: string, opts: PostgresOptions = {}): { db: Kysely<Database>; prepared: PreparedQuery } {
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.maxConnections ?? 10,
    // Connections stay open: no idle timer set and cleared on every release.
    idleTimeoutMillis: 0,
    types: types as any,
    ...(opts.schema ? { options: `-c search_path=${opts.schema}` } : {}),
  });
  // An idle client's error (server restart) must not crash the process.
  pool.on('error', () => {});
  const prepared: PreparedQuery = async <R>(name: string, text: string, values: unknown[]) => (await pool.query({ name, text, values })).rows as R[];
  return { db: new Kysely<Database>({ dialect: new PostgresDialect({ pool }) }), prepared };
}
