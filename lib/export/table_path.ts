/**
 * How the last segment of an export URL names a table and a format, and the
 * link the index gives each table: every name the database can hold — empty,
 * with CR/LF, ending like a format — has a link that reaches it.
 *
 * @module
 */

import type { RowFormatName } from "./row_format.ts";

/** `items.csv`, with the name's CR, LF and other line breaks kept (the `s` flag). */
const WITH_FORMAT = /^(.*)\.(ndjson|csv|json)$/s;

/**
 * Splits a decoded segment into a table and a format. `x.csv` is table `x`
 * as CSV when there is a table `x` — so the link `${name}.${format}` always
 * reaches its table, even `""` (`.csv`) beside a table named `.csv` (whose
 * own link is `.csv.csv`). Otherwise it is the table named `x.csv` when
 * there is one, in a negotiated format; with neither, the split (and its 404).
 *
 * @param name The segment, percent-decoded.
 * @param isTable Whether a table or view has this exact name.
 * @returns The table's name, and the format when the segment named one.
 * @example
 * ```ts
 * splitTableName("items.csv", (n) => n === "items"); // { table: "items", format: "csv" }
 * splitTableName("odd.csv", (n) => n === "odd.csv"); // { table: "odd.csv" }
 * ```
 */
export function splitTableName(
  name: string,
  isTable: (name: string) => boolean,
): { table: string; format?: RowFormatName } {
  const match = WITH_FORMAT.exec(name);
  const split = match === null ? undefined : { table: match[1], format: match[2] as RowFormatName };
  if (split !== undefined && isTable(split.table)) return split;
  if (isTable(name) || split === undefined) return { table: name };
  return split;
}

/**
 * The index's link to a table in a format, relative to `/export/`.
 *
 * @param name The table or view's name.
 * @param format The format.
 * @returns Such as `items.csv`, or `a%0D%0Ab.csv` for `"a\r\nb"`.
 * @example
 * ```ts
 * tableLink("a/b", "csv"); // "a%2Fb.csv"
 * ```
 */
export function tableLink(name: string, format: RowFormatName): string {
  return `${encodeURIComponent(name)}.${format}`;
}
