/**
 * CSV (RFC 4180: quoted fields may hold commas, doubled quotes and line breaks) read with csv-parse, and a small
 * writer for the one place that writes CSV (scripts/build-default-examples.ts).
 */
import { parse } from 'csv-parse/sync';

/**
 * All rows of a CSV text, each a list of fields. CRLF, LF and CR line ends are all accepted, a UTF-8 byte order
 * mark is not part of the first field, and rows may have different numbers of fields (a blank line is one empty
 * field).
 */
export function parseCsv(text: string): string[][] {
  return parse(text, {
    bom: true,
    relax_column_count: true,
    record_delimiter: ['\r\n', '\n', '\r'],
  }) as string[][];
}

/** Rows as objects keyed by the header line's names; blank lines are skipped, missing fields are ''. */
export function parseCsvRecords(text: string): Record<string, string>[] {
  const [header, ...rows] = parseCsv(text);
  if (!header) return [];
  return rows
    .filter((row) => !(row.length === 1 && row[0] === ''))
    .map((row) => Object.fromEntries(header.map((name, index) => [name.trim(), row[index] ?? ''])));
}

/** One CSV line (no line end), quoting only the fields that need it. */
export function formatCsvRow(fields: readonly string[]): string {
  return fields.map((field) => (/[",\r\n]/.test(field) ? `"${field.replace(/"/g, '""')}"` : field)).join(',');
}
