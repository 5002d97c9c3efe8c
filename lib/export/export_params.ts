/**
 * The parameters an export takes besides its table and columns — `limit`,
 * `after` and the 0/1 flags — parsed the same way wherever an export is asked
 * for (`GET /export/…` query strings, `POST /jobs` bodies).
 *
 * @module
 */

import { HttpError } from "../http/http_error.ts";
import type { TableInfo } from "./table_schema.ts";

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * `limit`: a non-negative safe integer, or undefined when absent.
 *
 * @param raw The text, or null when absent.
 * @returns The limit.
 * @throws {HttpError} 400 naming the parameter.
 * @example
 * ```ts
 * parseLimit("10"); // 10
 * ```
 */
export function parseLimit(raw: string | null): number | undefined {
  if (raw === null) return undefined;
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(Number(raw))) {
    throw new HttpError(400, `"limit" must be a non-negative integer; got ${JSON.stringify(raw)}`);
  }
  return Number(raw);
}

/**
 * `after`: a 64-bit key value, for a table that has an integer key.
 *
 * @param raw The text, or null when absent.
 * @param table The table it applies to.
 * @returns The key value.
 * @throws {HttpError} 400 when the table has no key or the value is not a 64-bit integer.
 * @example
 * ```ts
 * parseAfter("42", table); // 42n
 * ```
 */
export function parseAfter(raw: string | null, table: TableInfo): bigint | undefined {
  if (raw === null) return undefined;
  if (table.key === undefined) {
    throw new HttpError(
      400,
      `"after" needs an integer key, and ${table.type} ${JSON.stringify(table.name)} has none`,
    );
  }
  const value = /^-?\d{1,19}$/.test(raw) ? BigInt(raw) : undefined;
  if (value === undefined || value < INT64_MIN || value > INT64_MAX) {
    throw new HttpError(
      400,
      `"after" must be a 64-bit integer ${table.key}; got ${JSON.stringify(raw)}`,
    );
  }
  return value;
}

/**
 * A 0/1 flag such as `bom`.
 *
 * @param name The parameter's name, for the message.
 * @param raw The text, or null when absent.
 * @param absent What an absent flag means. @default false
 * @returns Whether it is on.
 * @throws {HttpError} 400 for anything but 0 or 1.
 */
export function parseFlag(name: string, raw: string | null, absent = false): boolean {
  if (raw === null) return absent;
  if (raw === "0") return false;
  if (raw === "1") return true;
  throw new HttpError(400, `"${name}" must be 0 or 1; got ${JSON.stringify(raw)}`);
}
