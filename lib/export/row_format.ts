/**
 * Row serializers for exports: NDJSON, CSV and a JSON array, each written a
 * batch of rows at a time (one string per batch keeps per-row costs low).
 *
 * @module
 */

import { csvField, csvSafeField } from "./csv_field.ts";
import { jsonValue } from "./json_value.ts";

/** The export formats, by name (which is also the file extension). */
export type RowFormatName = "ndjson" | "csv" | "json";

/** What a client needs to know about a format. */
export interface RowFormat {
  name: RowFormatName;
  /** The file extension, without the dot. */
  extension: string;
  /** The Content-Type of a response in this format. */
  contentType: string;
}

/** Every format, by name. */
export const ROW_FORMATS: Readonly<Record<RowFormatName, RowFormat>> = {
  ndjson: { name: "ndjson", extension: "ndjson", contentType: "application/x-ndjson" },
  // RFC 4180 §3 registers the header parameter.
  csv: { name: "csv", extension: "csv", contentType: "text/csv; charset=utf-8; header=present" },
  json: { name: "json", extension: "json", contentType: "application/json" },
};

/** Options for {@linkcode rowEncoder}. */
export interface SerializeOptions {
  /** CSV only: start with a UTF-8 byte order mark, for spreadsheets. @default false */
  bom?: boolean;
  /**
   * CSV only: prefix text cells and column names that a spreadsheet would run
   * as a formula with `'` ({@linkcode csvSafeField}). @default false
   */
  safe?: boolean;
  /**
   * The text continues one whose head and this many rows were written already
   * (a prepared export resumed from a checkpoint): no head, and the rows go on
   * as if the encoder had never stopped. @default undefined (a new text)
   */
  continuesAfter?: number;
}

/** The text of one serialization, piece by piece: see {@linkcode rowEncoder}. */
export interface RowEncoder {
  /** What comes before the first row (the CSV header, the JSON `[`). */
  head(): string;
  /** One batch of rows. */
  batch(rows: unknown[][]): string;
  /** What comes after the last row. */
  tail(): string;
}

/**
 * Makes a format's encoder, driven a batch at a time by the export chain
 * (lib/export/row_encoder_stream.ts).
 *
 * - `ndjson`: one JSON object per row, each line ending in `\n`.
 * - `csv`: a header row, then one record per row, lines ending in CRLF.
 * - `json`: one JSON array of objects, one per line; valid JSON once complete.
 *
 * Values are encoded by {@linkcode jsonValue} and {@linkcode csvField};
 * values past the last column are ignored (the key a read adds).
 *
 * @param format The format.
 * @param columns The column names (at least one).
 * @param options BOM and formula defusing.
 * @returns The encoder; call `head()`, then `batch()` per batch, then `tail()`.
 * @example
 * ```ts
 * const encoder = rowEncoder("ndjson", ["id"]);
 * encoder.head() + encoder.batch([[1n]]) + encoder.tail(); // '{"id":1}\n'
 * ```
 */
export function rowEncoder(
  format: RowFormatName,
  columns: string[],
  options: SerializeOptions = {},
): RowEncoder {
  const n = columns.length;
  const continued = options.continuesAfter !== undefined;
  if (format === "csv") {
    const field = options.safe ? csvSafeField : csvField;
    return {
      head: () =>
        continued ? "" : (options.bom ? "\uFEFF" : "") + columns.map(field).join(",") + "\r\n",
      batch(rows) {
        let text = "";
        for (const row of rows) {
          let line = field(row[0]);
          for (let i = 1; i < n; i++) line += "," + field(row[i]);
          text += line + "\r\n";
        }
        return text;
      },
      tail: () => "",
    };
  }
  const keys = columns.map((name, i) => (i === 0 ? "{" : ",") + JSON.stringify(name) + ":");
  const object = (row: unknown[]): string => {
    let text = "";
    for (let i = 0; i < n; i++) text += keys[i] + jsonValue(row[i]);
    return text + "}";
  };
  if (format === "ndjson") {
    return {
      head: () => "",
      batch(rows) {
        let text = "";
        for (const row of rows) text += object(row) + "\n";
        return text;
      },
      tail: () => "",
    };
  }
  let separator = (options.continuesAfter ?? 0) > 0 ? ",\n" : "\n";
  return {
    head: () => continued ? "" : "[",
    batch(rows) {
      let text = "";
      for (const row of rows) {
        text += separator + object(row);
        separator = ",\n";
      }
      return text;
    },
    tail: () => separator === "\n" ? "]\n" : "\n]\n",
  };
}

/** The members of an NDJSON error record (RFC 9457 problem details). */
export interface ErrorRecord {
  status: number;
  title: string;
  detail: string;
  [extension: string]: unknown;
}

/**
 * The line an NDJSON export ends with when it fails after rows were sent:
 * an object whose only key is `$error`, holding problem details.
 *
 * @param problem The problem's members; `type` defaults to `about:blank`.
 * @returns The line, ending in `\n`.
 * @example
 * ```ts
 * ndjsonErrorRecord({ status: 500, title: "Internal Server Error", detail: "x", rows: 2 });
 * // '{"$error":{"type":"about:blank","status":500,"title":"Internal Server Error","detail":"x","rows":2}}\n'
 * ```
 */
export function ndjsonErrorRecord(problem: ErrorRecord): string {
  return JSON.stringify({ $error: { type: "about:blank", ...problem } }) + "\n";
}
