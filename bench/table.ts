// Plain-text output of `npm run bench`: an aligned table of figures with their ratios to the
// OpenSSL baseline, then indented notes.

export interface Row {
  label: string;
  value: number;
  /** One ratio per baseline column; undefined prints as '-'. */
  ratios: Array<number | undefined>;
  /** Printed last, as is (e.g. how busy the machine was with other work meanwhile). */
  note?: string;
}

export function formatCount(n: number): string {
  if (!Number.isFinite(n)) return '-';
  return n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(1);
}

export function formatRatio(r: number | undefined): string {
  if (r === undefined || !Number.isFinite(r)) return '-';
  return r >= 0.995 ? r.toFixed(2) : r.toPrecision(3);
}

export function renderTable(title: string, columns: string[], rows: Row[], noteColumn = ''): string {
  const labelWidth = Math.max(title.length, ...rows.map((r) => r.label.length)) + 2;
  const valueWidth = Math.max(8, ...rows.map((r) => formatCount(r.value).length)) + 2;
  const colWidths = columns.map((c) => c.length + 3);
  const lines = [
    title.padEnd(labelWidth) +
      'value'.padStart(valueWidth) +
      columns.map((c, i) => c.padStart(colWidths[i]!)).join('') +
      (noteColumn ? `   ${noteColumn}` : ''),
  ];
  for (const r of rows) {
    lines.push(
      r.label.padEnd(labelWidth) +
        formatCount(r.value).padStart(valueWidth) +
        columns.map((_, i) => formatRatio(r.ratios[i]).padStart(colWidths[i]!)).join('') +
        (noteColumn && r.note !== undefined ? `   ${r.note.padStart(noteColumn.length)}` : ''),
    );
  }
  return lines.join('\n');
}
