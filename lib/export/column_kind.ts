/**
 * What kind of value a column holds, as filters and resume tokens need to
 * know it: a request's text is turned into a bound value of that kind, or
 * refused (400 naming the column and its type) before any SQL runs. Shared by
 * both backends: SQLite's kinds come from its affinity rules
 * ({@linkcode sqliteKind}); PostgreSQL maps its catalog types onto the same
 * kinds, with `other` for types it casts from text itself.
 *
 * @module
 */

import { HttpError } from "../http/http_error.ts";

/**
 * - `integer`, `real`, `numeric`, `text`, `blob`: values of that kind only
 *   (`blob` as standard base64, as exports write them).
 * - `any`: a column without a declared type (SQLite): a value that reads as a
 *   number is bound as one, anything else as text.
 * - `other`: bound as text; the backend's dialect casts it (a PostgreSQL
 *   timestamp, say).
 */
export type ValueKind = "integer" | "real" | "numeric" | "text" | "blob" | "any" | "other";

/** A value bound to a statement. */
export type SqlValue = null | bigint | number | string | Uint8Array;

/** A column, as filters, orders and tokens see it. */
export interface ColumnInfo {
  name: string;
  kind: ValueKind;
  /** The declared type, for messages and casts (`INTEGER`, `timestamptz`; `` when none). */
  type: string;
  /** Declared NOT NULL (or the key): its order needs no NULLS FIRST/LAST. */
  notNull: boolean;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const INTEGER = /^[+-]?\d+$/;
const REAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * A column's kind from its declared SQLite type, by SQLite's affinity rules
 * (https://sqlite.org/datatype3.html §3.1), in their order.
 *
 * @param declared The declared type (`pragma_table_xinfo`'s `type`).
 * @returns The kind.
 * @example
 * ```ts
 * sqliteKind("VARCHAR(20)"); // "text"
 * sqliteKind(""); // "any"
 * ```
 */
export function sqliteKind(declared: string): ValueKind {
  const type = declared.toUpperCase();
  if (type.includes("INT")) return "integer";
  if (type.includes("CHAR") || type.includes("CLOB") || type.includes("TEXT")) return "text";
  if (type.includes("BLOB")) return "blob";
  if (type === "") return "any";
  if (type.includes("REAL") || type.includes("FLOA") || type.includes("DOUB")) return "real";
  return "numeric";
}

/**
 * Turns a request's text into the value bound for a column: 400 naming the
 * column and its type when the text is not a value of its kind.
 *
 * With `loose` (resume tokens, which repeat a value the export sent), a
 * numeric column also takes text that is not a number: SQLite stores such
 * text as it is in a numeric column, and a token must be able to name it.
 *
 * @param column The column.
 * @param text The value as the client wrote it.
 * @param loose Accept text for numeric kinds. @default false
 * @returns The bound value.
 * @throws {HttpError} 400 naming the column and its type.
 * @example
 * ```ts
 * parseValue({ name: "quantity", kind: "integer", type: "INTEGER", notNull: true }, "12"); // 12n
 * ```
 */
export function parseValue(column: ColumnInfo, text: string, loose = false): SqlValue {
  const number = readNumber(text, column.kind === "integer" && !loose);
  switch (column.kind) {
    case "integer":
    case "real":
    case "numeric":
      if (number !== undefined) return column.kind === "real" ? Number(number) : number;
      if (loose) return text;
      break;
    case "any":
      return number ?? text;
    case "blob":
      if (BASE64.test(text)) return Uint8Array.fromBase64(text);
      if (loose) return text;
      break;
    default:
      return text;
  }
  const want = column.kind === "integer"
    ? "a 64-bit integer"
    : column.kind === "blob"
    ? "standard base64"
    : "a number";
  throw new HttpError(
    400,
    `Column ${JSON.stringify(column.name)} is ${
      describeType(column)
    }: the value must be ${want}; ` +
      `got ${JSON.stringify(text.length > 100 ? `${text.slice(0, 100)}…` : text)}`,
    { extensions: { column: column.name, columnType: column.type || column.kind } },
  );
}

/**
 * Whether text reads as a number in the export's notation (what an untyped
 * column's value would be bound as): a resume token quotes such text, so a
 * text `"123"` in a column without a declared type stays text.
 *
 * @param text The text.
 * @returns True for integers, decimals, exponent forms and ±Infinity.
 */
export function readsAsNumber(text: string): boolean {
  return readNumber(text, false) !== undefined;
}

/** `INTEGER`, or `untyped` for a column without a declared type. */
export function describeType(column: ColumnInfo): string {
  return column.type === "" ? "untyped" : column.type;
}

/**
 * A number in the export's own notation: an integer (a BigInt when it fits
 * 64 bits), a decimal or exponent form, or ±Infinity; undefined otherwise.
 */
function readNumber(text: string, integerOnly: boolean): bigint | number | undefined {
  if (INTEGER.test(text)) {
    const value = BigInt(text);
    if (value >= INT64_MIN && value <= INT64_MAX) return value;
    return integerOnly ? undefined : Number(text);
  }
  if (integerOnly) return undefined;
  if (REAL.test(text)) return Number(text);
  if (/^[+-]?Infinity$/.test(text)) return text.startsWith("-") ? -Infinity : Infinity;
  return undefined;
}
