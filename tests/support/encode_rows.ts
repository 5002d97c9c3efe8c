/**
 * An export's whole text from batches of rows, synchronously, through the
 * export's own encoder (lib/export/row_format.ts): expected bodies for tests.
 *
 * @module
 */

import {
  rowEncoder,
  type RowFormatName,
  type SerializeOptions,
} from "../../lib/export/row_format.ts";

/**
 * Encodes every batch, with the head and the tail, as one string.
 *
 * @param format The format.
 * @param columns The column names.
 * @param batches Batches of rows.
 * @param options The BOM, formula defusing.
 * @returns The text an export of these rows sends.
 */
export function encodeRows(
  format: RowFormatName,
  columns: string[],
  batches: unknown[][][],
  options: SerializeOptions = {},
): string {
  const encoder = rowEncoder(format, columns, options);
  return encoder.head() + batches.map((batch) => encoder.batch(batch)).join("") + encoder.tail();
}
