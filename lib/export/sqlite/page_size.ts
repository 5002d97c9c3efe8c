/**
 * How many rows a keyed page of an export takes: few enough that a page of
 * wide rows stays near a byte budget (eight exports of wide rows once took
 * 1 GB), as many as 1,000 when rows are narrow.
 *
 * @module
 */

/**
 * Rows for the next page: as many as fit `batchBytes` if each were `widest`
 * bytes, between 1 and `batchRows`.
 *
 * @param batchRows The most rows a page takes.
 * @param batchBytes The bytes a page aims to stay under (0: rows only).
 * @param widest The widest row of the last page, in bytes.
 * @returns The rows to ask for.
 * @example
 * ```ts
 * pageRows(1000, 4 * 1024 * 1024, 1024 * 1024); // 4
 * ```
 */
export function pageRows(batchRows: number, batchBytes: number, widest: number): number {
  if (batchBytes <= 0 || widest <= 0) return batchRows;
  return Math.max(1, Math.min(batchRows, Math.floor(batchBytes / widest)));
}

/**
 * A row's bytes of text (by length) and BLOBs: what holding it costs, near enough.
 *
 * @param row The row's values.
 * @returns The bytes.
 * @example
 * ```ts
 * valueBytes([1n, "abc", new Uint8Array(2), null]); // 5
 * ```
 */
export function valueBytes(row: unknown[]): number {
  let bytes = 0;
  for (const value of row) {
    if (typeof value === "string") bytes += value.length;
    else if (value instanceof Uint8Array) bytes += value.byteLength;
  }
  return bytes;
}
