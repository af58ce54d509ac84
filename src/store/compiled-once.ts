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

/** Where a compiled parameter's value comes from: a named value, an element of a list value, or a constant. */
type Slot = { name: string; index: number | undefined } | { constant: unknown };

/**
 * `build` must use each named value as a value only (a bound parameter), never in a
 * computation or to choose the query's shape (`$if`): the first compile checks that every
 * name reached a parameter, and throws otherwise. A value that is an array is a list (`in`):
 * one parameter per element, and one compiled text per list length (batched reads and
 * deletes, whose lengths repeat); an empty list reaches no parameter and is refused (`in ()`
 * is not SQL).
 */
export function compiledOnce<P extends Record<string, unknown>, R>(
  names: readonly (keyof P & string)[],
  build: (db: Db, values: P) => Compilable<R>,
): (db: Db, values: P) => Promise<QueryResult<R>> {
  // Per dialect adapter class (the text differs between SQLite and PostgreSQL), then per list lengths.
  const compiled = new Map<unknown, Map<string, { query: CompiledQuery<R>; slots: Slot[] }>>();
  function template(db: Db, values: P) {
    const dialect = db.getExecutor().adapter.constructor;
    let byShape = compiled.get(dialect);
    if (byShape === undefined)
      compiled.set(dialect, (byShape = new Map<string, { query: CompiledQuery<R>; slots: Slot[] }>()));
    const shape = names.map((n) => (Array.isArray(values[n]) ? (values[n] as unknown[]).length : '')).join(',');
    let t = byShape.get(shape);
    if (t === undefined) {
      const markers = Object.fromEntries(
        names.map((n) => {
          const v = values[n];
          return [n, Array.isArray(v) ? v.map((_, i) => `${MARKER}${n}#${i}`) : `${MARKER}${n}`];
        }),
      ) as unknown as P;
      const query = build(db, markers).compile();
      const slots = query.parameters.map((v): Slot => {
        if (typeof v !== 'string' || !v.startsWith(MARKER)) return { constant: v };
        const [name, index] = v.slice(MARKER.length).split('#') as [string, string | undefined];
        return { name, index: index === undefined ? undefined : Number(index) };
      });
      const reached = new Set(slots.map((s) => ('name' in s ? s.name : undefined)));
      const missing = names.filter((n) => !reached.has(n));
      if (missing.length > 0) throw new Error(`compiledOnce: ${missing.join(', ')} did not become parameters`);
      t = { query, slots };
      byShape.set(shape, t);
    }
    return t;
  }
  const known = new Set<string>(names);
  return async (db, values) => {
    // A field the statement was not compiled with (added to P later) would be dropped silently.
    for (const k in values)
      if (!known.has(k)) throw new Error(`compiledOnce: ${k} is not one of the statement's values`);
    const t = template(db, values);
    const parameters = t.slots.map((s) => {
      if ('constant' in s) return s.constant;
      const v = values[s.name];
      return (s.index === undefined ? v : (v as unknown[])[s.index]) ?? null;
    });
    return db.executeQuery<R>({ ...t.query, parameters });
  };
}
