import type { Readable } from 'node:stream';
import { parse } from 'csv-parse';

export interface CsvRow {
  /** 1-based line of the file where the row starts. */
  line: number;
  fields: string[];
}

/**
 * Rows of a CSV file, streamed: quoted fields, CRLF or LF, a UTF-8 byte-order mark, rows of uneven
 * length. A malformed row (an unclosed quote) ends the file with an error naming its line.
 */
export async function* csvRows(input: Readable): AsyncGenerator<CsvRow> {
  const parser = input.pipe(
    parse({
      bom: true,
      relax_column_count: true,
      skip_empty_lines: true,
      info: true,
      trim: false,
    }),
  );
  input.on('error', (err) => parser.destroy(err));
  for await (const item of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
    yield { line: item.info.lines, fields: item.record };
  }
}

/** Maps header names to their column index. */
export function headerIndex(header: string[]): Map<string, number> {
  return new Map(header.map((name, i) => [name.trim(), i]));
}
