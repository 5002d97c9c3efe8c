/**
 * What an export reads from: the one interface that the SQLite
 * (lib/sqlite_source.ts) and PostgreSQL (lib/postgres_source.ts) backends
 * implement, so that the routes, formats and failure handling are the same
 * whichever database is behind them.
 *
 * @module
 */

import type { SqlValue } from "./column_kind.ts";
import type { RowFilter } from "./row_filter.ts";
import type { OrderTerm } from "./row_order.ts";
import type { TableInfo } from "./table_schema.ts";

export type { TableInfo };

/** What to read. Names must come from the catalog ({@linkcode ExportSource.describeTable}). */
export interface TableQuery {
  table: string;
  /** Column names, in output order. */
  columns: string[];
  /** The integer key to order and resume by; undefined reads in table order. */
  key?: string;
  /** Only rows whose key is greater than this (needs `key`). */
  after?: bigint;
  /** At most this many rows. */
  limit?: number;
  /** Only rows that pass this filter (lib/export/row_filter.ts). */
  filter?: RowFilter;
  /**
   * The order (lib/export/row_order.ts), the key last when there is one;
   * undefined: by the key. Each row then carries the order's values after
   * the columns (the key last), which is where a resume continues from.
   */
  order?: OrderTerm[];
  /**
   * Only rows after the one with these values in `order` (a resume token,
   * lib/export/resume_token.ts); instead of `after`, and needs `key`.
   */
  from?: SqlValue[];
}

/**
 * The order a query reads in: its own, or the key ascending.
 *
 * @param query The query.
 * @returns The terms (empty without order and key).
 */
export function queryOrder(query: TableQuery): OrderTerm[] {
  if (query.order !== undefined) return query.order;
  if (query.key === undefined) return [];
  const column = { name: query.key, kind: "integer", type: "INTEGER", notNull: true } as const;
  return [{ column, desc: false, nullsFirst: false }];
}

/**
 * Where a query starts: after the `from` values, or after the key `after`.
 *
 * @param query The query.
 * @returns One value per term of {@linkcode queryOrder}, or undefined from the start.
 */
export function queryFrom(query: TableQuery): SqlValue[] | undefined {
  return query.from ?? (query.after === undefined ? undefined : [query.after]);
}

/**
 * Checks a query before a backend turns it into SQL.
 *
 * @param query The query.
 * @throws {TypeError} When `after` or `from` is given without a key to be after, or both.
 */
export function checkQuery(query: TableQuery): void {
  if ((query.after !== undefined || query.from !== undefined) && query.key === undefined) {
    throw new TypeError(`Cannot read ${query.table} after a key: it has none`);
  }
  if (query.after !== undefined && query.from !== undefined) {
    throw new TypeError(`Cannot read ${query.table} after both a key and a token`);
  }
}

/** Options for {@linkcode ExportSource.openRows}. */
export interface ReaderOptions {
  /**
   * Fill in {@linkcode RowStream.total}: the number of rows the stream will
   * give, counted in the read's own snapshot (or cached while the table is
   * unchanged). Costly for views, which must be run to be counted.
   * @default false
   */
  count?: boolean;
  /**
   * False when only the count is wanted (a HEAD): a backend that can count
   * without starting the read (SQLite's cached counts) may then leave
   * `batches` empty. @default true
   */
  rows?: boolean;
}

/**
 * An export's rows: `batches` gives arrays of rows, each row an array of the
 * query's columns and, when a key is used, the key's value (a BigInt) after
 * them. Integers that may exceed 2^53 are BigInts.
 *
 * Cancelling `batches` releases everything the read holds (its connection,
 * transaction, cursor or statement), cancelling a query in progress; it may
 * be cancelled while a read is pending. The end of the rows and a failure
 * release them too.
 */
export interface RowStream {
  /** The number of rows `batches` will give, when counted. */
  readonly total: number | undefined;
  readonly batches: ReadableStream<unknown[][]>;
}

/**
 * What a backend reads rows with, before lib/export/row_batches.ts makes it a
 * {@linkcode RowStream}: `next()` gives a batch, `return()` releases the
 * read and may be called while a `next()` is pending, and more than once.
 */
export interface RowReader {
  /** The number of rows the reader will return, when counted. */
  readonly total: number | undefined;
  next(): IteratorResult<unknown[][]> | Promise<IteratorResult<unknown[][]>>;
  return(): unknown;
}

/** A table or view's name and kind, as listed by {@linkcode ExportSource.listTables}. */
export interface TableSummary {
  name: string;
  type: "table" | "view";
}

/**
 * A database that exports read from.
 *
 * Failures: a name that is not in the catalog is an `HttpError` 404 listing
 * the valid names; a database that cannot be reached is an `HttpError` 503;
 * anything else is thrown as it is (a 500 before the first byte, a failed
 * transfer after it).
 *
 * @example
 * ```ts
 * const table = await source.describeTable("items");
 * const rows = await source.openRows({ table: table.name, columns: table.columns, key: table.key });
 * for await (const batch of rows.batches) console.log(batch.length);
 * ```
 */
export interface ExportSource {
  /** Which backend this is. */
  readonly kind: "sqlite" | "postgres";
  /** The exportable tables and views, sorted by name (bytewise). */
  listTables(): Promise<TableSummary[]>;
  /** One table or view's columns and key; 404 when there is no such name. */
  describeTable(name: string): Promise<TableInfo>;
  /** A table's row count (for the index page). */
  countRows(table: string): Promise<number>;
  /** Starts reading: resolves once the query runs, so a bad one fails here. */
  openRows(query: TableQuery, options?: ReaderOptions): Promise<RowStream>;
  /**
   * Whether the database answers now: `"ok"` or `"unreachable"`, or
   * undefined for a database that is a local file opened at start.
   */
  health(): Promise<"ok" | "unreachable" | undefined>;
  /** Closes every connection; readers still open fail. */
  close(): Promise<void>;
}
