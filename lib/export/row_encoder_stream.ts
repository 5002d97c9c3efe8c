/**
 * The export chain's encoder: batches of rows in, text out.
 *
 * @module
 */

import { rowEncoder, type RowFormatName, type SerializeOptions } from "./row_format.ts";

/** A piece of an export's text and the rows it holds, for the links after the encoder. */
export interface EncodedRows {
  text: string;
  /** How many rows `text` holds (0 for the JSON array's closing bracket). */
  rows: number;
  /** The last of them, with the key's value last when the read has a key. */
  last: unknown[] | undefined;
}

/**
 * Encodes each batch of rows as NDJSON, CSV or JSON text, one piece per
 * batch. What comes before the first row (the CSV header, the JSON `[`) is
 * sent with the first batch, so the first write holds rows; what comes after
 * the last is a piece of its own. A failed read sends no closing part: a
 * truncated JSON array stays invalid.
 *
 * @example
 * ```ts
 * const text = ReadableStream.from([[[1n, "a"]]])
 *   .pipeThrough(new RowEncoderStream("csv", ["id", "note"]));
 * // { text: "id,note\r\n1,a\r\n", rows: 1, last: [1n, "a"] }
 * ```
 */
export class RowEncoderStream extends TransformStream<unknown[][], EncodedRows> {
  /**
   * @param format The format.
   * @param columns The column names (at least one).
   * @param options The BOM (CSV).
   */
  constructor(format: RowFormatName, columns: string[], options: SerializeOptions = {}) {
    const encoder = rowEncoder(format, columns, options);
    let head: string | undefined = encoder.head();
    super({
      transform(rows, controller) {
        if (rows.length === 0) return;
        const text = (head ?? "") + encoder.batch(rows);
        head = undefined;
        controller.enqueue({ text, rows: rows.length, last: rows[rows.length - 1] });
      },
      flush(controller) {
        const text = (head ?? "") + encoder.tail();
        if (text !== "") controller.enqueue({ text, rows: 0, last: undefined });
      },
    });
  }
}
