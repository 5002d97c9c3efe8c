/**
 * Row filters, PostgREST-style: `?{column}={op}.{value}` query parameters,
 * ANDed, plus one `or=(…)` group (and `and=(…)`, where a column whose name is
 * a reserved parameter can be filtered). Parsed and checked against the
 * table's columns and their kinds here, with no SQL: lib/export/filter_sql.ts
 * turns a {@linkcode RowFilter} into a WHERE clause with bound values for
 * either backend.
 *
 * @module
 */

import { HttpError } from "../http/http_error.ts";
import { type ColumnInfo, describeType, parseValue, type SqlValue } from "./column_kind.ts";
import { nameList } from "./table_schema.ts";
import { readQuoted, splitList } from "./value_list.ts";

/** The operators, in the order messages list them. */
export const FILTER_OPERATORS = [
  "eq",
  "neq",
  "gt",
  "gte",
  "lt",
  "lte",
  "like",
  "ilike",
  "in",
  "is",
] as const;

/** One operator. */
export type FilterOperator = typeof FILTER_OPERATORS[number];

/**
 * Query parameters that are never filters. A column named like one is
 * filtered inside `and=(…)` or `or=(…)`, as PostgREST does for its own.
 * `expires` and `sig` belong to signed links, `download` and `select` are
 * kept for later.
 */
export const RESERVED_PARAMS = [
  "columns",
  "limit",
  "after",
  "format",
  "bom",
  "safe",
  "order",
  "or",
  "and",
  "select",
  "download",
  "expires",
  "sig",
] as const;

/** One condition on one column; `not` negates it (`not.` before the operator). */
export type FilterCondition =
  & { column: ColumnInfo; not: boolean }
  & (
    | { op: "eq" | "neq" | "gt" | "gte" | "lt" | "lte"; value: SqlValue }
    | { op: "like" | "ilike"; pattern: string }
    | { op: "in"; values: SqlValue[] }
    | { op: "is"; value: "null" | "notnull" }
  );

/** Every condition in `all` holds, and one of `any` when there is an `or=` group. */
export interface RowFilter {
  all: FilterCondition[];
  any: FilterCondition[] | undefined;
}

/** Options for {@linkcode parseRowFilter}. */
export interface RowFilterOptions {
  /** The most conditions (each condition in a group counts). @default 16 */
  maxFilters?: number;
  /** The longest `like`/`ilike` pattern, in characters. @default 256 */
  maxPattern?: number;
  /** The most values in one `in.(…)` list. @default 1000 */
  maxList?: number;
  /**
   * The most values in all `in.(…)` lists together: SQLite takes at most
   * 32,766 bound values in one statement. @default 10000
   */
  maxValues?: number;
  /** Terms counted against `maxFilters` already (the order's). @default 0 */
  counted?: number;
}

/**
 * Reads the filters of an export request.
 *
 * @param params The query parameters (or a job's `filters`), in order; reserved names are skipped.
 * @param columns The columns that may be filtered (the table's, and its key).
 * @param options Caps.
 * @returns The filter; `all` is empty and `any` undefined when there is none.
 * @throws {HttpError} 400 naming the problem: an unknown column or operator
 * (listing the valid ones), a value that is not of the column's kind, a
 * malformed group, too many conditions, a pattern or list too long.
 * @example
 * ```ts
 * parseRowFilter(new URLSearchParams("price=gt.10&label=not.is.null"), columns);
 * ```
 */
export function parseRowFilter(
  params: Iterable<[string, string]>,
  columns: ColumnInfo[],
  options: RowFilterOptions = {},
): RowFilter {
  const limits = {
    maxFilters: options.maxFilters ?? 16,
    maxPattern: options.maxPattern ?? 256,
    maxList: options.maxList ?? 1000,
    maxValues: options.maxValues ?? 10_000,
    counted: 0,
    values: 0,
  };
  const byName = new Map(columns.map((c) => [c.name, c]));
  const reserved = new Set<string>(RESERVED_PARAMS);
  const filter: RowFilter = { all: [], any: undefined };
  let count = options.counted ?? 0;
  const counted = (n: number) => {
    count += n;
    if (count > limits.maxFilters) {
      throw new HttpError(
        400,
        `At most ${limits.maxFilters} filters and order columns are allowed (--export-max-filters)`,
      );
    }
  };
  let seenAnd = false;
  for (const [name, raw] of params) {
    if (name === "or" || name === "and") {
      if (name === "or" ? filter.any !== undefined : seenAnd) {
        throw new HttpError(400, `"${name}" may be given once`);
      }
      const group = parseGroup(name, raw, byName, limits, counted);
      if (name === "or") filter.any = group;
      else filter.all.push(...group);
      seenAnd ||= name === "and";
      continue;
    }
    if (reserved.has(name)) continue;
    counted(1);
    filter.all.push(parseCondition(lookUp(byName, name), raw, limits, false));
  }
  return filter;
}

/** The caps, and the `in` values counted so far. */
type Limits = Required<RowFilterOptions> & { values: number };

