/**
 * The resume token (`?after=`): where an export stopped, as the values of its
 * last complete row in the order's columns, key last — what a keyset read
 * continues after. Without `order=` the order is the key alone, so the token
 * is the key's digits, as `?after=N` always was. A client holding only the
 * last row it received (CSV or JSON) writes the token from that row.
 *
 * @module
 */

import { HttpError } from "../http/http_error.ts";
import { parseValue, readsAsNumber, type SqlValue } from "./column_kind.ts";
import type { OrderTerm } from "./row_order.ts";
import { quoteItem, splitList } from "./value_list.ts";

/**
 * Writes a token: each order column's value as the export wrote it (a REAL
 * in its shortest form, a BLOB as base64), comma-separated; NULL is a bare
 * `null`, and text that is empty, `null`, reads as a number, or holds `,` `"`
 * `\` `(` `)` is double-quoted with `"` and `\` escaped. Text that reads as a
 * number is quoted because a column without a declared type may hold both
 * the text `123` and the integer 123, which SQLite orders apart (numbers
 * before text): a bare `123` would resume at the wrong place.
 *
 * @param values The order columns' values of the last row sent, key last.
 * @returns The token.
 * @example
 * ```ts
 * formatResumeToken([12.5, "a,b", null, 1001n]); // '12.5,"a,b",null,1001'
 * ```
 */
export function formatResumeToken(values: readonly unknown[]): string {
  return values.map((value) => {
    if (value === null) return "null";
    // Text that reads as a number holds no quote or backslash to escape.
    if (typeof value === "string") return readsAsNumber(value) ? `"${value}"` : quoteItem(value);
    if (value instanceof Uint8Array) return value.toBase64();
    return String(value);
  }).join(",");
}

/**
 * Reads a token for an order: one value per term, each checked against its
 * column's kind (loosely: a numeric column may hold text in SQLite).
 *
 * @param raw The token.
 * @param order The order it must match (from lib/export/row_order.ts).
 * @returns The values, in the order's terms.
 * @throws {HttpError} 400 when the count of values is wrong, a value is not
 * of its column's kind, or a NOT NULL column is given `null`.
 * @example
 * ```ts
 * parseResumeToken("12.5,1001", priceThenId); // [12.5, 1001n]
 * ```
 */
export function parseResumeToken(raw: string, order: readonly OrderTerm[]): SqlValue[] {
  const names = order.map((t) => t.column.name).join(",");
  if (order.length === 0) {
    throw new HttpError(400, `"after" needs an order to resume in, and this export has none`);
  }
  const items = splitList(raw, `"after"`);
  if (items.length !== order.length) {
    throw new HttpError(
      400,
      `"after" must hold ${order.length} value${order.length === 1 ? "" : "s"}, the last row's ` +
        `${names} (comma-separated); got ${items.length}`,
    );
  }
  return items.map(({ text, quoted }, i) => {
    const { column } = order[i];
    if (!quoted && text === "null") {
      if (column.notNull) {
        throw new HttpError(400, `"after": ${JSON.stringify(column.name)} is never null`);
      }
      return null;
    }
    // Quoted, an untyped column's value is text even when it reads as a number.
    if (quoted && column.kind === "any") return text;
    // The key must be an integer: it is what makes the position unique.
    return parseValue(column, text, i < order.length - 1 || column.kind !== "integer");
  });
}

/**
 * The token of a row as read (its order's values last), as the NDJSON error
 * record and a job's checkpoint give it: the key alone as a number (or its
 * digits beyond 2^53) when the export has no `order=`, else the token text.
 *
 * @param row The row, the order's values after its columns.
 * @param terms How many order values end the row.
 * @param ordered Whether the export has an `order=` of its own.
 * @returns The token; undefined when the row carries no order values.
 * @example
 * ```ts
 * resumeTokenOf(["a", 3000n], 1, false); // 3000
 * ```
 */
export function resumeTokenOf(
  row: readonly unknown[],
  terms: number,
  ordered: boolean,
): string | number | undefined {
  if (terms === 0 || row.length < terms) return undefined;
  if (!ordered) {
    const key = row[row.length - 1];
    if (typeof key !== "bigint") return undefined;
    return Number.isSafeInteger(Number(key)) ? Number(key) : String(key);
  }
  return formatResumeToken(row.slice(row.length - terms));
}
