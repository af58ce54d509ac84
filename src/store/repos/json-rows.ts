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
export function jsonRecordset<R extends object>(
  table: string,
  rows: readonly R[],
): { columns: Array<Extract<keyof R, string>>; select: RawBuilder<unknown> } {
  const first: Record<string, unknown> = rows[0] ?? {};
  // Every row comes from one mapper, so the first row's keys are the row type's keys.
  const columns = Object.keys(first) as Array<Extract<keyof R, string>>;
  const binary = columns.filter((c) => Buffer.isBuffer(first[c]));
  // Rows without Buffers are stringified as they are (V8's fast path for plain objects).
  const json = JSON.stringify(
    binary.length === 0
      ? rows
      : (rows as ReadonlyArray<Record<string, unknown>>).map((r) => {
          const out = { ...r };
          for (const c of binary) {
            const v = r[c];
            if (Buffer.isBuffer(v)) out[c] = `\\x${v.toString('hex')}`;
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
