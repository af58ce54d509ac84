// PostgreSQL: many rows as one parameter. A multi-row VALUES binds one parameter per column
// and row (a mass revocation's 1,333 notices are 21,000 of them), which the driver encodes one
// by one and the server parses and plans row by row; json_populate_recordset (PostgreSQL
// manual, "JSON Functions and Operators") reads the same rows from one JSON text, each value
// converted by the input function of its column's type in the table's own row type.
import { sql, type RawBuilder } from 'kysely';

/**
 * `select <columns> from json_populate_recordset(null::<table>, $1)`, to put after
 * `insert into <table> (<columns>)` (Kysely: `.columns(columns).expression(...)`).
 * Buffers become bytea hex text ('\x...'); numbers, strings and nulls go as they are.
 */
export function jsonRecordset(
  table: string,
  rows: ReadonlyArray<Record<string, unknown>>,
): { columns: string[]; select: RawBuilder<unknown> } {
  const columns = Object.keys(rows[0] ?? {});
  const json = JSON.stringify(
    rows.map((r) => {
      const out: Record<string, unknown> = {};
      for (const c of columns) {
        const v = r[c];
        out[c] = Buffer.isBuffer(v) ? `\\x${v.toString('hex')}` : v;
      }
      return out;
    }),
  );
  return {
    columns,
    select: sql`select ${sql.join(columns.map((c) => sql.ref(c)))} from json_populate_recordset(null::${sql.table(
      table,
    )}, ${json}::json)`,
  };
}
