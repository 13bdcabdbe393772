/** A small RFC 4180 CSV reader and writer: quoted fields may hold commas, doubled quotes and line breaks. */

/** All rows of a CSV text, each a list of fields. CRLF and LF line ends are both accepted. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0; // a UTF-8 byte order mark is not part of the first field

  while (i < text.length) {
    let field: string;
    if (text[i] === '"') {
      // Quoted: runs up to the next quote that is not doubled.
      const parts: string[] = [];
      let start = i + 1;
      for (;;) {
        const quote = text.indexOf('"', start);
        if (quote < 0) throw new Error('CSV ends inside a quoted field');
        parts.push(text.slice(start, quote));
        if (text[quote + 1] === '"') {
          parts.push('"');
          start = quote + 2;
        } else {
          i = quote + 1;
          break;
        }
      }
      field = parts.join('');
      // Anything between the closing quote and the delimiter is kept, as lenient readers do.
      const end = nextDelimiter(text, i);
      field += text.slice(i, end);
      i = end;
    } else {
      const end = nextDelimiter(text, i);
      field = text.slice(i, end);
      i = end;
    }
    row.push(field);
    if (text[i] === ',') {
      i += 1;
      if (i === text.length) row.push('');
      continue;
    }
    // End of line (or of text): CRLF or LF.
    rows.push(row);
    row = [];
    if (text[i] === '\r') i += 1;
    if (text[i] === '\n') i += 1;
  }
  return rows;
}

function nextDelimiter(text: string, from: number): number {
  for (let i = from; i < text.length; i++) {
    const char = text.charCodeAt(i);
    if (char === 44 /* , */ || char === 10 /* \n */ || char === 13 /* \r */) return i;
  }
  return text.length;
}

/** Rows as objects keyed by the header line's names; blank lines are skipped. */
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
