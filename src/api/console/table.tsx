// The one table both consoles draw: a header row from the columns, a row per item. Cells are
// preact children, so they stay escaped like every other text (layout.tsx).
import type { ComponentChildren } from 'preact';

export interface Column<R> {
  /** The header cell. */
  head: ComponentChildren;
  cell(row: R): ComponentChildren;
  /** Monospaced (ids, serials, digests). */
  mono?: boolean;
  /** A `data-field` name tests and scripts find the cell by. */
  field?: string;
}

export function Table<R>(props: {
  rows: readonly R[];
  columns: ReadonlyArray<Column<R>>;
  caption?: ComponentChildren;
  /** Attributes of each row (`data-*` names tests find it by). */
  rowAttrs?(row: R): Record<string, string | number>;
  /** Shown instead of an empty table. */
  empty?: ComponentChildren;
}) {
  if (props.rows.length === 0 && props.empty !== undefined) return <p>{props.empty}</p>;
  return (
    <table>
      {props.caption !== undefined && <caption>{props.caption}</caption>}
      <thead>
        <tr>
          {props.columns.map((c) => (
            <th scope="col">{c.head}</th>
          ))}
        </tr>
      </thead>
      <tbody>
        {props.rows.map((r) => (
          <tr {...props.rowAttrs?.(r)}>
            {props.columns.map((c) => (
              <td class={c.mono ? 'mono' : undefined} data-field={c.field}>
                {c.cell(r)}
              </td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
