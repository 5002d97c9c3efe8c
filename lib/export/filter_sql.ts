/**
 * SQL for filters, orders and keyset resumes, for either backend: names
 * reach SQL only through {@linkcode quoteIdent} (and come from the catalog),
 * values only as bound parameters. What differs between SQLite and
 * PostgreSQL — placeholders, pattern matching, casts — is a
 * {@linkcode SqlDialect}.
 *
 * @module
 */

import type { ColumnInfo, SqlValue } from "./column_kind.ts";
import { quoteIdent } from "./quote_ident.ts";
import type { FilterCondition, RowFilter } from "./row_filter.ts";
import type { OrderTerm } from "./row_order.ts";

/** What a backend's SQL differs in. */
export interface SqlDialect {
  /** The placeholder of the `n`th bound value (1-based), for a value compared with `column`. */
  placeholder(n: number, column: ColumnInfo): string;
  /**
   * A pattern test: `*` in `pattern` matches any run of characters, every
   * other character itself. Returns the SQL (with `param` as the pattern's
   * placeholder) and the value to bind.
   */
  match(
    columnSql: string,
    param: string,
    pattern: string,
    caseInsensitive: boolean,
  ): { sql: string; value: string };
}

/**
 * SQLite: numbered `?n` placeholders (one value may be used twice). `like`
 * is GLOB (case-sensitive, as PostgreSQL's LIKE; LIKE in SQLite ignores ASCII
 * case), `ilike` is LIKE with `\` escaping `%` and `_` (SQLite folds ASCII
 * letters only).
 */
