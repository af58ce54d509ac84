// LIMIT and OFFSET written into the SQL text as numbers instead of bound parameters (SQLite only).
//
// SQLite's planner reads the value bound to a LIMIT (or OFFSET) parameter when it plans the
// statement, and marks that parameter so that binding it again re-prepares the statement on
// its next step (sqlite3_prepare_v2: "the statement will be automatically recompiled ... on
// the first sqlite3_step() call following any change to the bindings of that parameter",
// https://www.sqlite.org/c3ref/prepare.html); a bind is a change even with the same value. So
// every Kysely query with .limit(n) was parsed and planned anew on every run despite the
// statement cache (sqlite/open-sqlite.ts): measured on SQLite 3.53, a primary-key read with
// `limit ?` took 5.5 us against 1.8 us with `limit 1`, the plan pick of a submission 8.8 us
// against 2.1 us (docs/decisions/0032). A number written in the text costs nothing per run;
// each distinct value is one more cached statement (limits come from a few constants and
// page sizes).
//
// Written by the dialect's query compiler rather than a plugin: a plugin's transformQuery
// copies every query's whole tree (a frozen object per node) to change the few that have a
// LIMIT, and its transformResult is one more await per query; measured on the order
// pipeline that was ~2% of the main thread's CPU (docs/decisions/0036). The compiler writes
// the number where it would have written the parameter, and costs nothing to the others.
import {
  SqliteDialect,
  SqliteQueryCompiler,
  ValueNode,
  type LimitNode,
  type OffsetNode,
  type OperationNode,
  type QueryCompiler,
} from 'kysely';

/** A plain integer, safe to write into SQL text (never a string: those stay parameters). */
function inlinable(node: OperationNode): string | undefined {
  if (!ValueNode.is(node)) return undefined;
  const v = node.value;
  if ((typeof v === 'number' && Number.isSafeInteger(v)) || typeof v === 'bigint') return v.toString();
  return undefined;
}

class InlineLimitsCompiler extends SqliteQueryCompiler {
  protected override visitLimit(node: LimitNode): void {
    const n = inlinable(node.limit);
    if (n === undefined) return super.visitLimit(node);
    this.append(`limit ${n}`);
  }
  protected override visitOffset(node: OffsetNode): void {
    const n = inlinable(node.offset);
    if (n === undefined) return super.visitOffset(node);
    this.append(`offset ${n}`);
  }
}

/** SQLite's dialect, with LIMIT and OFFSET values written into the text. */
export class InlineLimitsSqliteDialect extends SqliteDialect {
  override createQueryCompiler(): QueryCompiler {
    return new InlineLimitsCompiler();
  }
}
