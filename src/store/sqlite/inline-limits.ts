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
import {
  OperationNodeTransformer,
  ValueNode,
  type KyselyPlugin,
  type LimitNode,
  type OffsetNode,
  type OperationNode,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  type QueryResult,
  type RootOperationNode,
  type UnknownRow,
} from 'kysely';

/** A plain integer, safe to write into SQL text (never a string: those stay parameters). */
function inlined(node: OperationNode): OperationNode {
  if (!ValueNode.is(node)) return node;
  const v = node.value;
  if ((typeof v === 'number' && Number.isSafeInteger(v)) || typeof v === 'bigint') return ValueNode.createImmediate(v);
  return node;
}

class InlineLimitsTransformer extends OperationNodeTransformer {
  protected override transformLimit(node: LimitNode): LimitNode {
    return { ...node, limit: inlined(this.transformNode(node.limit)) };
  }
  protected override transformOffset(node: OffsetNode): OffsetNode {
    return { ...node, offset: inlined(this.transformNode(node.offset)) };
  }
}

export class InlineLimitsPlugin implements KyselyPlugin {
  readonly #transformer = new InlineLimitsTransformer();
  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    return this.#transformer.transformNode(args.node);
  }
  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return args.result;
  }
}
