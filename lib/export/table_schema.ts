/**
 * What an export may read, taken from the database's own schema: request
 * parameters are checked against these names and never put into SQL as given.
 * `listTables()` and `describeTable()` read SQLite's schema; {@linkcode TableInfo},
 * `pickColumns()` and `noSuchTable()` serve every backend (see
 * lib/postgres_catalog.ts for PostgreSQL's).
 *
 * @module
 */

import type { DatabaseSync } from "node:sqlite";
import { HttpError } from "../http/http_error.ts";
import { type ColumnInfo, sqliteKind } from "./column_kind.ts";

/** A table or view that can be exported. */
export interface TableInfo {
  name: string;
  type: "table" | "view";
  /** Its columns, in schema order (hidden columns of virtual tables left out). */
  columns: string[];
  /**
   * The integer key rows are ordered and resumed by: the INTEGER PRIMARY KEY
   * column when it is the rowid's alias (unique, never NULL), else the `rowid`
   * pseudo-column; undefined for views and WITHOUT
   * ROWID tables, which have no such key. In PostgreSQL: the primary key
   * when it is one integer column (smallint, integer or bigint).
   */
  key: string | undefined;
  /**
   * Each column's kind and declared type, in `columns`' order, then the key
   * when it is not a column (`rowid`): what filters, orders and resume
   * tokens are checked against. A backend that leaves it out cannot filter
   * or order (the export refuses with 400).
   */
  columnInfo?: ColumnInfo[];
}

/**
 * The names and types of the tables and views in the main schema, without
 * SQLite's internal `sqlite_*` tables, sorted by name.
 *
 * @param db An open database.
 * @returns The names and types.
 */
export function listTables(db: DatabaseSync): { name: string; type: "table" | "view" }[] {
  const rows = db.prepare(
    `SELECT name, type FROM pragma_table_list
     WHERE schema = 'main' AND type IN ('table', 'view') AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'
     ORDER BY name`,
  ).all() as { name: string; type: "table" | "view" }[];
  return rows.map(({ name, type }) => ({ name, type }));
}

/**
 * Describes one table or view.
 *
 * @param db An open database.
 * @param name The name as the client gave it (matched exactly).
 * @returns Its columns and key.
 * @throws {HttpError} 404 listing the valid names when there is no such table.
 * @example
 * ```ts
 * describeTable(db, "items").key; // "id"
 * ```
 */
export function describeTable(db: DatabaseSync, name: string): TableInfo {
  const found = db.prepare(
    "SELECT type, wr FROM pragma_table_list WHERE schema = 'main' AND name = ? AND type IN ('table', 'view')",
  ).get(name) as { type: "table" | "view"; wr: number } | undefined;
  if (found === undefined || name.startsWith("sqlite_")) {
    throw noSuchTable(name, listTables(db).map((t) => t.name));
  }
  const xinfo = db.prepare(
    'SELECT name, type, pk, hidden, "notnull" AS required FROM pragma_table_xinfo(?)',
  ).all(name) as {
    name: string;
    type: string;
    pk: number;
    hidden: number;
    required: number;
  }[];
  const visible = xinfo.filter((c) => c.hidden !== 1);
  const columns = visible.map((c) => c.name);
  let key: string | undefined;
  if (found.type === "table" && !found.wr) {
    const pk = visible.filter((c) => c.pk > 0);
    const isAlias = pk.length === 1 && pk[0].type.toUpperCase() === "INTEGER" &&
      !hasPrimaryKeyIndex(db, name);
    if (isAlias) key = pk[0].name;
    else {
      const taken = new Set(columns.map((c) => c.toLowerCase()));
      key = ["rowid", "_rowid_", "oid"].find((alias) => !taken.has(alias));
    }
  }
  const columnInfo: ColumnInfo[] = visible.map((c) => ({
    name: c.name,
    kind: sqliteKind(c.type),
    type: c.type,
    notNull: c.required === 1 || c.name === key,
  }));
  if (key !== undefined && !columns.includes(key)) {
    columnInfo.push({ name: key, kind: "integer", type: "INTEGER", notNull: true });
  }
  return { name, type: found.type, columns, key, columnInfo };
}

/**
 * Whether a table's primary key has an index of its own, which means it is
 * not the rowid under another name. Only a lone column declared exactly
 * `INTEGER PRIMARY KEY` is such an alias, and not when declared
 * `INTEGER PRIMARY KEY DESC` (a quirk SQLite keeps for compatibility): that
 * one is an ordinary column that may hold NULLs (and text), which keyset
 * paging (`WHERE key > ?`) would silently skip. The rowid is the key then.
 */
function hasPrimaryKeyIndex(db: DatabaseSync, table: string): boolean {
  return db.prepare("SELECT 1 FROM pragma_index_list(?) WHERE origin = 'pk'").get(table) !==
    undefined;
}

/**
 * Picks the columns a client asked for (`?columns=a,b`), in its order.
 *
 * @param table The table.
 * @param requested The comma-separated names, or null for every column.
 * @returns The column names.
 * @throws {HttpError} 400 naming the valid columns for an unknown, empty or
 * repeated name.
 */
export function pickColumns(table: TableInfo, requested: string | null): string[] {
  if (requested === null) return table.columns;
  const valid = table.key !== undefined && !table.columns.includes(table.key)
    ? [...table.columns, table.key]
    : table.columns;
  const names = requested.split(",");
  const seen = new Set<string>();
  for (const name of names) {
    let problem: string | undefined;
    if (name === "") problem = "has an empty column name";
    else if (!valid.includes(name)) problem = `names unknown column ${JSON.stringify(name)}`;
    else if (seen.has(name)) problem = `names column ${JSON.stringify(name)} twice`;
    if (problem !== undefined) {
      throw new HttpError(
        400,
        `"columns" ${problem} for ${JSON.stringify(table.name)}; ${nameList("columns", valid)}`,
        { extensions: { valid } },
      );
    }
    seen.add(name);
  }
  return names;
}

/**
 * The 404 for a name that is not in the catalog, listing the valid ones.
 *
 * @param name The name the client gave.
 * @param names The exportable tables and views.
 * @returns The error to throw.
 * @example
 * ```ts
 * throw noSuchTable("nope", ["items"]); // 404 'No table or view "nope"; valid tables: items'
 * ```
 */
export function noSuchTable(name: string, names: string[]): HttpError {
  return new HttpError(
    404,
    `No table or view ${JSON.stringify(name)}; ${nameList("tables", names)}`,
    {
      extensions: { valid: names },
    },
  );
}

/**
 * "valid tables: a, b" — shortened for very large schemas.
 *
 * @param what What the names are (`columns`).
 * @param names The names.
 * @returns The phrase.
 */
export function nameList(what: string, names: string[]): string {
  if (names.length === 0) return `there are no ${what}`;
  const shown = names.slice(0, 50).join(", ");
  return `valid ${what}: ${shown}${names.length > 50 ? `, and ${names.length - 50} more` : ""}`;
}