export const SQLITE_DIALECT: SqlDialect = {
  placeholder: (n) => `?${n}`,
  match(columnSql, param, pattern, caseInsensitive) {
    if (caseInsensitive) {
      return {
        sql: `${columnSql} LIKE ${param} ESCAPE '\\'`,
        value: pattern.replace(/[\\%_]/g, "\\$&").replaceAll("*", "%"),
      };
    }
    // In GLOB `?` and `[` are wildcards too: as a bracket of their own they match themselves.
    return { sql: `${columnSql} GLOB ${param}`, value: pattern.replace(/[?[]/g, "[$&]") };
  },
};

/** A statement's SQL and the values it binds, in placeholder order. */
export interface SqlParams {
  values: SqlValue[];
  dialect: SqlDialect;
}

/** Binds a value and returns its placeholder. */
export function bind(params: SqlParams, value: SqlValue, column: ColumnInfo): string {
  params.values.push(value);
  return params.dialect.placeholder(params.values.length, column);
}

/**
 * The WHERE condition of a filter, or "" when it has none.
 *
 * @param filter The filter (lib/export/row_filter.ts).
 * @param params Where its values go.
 * @returns The condition, parenthesized.
 * @example
 * ```ts
 * const params = { values: [], dialect: SQLITE_DIALECT };
 * filterSql(parseRowFilter(new URLSearchParams("price=gt.10"), columns), params);
 * // '("price" > ?1)', params.values = [10]
 * ```
 */
export function filterSql(filter: RowFilter | undefined, params: SqlParams): string {
  if (filter === undefined) return "";
  const parts = filter.all.map((c) => conditionSql(c, params));
  if (filter.any !== undefined) {
    parts.push(`(${filter.any.map((c) => conditionSql(c, params)).join(" OR ")})`);
  }
  return parts.length === 0 ? "" : `(${parts.join(" AND ")})`;
}

const COMPARE = { eq: "=", neq: "<>", gt: ">", gte: ">=", lt: "<", lte: "<=" } as const;

function conditionSql(condition: FilterCondition, params: SqlParams): string {
  const column = quoteIdent(condition.column.name);
  let sql: string;
  switch (condition.op) {
    case "is":
      sql = `${column} IS ${condition.value === "null" ? "NULL" : "NOT NULL"}`;
      break;
    case "in":
      // `IN ()` is not SQL everywhere; an empty list matches no row.
      sql = condition.values.length === 0
        ? "1 = 0"
        : `${column} IN (${condition.values.map((v) => bind(params, v, condition.column))})`;
      break;
    case "like":
    case "ilike": {
      const placeholder = params.dialect.placeholder(params.values.length + 1, condition.column);
      const { sql: test, value } = params.dialect.match(
        column,
        placeholder,
        condition.pattern,
        condition.op === "ilike",
      );
      params.values.push(value);
      sql = test;
      break;
    }
    default:
      sql = `${column} ${COMPARE[condition.op]} ${bind(params, condition.value, condition.column)}`;
  }
  return condition.not ? `NOT (${sql})` : `(${sql})`;
}

/**
 * `ORDER BY …` for an order, with NULLS FIRST/LAST written out for a column
 * that may hold NULLs (the two databases differ in where NULLs go by default).
 *
 * @param order The terms (lib/export/row_order.ts).
 * @param columnSql How a term's column is written. @default quoted name
 * @returns The clause, or "" for no terms.
 */
export function orderBySql(
  order: readonly OrderTerm[],
  columnSql: (term: OrderTerm, i: number) => string = (t) => quoteIdent(t.column.name),
): string {
  if (order.length === 0) return "";
  return ` ORDER BY ${
    order.map((t, i) =>
      `${columnSql(t, i)} ${t.desc ? "DESC" : "ASC"}${
        t.column.notNull ? "" : t.nullsFirst ? " NULLS FIRST" : " NULLS LAST"
      }`
    ).join(", ")
  }`;
}

/**
 * The keyset condition: the rows that come after `after` (one value per
 * term, the last the key, which is unique) in `order`. Expanded as
 * `a > ?1 OR (a = ?1 AND (b > ?2 OR …))`, with NULLs placed as the order
 * places them, and led by a bound on the first column (`a >= ?1`) when that
 * holds for every row after, so that an index on it is searched, not scanned.
 *
 * @param order The terms.
 * @param after The values of the row to continue after.
 * @param params Where the values go (each bound once, used twice).
 * @returns The condition, parenthesized.
 * @throws {TypeError} When the value count differs from the terms.
 * @example
 * ```ts
 * keysetSql(priceDescThenId, [9.5, 77n], params);
 * // '("price" <= ?1 AND ("price" < ?1 OR "price" = ?1 AND ("id" < ?2)))'
 * ```
 */
export function keysetSql(
  order: readonly OrderTerm[],
  after: readonly SqlValue[],
  params: SqlParams,
): string {
  if (after.length !== order.length || order.length === 0) {
    throw new TypeError(`Cannot resume: ${after.length} values for ${order.length} order terms`);
  }
  const placeholders = order.map((t, i) =>
    after[i] === null ? "NULL" : bind(params, after[i], t.column)
  );
  let sql = "";
  for (let i = order.length - 1; i >= 0; i--) {
    const { column, desc, nullsFirst } = order[i];
    const name = quoteIdent(column.name);
    const p = placeholders[i];
    const isNull = after[i] === null;
    const mayBeNull = !column.notNull;
    // Rows strictly after this value in this column.
    let beyond: string;
    if (isNull) beyond = nullsFirst ? `${name} IS NOT NULL` : "";
    else {
      beyond = `${name} ${desc ? "<" : ">"} ${p}`;
      if (mayBeNull && !nullsFirst) beyond = `${beyond} OR ${name} IS NULL`;
    }
    const equal = isNull ? `${name} IS NULL` : `${name} = ${p}`;
    const parts = [beyond, sql === "" ? "" : `${equal} AND ${sql}`].filter((s) => s !== "");
    sql = parts.length === 0 ? "1 = 0" : `(${parts.join(" OR ")})`;
  }
  const first = order[0];
  if (after[0] !== null && (first.column.notNull || first.nullsFirst)) {
    const bound = `${quoteIdent(first.column.name)} ${first.desc ? "<=" : ">="} ${placeholders[0]}`;
    return `(${bound} AND ${sql})`;
  }
  return sql;
}
