// Every command prints JSON with --json, or a short human form otherwise.
export type Printer = (result: unknown, human: () => string) => void;

export function printerFor(json: boolean, write: (s: string) => void = (s) => process.stdout.write(s)): Printer {
  return (result, human) => write(json ? `${JSON.stringify(result)}\n` : `${human()}\n`);
}

export function table(rows: Array<Record<string, unknown>>, columns: string[]): string {
  if (rows.length === 0) return '(none)';
  const cells = rows.map((r) =>
    columns.map((c) =>
      r[c] === null || r[c] === undefined
        ? ''
        : typeof r[c] === 'object'
          ? JSON.stringify(r[c])
          : String(r[c] as string | number | boolean),
    ),
  );
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i]!.length)));
  const line = (vals: string[]) =>
    vals
      .map((v, i) => v.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(columns), ...cells.map(line)].join('\n');
}
