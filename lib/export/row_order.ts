/**
 * An export's order: `?order=price.desc,id` (PostgREST's syntax), checked
 * against the table's columns and made total by appending the integer key.
 * Dialect-neutral: lib/export/filter_sql.ts writes it as ORDER BY and as the
 * keyset condition that resumes after a row.
 *
 * @module
 */

import { HttpError } from "../http/http_error.ts";
import type { ColumnInfo } from "./column_kind.ts";
import { nameList } from "./table_schema.ts";
import { readQuoted } from "./value_list.ts";

/** One column of an order. */
export interface OrderTerm {
  column: ColumnInfo;
  desc: boolean;
  /**
   * Where NULLs go. Defaults as PostgreSQL's (and PostgREST's): last when
   * ascending, first when descending. Both backends write it out (unless the
   * column is NOT NULL), so SQLite and PostgreSQL give the same order.
   */
  nullsFirst: boolean;
}

const MODIFIERS = new Set(["asc", "desc", "nullsfirst", "nullslast"]);

/**
 * Reads `order=`: comma-separated `column[.asc|.desc][.nullsfirst|.nullslast]`,
 * a name holding `.` or `,` in double quotes. The key is appended as the last
 * term when the order does not name it, in the direction of the term before
 * it (so `price.desc` is `price DESC, id DESC`, which an index on `price`
 * reads backwards); terms after the key are dropped, as they cannot change
 * the order. Without `order=` the order is the key alone.
 *
 * @param raw The parameter, or null when absent.
 * @param columns The columns that may be ordered by (the table's, and its key).
 * @param key The table's integer key, or undefined (then the order is as given).
 * @returns The terms; empty when there is no order and no key.
 * @throws {HttpError} 400 for an unknown or repeated column, an unknown modifier, an empty term.
 * @example
 * ```ts
 * parseOrder("price.desc", columns, "id").map((t) => [t.column.name, t.desc]);
 * // [["price", true], ["id", true]]
 * ```
 */
export function parseOrder(
  raw: string | null,
  columns: ColumnInfo[],
  key: string | undefined,
): OrderTerm[] {
  const byName = new Map(columns.map((c) => [c.name, c]));
  const keyColumn = key === undefined ? undefined : byName.get(key);
  if (raw === null) {
    return keyColumn === undefined ? [] : [{ column: keyColumn, desc: false, nullsFirst: false }];
  }
  const terms: OrderTerm[] = [];
  for (const text of splitTerms(raw)) {
    const term = parseTerm(text, byName);
    if (terms.some((t) => t.column.name === term.column.name)) {
      throw new HttpError(400, `"order" names ${JSON.stringify(term.column.name)} twice`);
    }
    terms.push(term);
  }
  if (keyColumn === undefined) return terms;
  const at = terms.findIndex((t) => t.column.name === keyColumn.name);
  if (at >= 0) return terms.slice(0, at + 1);
  const desc = terms.at(-1)?.desc ?? false;
  return [...terms, { column: keyColumn, desc, nullsFirst: desc }];
}

/** The terms a client wrote (the appended key is not one), for the filters cap. */
export function orderCount(raw: string | null): number {
  return raw === null ? 0 : splitTerms(raw).length;
}

/** Splits at commas outside double quotes (which open a term: `"a,b".desc`). */
function splitTerms(raw: string): string[] {
  const terms: string[] = [];
  let start = 0;
  for (let i = 0; i <= raw.length; i++) {
    if (raw[i] === '"' && i === start) i = readQuoted(raw, i, '"order"').end - 1;
    else if (i === raw.length || raw[i] === ",") {
      terms.push(raw.slice(start, i));
      start = i + 1;
    }
  }
  return terms;
}

function parseTerm(text: string, byName: Map<string, ColumnInfo>): OrderTerm {
  let name: string;
  let modifiers: string[];
  if (text.startsWith('"')) {
    const { value, end } = readQuoted(text, 0, '"order"');
    name = value;
    const rest = text.slice(end);
    if (rest !== "" && !rest.startsWith(".")) {
      throw new HttpError(400, `"order": text after a quoted name in ${JSON.stringify(text)}`);
    }
    modifiers = rest === "" ? [] : rest.slice(1).split(".");
  } else {
    // Modifiers are the trailing words that are modifiers; the rest, dots and all, is the name.
    const parts = text.split(".");
    let cut = parts.length;
    while (cut > 1 && parts.length - cut < 2 && MODIFIERS.has(parts[cut - 1])) cut--;
    name = parts.slice(0, cut).join(".");
    modifiers = parts.slice(cut);
  }
  if (name === "") throw new HttpError(400, `"order" has an empty column name`);
  const column = byName.get(name);
  if (column === undefined) {
    const valid = [...byName.keys()];
    throw new HttpError(
      400,
      `"order" names unknown column ${JSON.stringify(name)}; ${nameList("columns", valid)}`,
      { extensions: { valid } },
    );
  }
  let desc: boolean | undefined;
  let nullsFirst: boolean | undefined;
  for (const word of modifiers) {
    if ((word === "asc" || word === "desc") && desc === undefined) desc = word === "desc";
    else if ((word === "nullsfirst" || word === "nullslast") && nullsFirst === undefined) {
      nullsFirst = word === "nullsfirst";
    } else {
      throw new HttpError(
        400,
        `"order" for ${JSON.stringify(name)}: ${JSON.stringify(word)} is not asc, desc, ` +
          "nullsfirst or nullslast (at most one of each pair)",
      );
    }
  }
  desc ??= false;
  return { column, desc, nullsFirst: nullsFirst ?? desc };
}
