/**
 * How one SQLite value is written in JSON and NDJSON exports.
 *
 * @module
 */

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * Encodes one value read from SQLite (with `setReadBigInts(true)`) as JSON
 * text. Every value SQLite can hold has a defined encoding:
 *
 * - NULL → `null`; TEXT → a JSON string.
 * - INTEGER → a JSON number when it is within ±(2^53 − 1); beyond that, a
 *   JSON string of its decimal digits, so no JSON parser silently rounds it.
 * - REAL → a JSON number; ±Infinity (which SQLite can store) → the strings
 *   `"Infinity"` and `"-Infinity"`.
 * - BLOB → `{"$base64":true,"encoded":"<standard padded base64>"}` (the shape
 *   Datasette uses), so it cannot be mistaken for text.
 *
 * @param value A value from node:sqlite.
 * @returns Its JSON text.
 * @throws {TypeError} For a value SQLite cannot return (such as a symbol).
 * @example
 * ```ts
 * jsonValue(9007199254740993n); // '"9007199254740993"'
 * jsonValue(new Uint8Array([1, 2])); // '{"$base64":true,"encoded":"AQI="}'
 * ```
 */
export function jsonValue(value: unknown): string {
  switch (typeof value) {
    case "string":
      return JSON.stringify(value);
    case "bigint":
      return value >= -MAX_SAFE && value <= MAX_SAFE ? `${value}` : `"${value}"`;
    case "number":
      if (Number.isFinite(value)) return `${value}`;
      return value > 0 ? '"Infinity"' : value < 0 ? '"-Infinity"' : "null";
    case "boolean":
      return value ? "true" : "false";
    case "object":
      if (value === null) return "null";
      if (value instanceof Uint8Array) {
        return `{"$base64":true,"encoded":"${value.toBase64()}"}`;
      }
  }
  throw new TypeError(`Cannot encode a value of type ${typeof value} as JSON`);
}