/** How many conditions a filter has. */
export function filterCount(filter: RowFilter): number {
  return filter.all.length + (filter.any?.length ?? 0);
}

function lookUp(byName: Map<string, ColumnInfo>, name: string): ColumnInfo {
  const column = byName.get(name);
  if (column !== undefined) return column;
  const valid = [...byName.keys()];
  throw new HttpError(
    400,
    `Unknown column ${JSON.stringify(name)} to filter by; ${nameList("columns", valid)} ` +
      `(other parameters: ${RESERVED_PARAMS.join(", ")})`,
    { extensions: { valid } },
  );
}

/** `(cond,cond,…)`: each `column.op.value`, the column quoted when it holds a `.`. */
function parseGroup(
  name: string,
  raw: string,
  byName: Map<string, ColumnInfo>,
  limits: Limits,
  counted: (n: number) => void,
): FilterCondition[] {
  const what = `"${name}" group`;
  if (!raw.startsWith("(") || !raw.endsWith(")") || raw.length < 3) {
    throw new HttpError(400, `${what} must be (column.op.value,…); got ${clip(raw)}`);
  }
  const items = splitList(raw.slice(1, -1), what, true);
  counted(items.length);
  return items.map(({ text }) => {
    if (/^(and|or|not\.and|not\.or)\(/.test(text)) {
      throw new HttpError(400, `${what}: nested groups are not supported; got ${clip(text)}`);
    }
    let column: string;
    let rest: string;
    if (text.startsWith('"')) {
      const { value, end } = readQuoted(text, 0, what);
      column = value;
      rest = text.slice(end);
    } else {
      const dot = text.indexOf(".");
      column = dot < 0 ? text : text.slice(0, dot);
      rest = dot < 0 ? "" : text.slice(dot);
    }
    if (!rest.startsWith(".")) {
      throw new HttpError(400, `${what}: ${clip(text)} is not column.op.value`);
    }
    return parseCondition(lookUp(byName, column), rest.slice(1), limits, true);
  });
}

/** `[not.]op.value` for one column; in a group a quoted value loses its quotes. */
function parseCondition(
  column: ColumnInfo,
  raw: string,
  limits: Limits,
  inGroup: boolean,
): FilterCondition {
  const not = raw.startsWith("not.");
  const text = not ? raw.slice(4) : raw;
  const dot = text.indexOf(".");
  const op = (dot < 0 ? text : text.slice(0, dot)) as FilterOperator;
  const valid = FILTER_OPERATORS as readonly string[];
  if (dot < 0 || !valid.includes(op)) {
    throw new HttpError(
      400,
      `Filter on ${JSON.stringify(column.name)} must be [not.]operator.value with an operator of ` +
        `${FILTER_OPERATORS.join(", ")}; got ${clip(raw)}`,
      { extensions: { valid: [...FILTER_OPERATORS] } },
    );
  }
  let value = text.slice(dot + 1);
  if (inGroup && value.startsWith('"') && op !== "in") {
    const quoted = readQuoted(value, 0, `Filter on ${JSON.stringify(column.name)}`);
    if (quoted.end !== value.length) {
      throw new HttpError(400, `Filter on ${JSON.stringify(column.name)}: text after the quote`);
    }
    value = quoted.value;
  }
  switch (op) {
    case "is":
      if (value !== "null" && value !== "notnull") {
        throw new HttpError(
          400,
          `"is" on ${JSON.stringify(column.name)} takes null or notnull; got ${clip(value)}`,
        );
      }
      return { column, not, op, value };
    case "like":
    case "ilike":
      if (column.kind !== "text" && column.kind !== "any") {
        throw new HttpError(
          400,
          `"${op}" needs a text column; ${JSON.stringify(column.name)} is ${describeType(column)}`,
        );
      }
      if (value.length > limits.maxPattern) {
        throw new HttpError(
          400,
          `A "${op}" pattern is at most ${limits.maxPattern} characters; got ${value.length}`,
        );
      }
      return { column, not, op, pattern: value };
    case "in": {
      if (!value.startsWith("(") || !value.endsWith(")")) {
        throw new HttpError(
          400,
          `"in" on ${JSON.stringify(column.name)} takes a list: in.(a,b,"c,d"); got ${clip(value)}`,
        );
      }
      const inner = value.slice(1, -1);
      const items = inner === "" ? [] : splitList(inner, `"in" list of ${column.name}`);
      if (items.length > limits.maxList) {
        throw new HttpError(400, `An "in" list has at most ${limits.maxList} values`);
      }
      limits.values += items.length;
      if (limits.values > limits.maxValues) {
        throw new HttpError(400, `All "in" lists together have at most ${limits.maxValues} values`);
      }
      return { column, not, op, values: items.map((item) => parseValue(column, item.text)) };
    }
    default:
      return { column, not, op, value: parseValue(column, value) };
  }
}

/** A value for a message: quoted, and cut when long. */
function clip(text: string): string {
  return JSON.stringify(text.length > 100 ? `${text.slice(0, 100)}…` : text);
}
