/**
 * What a PostgreSQL export may read, taken from the catalog of the session's
 * current schema (the first of `search_path` that exists): tables,
 * partitioned tables, views and materialized views that the user may SELECT.
 * Request parameters are checked against these names and only ever reach SQL
 * quoted as identifiers.
 *
 * @module
 */

import type { Sql } from "postgres";
import type { SqlValue } from "../column_kind.ts";
import {
  checkQuery,
  queryFrom,
  queryOrder,
  type TableQuery,
  type TableSummary,
} from "../export_source.ts";
import { bind, filterSql, keysetSql, orderBySql, type SqlParams } from "../filter_sql.ts";
import { quoteIdent } from "../quote_ident.ts";
import { noSuchTable, type TableInfo } from "../table_schema.ts";
import { pgColumnInfo, POSTGRES_DIALECT } from "./postgres_filters.ts";

/**
 * Types read as the driver parses them: booleans, integers (int8 as BigInt),
 * floats, bytea (bytes) and strings. Every other type is cast to text, so an
 * export shows PostgreSQL's own text for numeric, dates, json, arrays, uuid…
 */
const NATIVE_TYPES = new Set([16, 17, 19, 20, 21, 23, 25, 26, 700, 701, 1042, 1043]);

// deno-lint-ignore no-explicit-any
type AnySql = Sql<any>;

/** One row per column of a readable relation in the current schema, with its integer key. */
const DESCRIBE = `
SELECT n.nspname::text AS schema, c.relkind::text AS kind, a.attname::text AS column,
  a.atttypid::int AS type, format_type(a.atttypid, a.atttypmod) AS declared,
  a.attnotnull AS not_null,
  (SELECT ka.attname::text FROM pg_index i
     JOIN pg_attribute ka ON ka.attrelid = i.indrelid AND ka.attnum = i.indkey[0]
   WHERE i.indrelid = c.oid AND i.indisprimary AND i.indnkeyatts = 1
     AND ka.atttypid IN (20, 21, 23)) AS key
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = current_schema()
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
WHERE c.relname = $1 AND c.relkind IN ('r', 'p', 'v', 'm') AND has_table_privilege(c.oid, 'SELECT')
ORDER BY a.attnum`;

/** A relation's columns with their type OIDs, as read for one export. */
export interface PgRelation {
  info: TableInfo;
  schema: string;
  types: Map<string, number>;
}

/**
 * The exportable tables and views, sorted bytewise (as SQLite sorts them).
 *
 * @param sql A connection or pool.
 * @returns Their names and kinds.
 */
export async function listPgTables(sql: AnySql): Promise<TableSummary[]> {
  const rows = await sql.unsafe(
    `SELECT c.relname::text AS name, CASE WHEN c.relkind IN ('r', 'p') THEN 'table' ELSE 'view' END AS type
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = current_schema()
     WHERE c.relkind IN ('r', 'p', 'v', 'm') AND has_table_privilege(c.oid, 'SELECT')
       AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped)
     ORDER BY c.relname COLLATE "C"`,
  );
  return rows.map((r) => ({ name: r.name as string, type: r.type as "table" | "view" }));
}

/**
 * Describes one table or view.
 *
 * @param sql A connection or pool.
 * @param name The name as the client gave it (matched exactly).
 * @returns Its columns, key, schema and column types.
 * @throws {HttpError} 404 listing the valid names when there is no such table.
 * @example
 * ```ts
 * (await describePgTable(sql, "items")).info.key; // "id"
 * ```
 */
export async function describePgTable(sql: AnySql, name: string): Promise<PgRelation> {
  const rows = await sql.unsafe(DESCRIBE, [name]);
  if (rows.length === 0) throw noSuchTable(name, (await listPgTables(sql)).map((t) => t.name));
  const first = rows[0];
  const kind = first.kind === "r" || first.kind === "p" ? "table" : "view";
  const key = (first.key as string | null) ?? undefined;
  return {
    info: {
      name,
      type: kind,
      columns: rows.map((r) => r.column as string),
      key,
      columnInfo: rows.map((r) =>
        pgColumnInfo(
          r.column as string,
          r.type as number,
          r.declared as string,
          (r.not_null as boolean) || r.column === key,
        )
      ),
    },
    schema: first.schema as string,
    types: new Map(rows.map((r) => [r.column as string, r.type as number])),
  };
}

/**
 * The SELECT an export runs: the columns (cast to text unless native), then
 * the order's values (the key last, as int8), in the order — the key's by
 * default — with the filter and the resume position (`after`, or a token's
 * `from`) as WHERE conditions whose values are bound (`$n`), and the limit
 * as the last parameter. With `count`, the query that counts those rows instead.
 *
 * @param relation The relation, from {@linkcode describePgTable}.
 * @param query What to read; its filter and order built from the relation's `columnInfo`.
 * @param count Count the rows instead of reading them. @default false
 * @returns The SQL and its parameters.
 * @throws {TypeError} For a column that is not in the relation, or `after` without a key.
 * @example
 * ```ts
 * selectSql(items, { table: "items", columns: ["id", "value"], key: "id", after: 5n }).sql;
 * // 'SELECT "id", "value", "id"::int8 FROM "public"."items" WHERE ("id" >= $1 AND ("id" > $1))
 * //  ORDER BY "public"."items"."id" ASC'
 * ```
 */
export function selectSql(
  relation: PgRelation,
  query: TableQuery,
  count = false,
): { sql: string; params: SqlValue[] } {
  const from = `${quoteIdent(relation.schema)}.${quoteIdent(query.table)}`;
  const output = (c: string) => {
    const type = relation.types.get(c);
    if (type === undefined) {
      throw new TypeError(`Cannot select ${c}: not a column of ${query.table}`);
    }
    return NATIVE_TYPES.has(type) ? quoteIdent(c) : `${quoteIdent(c)}::text`;
  };
  const list = query.columns.map(output);
  checkQuery(query);
  const params: SqlParams = { values: [], dialect: POSTGRES_DIALECT };
  const order = queryOrder(query);
  const position = queryFrom(query);
  const conditions = [
    filterSql(query.filter, params),
    position === undefined ? "" : keysetSql(order, position, params),
  ].filter((c) => c !== "");
  const where = conditions.length === 0 ? "" : ` WHERE ${conditions.join(" AND ")}`;
  let limit = "";
  if (query.limit !== undefined) {
    const column = { name: "", kind: "integer", type: "bigint", notNull: true } as const;
    limit = ` LIMIT ${bind(params, query.limit, column)}`;
  }
  if (count) {
    const sql = limit === "" && where === ""
      ? `SELECT count(*) FROM ${from}`
      : `SELECT count(*) FROM (SELECT 1 FROM ${from}${where}${limit}) AS part`;
    return { sql, params: params.values };
  }
  // The order's values follow the columns: the last row's are where a resume continues.
  for (const term of order) {
    const name = term.column.name;
    list.push(name === query.key ? `${quoteIdent(name)}::int8` : output(name));
  }
  // Qualified: a bare name in ORDER BY would match an output column first (the
  // int8 copy of the key, or a column's ::text form, which sorts as text).
  const sorted = orderBySql(order, (t) => `${from}.${quoteIdent(t.column.name)}`);
  return {
    sql: `SELECT ${list.join(", ")} FROM ${from}${where}${sorted}${limit}`,
    params: params.values,
  };
}
