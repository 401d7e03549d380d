/**
 * First characters that make a spreadsheet read a cell as a formula or a command (OWASP "CSV Injection":
 * `=`, `+`, `-`, `@`, tab and carriage return).
 */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * One CSV cell (RFC 4180) that a spreadsheet opens as text. Null and undefined are an empty cell, objects their
 * JSON, other values their string. A text starting like a formula is neutralized as OWASP advises: prefixed with a
 * single quote (which spreadsheets take as "text follows") and quoted; numbers stay numbers. Quotes inside are doubled; a cell holding a
 * separator, quote or line break is quoted.
 *
 * @example csvCell('=HYPERLINK("http://x")') === `"'=HYPERLINK(""http://x"")"`
 */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
  if (typeof value === 'string' && FORMULA_START.test(text)) return `"'${text.replace(/"/g, '""')}"`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** One CSV line of `values`, ended by CRLF (RFC 4180 §2). */
export function csvLine(values: readonly unknown[]): string {
  let line = '';
  for (let i = 0; i < values.length; i++) line += (i === 0 ? '' : ',') + csvCell(values[i]);
  return `${line}\r\n`;
}
