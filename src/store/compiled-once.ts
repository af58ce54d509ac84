// Kysely builds and compiles a query's syntax tree on every call; for the few statements every
// ACME request makes, that cost more CPU than SQLite took to run them
// (docs/decisions/0027-acme-request-path.md has the profile). A statement whose only bind
// values are the ones its caller passes is compiled once per store kind and name, then run
// with new values in the same order. Only the SQL text is kept: it is the same on the root
// connection and in a transaction (no plugins; PostgreSQL's schema is the search_path).
import { CompiledQuery, type Compilable } from 'kysely';
import type { Db, StoreKind } from './store.js';

const compiled = new Map<string, string>();

/**
 * Runs `build()`'s statement with `values`, which must be all its bind values in order. The
 * first call compiles it and checks that; a statement with other bind values (a constant in
 * a where clause) is never cached and runs as built every time.
 */
export async function runCompiled<R>(
  db: Db,
  kind: StoreKind,
  name: string,
  values: readonly unknown[],
  build: () => Compilable<R>,
): Promise<R[]> {
  const key = `${kind}\n${name}`;
  const text = compiled.get(key);
  if (text !== undefined) return (await db.executeQuery<R>(CompiledQuery.raw(text, [...values]))).rows;
  const query = build().compile();
  const same = query.parameters.length === values.length && query.parameters.every((v, i) => v === values[i]);
  if (same) compiled.set(key, query.sql);
  return (await db.executeQuery<R>(query)).rows;
}
