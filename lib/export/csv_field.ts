/**
 * How one SQLite value is written in a CSV export (RFC 4180).
 *
 * @module
 */

const NEEDS_QUOTES = /[",\r\n]/;

/**
 * Encodes one value as a CSV field. Fields holding a comma, a double quote,
 * CR or LF are quoted, with inner quotes doubled (RFC 4180 §2.6–2.7).
 *
 * - NULL → an empty, unquoted field; the empty string → `""`, so the two stay
 *   apart (as in PostgreSQL's CSV).
 * - INTEGER (also beyond 2^53) → its decimal digits; REAL → the shortest
 *   digits that read back to the same double (`0.1`, `1e+21`, `Infinity`).
 * - BLOB → standard padded base64.
 *
 * @param value A value from node:sqlite, or a column name.
 * @returns The field, ready to join with commas.
 * @throws {TypeError} For a value SQLite cannot return.
 * @example
 * ```ts
 * csvField('say "hi", twice'); // '"say ""hi"", twice"'
 * csvField(null); // ''
 * ```
 */
export function csvField(value: unknown): string {
  switch (typeof value) {
    case "string":
      if (value === "") return '""';
      return NEEDS_QUOTES.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
    case "bigint":
    case "number":
    case "boolean":
      return `${value}`;
    case "object":
      if (value === null) return "";
      if (value instanceof Uint8Array) return value.toBase64();
  }
  throw new TypeError(`Cannot encode a value of type ${typeof value} as CSV`);
}
