/**
 * Which rows an export sends and in what order — its filters, `order` and
 * `after` — read the same way from a live export's query string and from a
 * job's body, into the fields of a {@linkcode TableQuery}.
 *
 * @module
 */

import { HttpError } from "../http/http_error.ts";
import type { SqlValue } from "./column_kind.ts";
import type { TableQuery } from "./export_source.ts";
import { parseAfter } from "./export_params.ts";
import { parseResumeToken } from "./resume_token.ts";
import { filterCount, parseRowFilter, RESERVED_PARAMS, type RowFilter } from "./row_filter.ts";
import { orderCount, type OrderTerm, parseOrder } from "./row_order.ts";
import type { TableInfo } from "./table_schema.ts";

/** What a request asked for, as text. */
export interface SelectionInput {
  /** Every parameter, in order: the filters are those whose name is not reserved, and `or`/`and`. */
  params: Iterable<[string, string]>;
  order: string | null;
  after: string | null;
}

/** The query fields it makes. */
export type RowSelection = Pick<TableQuery, "filter" | "order" | "after" | "from">;

/** Options for {@linkcode parseRowSelection}. */
export interface RowSelectionOptions {
  /** Filters and order columns together (`--export-max-filters`). @default 16 */
  maxFilters?: number;
}

/**
 * Reads filters, order and `after`. Without `order=`, `after` is the key's
 * value, as before; with it, a resume token (lib/export/resume_token.ts).
 *
 * @param input The parameters.
 * @param table The table, with its columns' kinds.
 * @param options The cap.
 * @returns The fields for the query (filter and order left out when not asked for).
 * @throws {HttpError} 400 for anything malformed or unknown (naming the valid
 * choices), for filters or an order on a database that cannot take them, and
 * for `after` on a table without an integer key.
 * @example
 * ```ts
 * const q = new URLSearchParams("price=gt.10&order=price.desc");
 * parseRowSelection({ params: q, order: q.get("order"), after: q.get("after") }, table);
 * ```
 */
export function parseRowSelection(
  input: SelectionInput,
  table: TableInfo,
  options: RowSelectionOptions = {},
): RowSelection {
  const maxFilters = options.maxFilters ?? 16;
  const reserved = new Set<string>(RESERVED_PARAMS);
  const params = [...input.params];
  const filtered = params.some(([name]) => name === "or" || name === "and" || !reserved.has(name));
  if (!filtered && input.order === null) {
    return { after: parseAfter(input.after, table) };
  }
  const columns = table.columnInfo;
  if (columns === undefined) {
    throw new HttpError(400, "Filters and order= are not available for this database yet");
  }
  const ordered = orderCount(input.order);
  if (ordered > maxFilters) {
    throw new HttpError(
      400,
      `At most ${maxFilters} filters and order columns are allowed (--export-max-filters)`,
    );
  }
  let order: OrderTerm[] | undefined;
  if (input.order !== null) order = parseOrder(input.order, columns, table.key);
  const parsed = parseRowFilter(params, columns, { maxFilters, counted: ordered });
  const filter: RowFilter | undefined = filterCount(parsed) === 0 ? undefined : parsed;
  if (order === undefined) return { filter, after: parseAfter(input.after, table) };
  let from: SqlValue[] | undefined;
  if (input.after !== null) {
    if (table.key === undefined) parseAfter(input.after, table); // its 400: no key
    from = parseResumeToken(input.after, order);
  }
  return { filter, order, from };
}
