// Hot statements compiled by Kysely once, then run with new values (docs/decisions/0028).
//
// Kysely builds an immutable tree for every query and compiles it to text on every call; on
// the order pipeline that was ~17% of certdesk's CPU, more than SQLite spent running the
// statements (the text itself is then prepared once: sqlite/open-sqlite.ts's statement cache,
// PostgreSQL's named statements). For a statement whose text does not depend on its values,
// the query is built and compiled once per dialect with a marker in place of each value; a
// call copies the compiled query with the values in the markers' places. The query is still
// written with Kysely (typed, checked against the schema); only the per-call building goes.
import type { Compilable, CompiledQuery, QueryResult } from 'kysely';
import type { Db } from './store.js';

/** A value's stand-in while compiling: a string no caller passes. */
const MARKER = '\u0000certdesk-value:';

/**
 * `build` must use each named value as a value only (a bound parameter), never in a
 * computation or to choose the query's shape (`$if`, `in` lists): the first compile checks
 * that every name reached a parameter, and throws otherwise.
 */
export function compiledOnce<P extends Record<string, unknown>, R>(
  names: readonly (keyof P & string)[],
  build: (db: Db, values: P) => Compilable<R>,
): (db: Db, values: P) => Promise<QueryResult<R>> {
  // Per dialect adapter class: the text differs between SQLite and PostgreSQL.
  const compiled = new Map<unknown, { query: CompiledQuery<R>; slots: Array<string | { constant: unknown }> }>();
  function template(db: Db) {
    const key = db.getExecutor().adapter.constructor;
    let t = compiled.get(key);
    if (t === undefined) {
      const markers = Object.fromEntries(names.map((n) => [n, `${MARKER}${n}`])) as unknown as P;
      const query = build(db, markers).compile();
      const slots = query.parameters.map((v) =>
        typeof v === 'string' && v.startsWith(MARKER) ? v.slice(MARKER.length) : { constant: v },
      );
      const missing = names.filter((n) => !slots.includes(n));
      if (missing.length > 0) throw new Error(`compiledOnce: ${missing.join(', ')} did not become parameters`);
      t = { query, slots };
      compiled.set(key, t);
    }
    return t;
  }
  const known = new Set<string>(names);
  return async (db, values) => {
    // A field the statement was not compiled with (added to P later) would be dropped silently.
    for (const k in values)
      if (!known.has(k)) throw new Error(`compiledOnce: ${k} is not one of the statement's values`);
    const t = template(db);
    const parameters = t.slots.map((s) => (typeof s === 'string' ? (values[s] ?? null) : s.constant));
    return db.executeQuery<R>({ ...t.query, parameters });
  };
}
