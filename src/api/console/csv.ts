// CSV for audits (RFC 4180: CRLF lines, fields quoted when they hold a comma, quote or line
// break). A field starting with = + - @ is prefixed with ' so a spreadsheet does not run it
// as a formula (OWASP "CSV Injection").
export function csvField(value: string | number | null | undefined): string {
  let s = value === null || value === undefined ? '' : String(value);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvLine(fields: ReadonlyArray<string | number | null | undefined>): string {
  return `${fields.map(csvField).join(',')}\r\n`;
}
