/**
 * Reads a table's rows in batches through node:sqlite, on a connection of its
 * own that it closes when the rows run out, fail, or the reader is returned.
 *
 * @module
 */

import { DatabaseSync, type StatementSync } from "node:sqlite";
import type { SqlValue } from "../column_kind.ts";
import { checkQuery, queryFrom, queryOrder, type TableQuery } from "../export_source.ts";
import {
  bind,
  filterSql,
  keysetSql,
  orderBySql,
  SQLITE_DIALECT,
  type SqlParams,
} from "../filter_sql.ts";
import { HttpError } from "../../http/http_error.ts";
import { quoteIdent } from "../quote_ident.ts";
import type { OrderTerm } from "../row_order.ts";
import { pageRows, valueBytes } from "./page_size.ts";

export type { TableQuery };

/** The keyless read's end mark, as an order term (it sorts the mark's row last). */
const MARK = { name: "", kind: "integer", type: "", notNull: true } as const;

/**
 * The most rows an order that no index gives may sort: about 60 ms of
 * SQLite's sorter here, during which nothing else is served.
 */
export const SORT_LIMIT = 100_000;

/** A statement's `EXPLAIN QUERY PLAN` lines. */
function explain(db: DatabaseSync, sql: string): string[] {
  return (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as { detail: string }[]).map((r) =>
    r.detail
  );
}

/** Binds a row count (LIMIT) and returns its placeholder. */
function bindLimit(params: SqlParams, n: number): string {
  return bind(params, n, MARK);
}

/** Options for {@linkcode TableReader}. */
export interface TableReaderOptions {
  /** Rows per batch: one query (keyed) or one run of `iterate()` each. @default 1000 */
  batchRows?: number;
  /**
   * Count the rows first, in the same snapshot, for {@linkcode TableReader.total}:
   * O(rows read) — costly for views, which must be run to be counted. @default false
   */
  count?: boolean;
  /**
   * The most rows the count may visit; past it {@linkcode TableReader.total}
   * is left undefined. @default Infinity
   */
  countBudget?: number;
  /**
   * The longest one batch of a sorted or keyless pass, or one filtered page,
   * aims to take: a filter that matches few rows makes each row found cost
   * many rows read. @default 20
   */
  sliceMs?: number;
  /**
   * The bytes of values a batch aims to stay under (text and BLOBs by their
   * length). A keyed read sizes its first page by the values' lengths, read
   * without the values, and each later one as if every row were as wide as
   * the widest of the page before; a keyless read stops at the row that passes
   * it. A batch has at least one row, however wide. @default 1 MiB
   */
  batchBytes?: number;
}

/**
 * An iterator of row batches. Each row is an array: the query's columns, and
 * when a key is used, the key's value after them. Integers are BigInts
 * (`setReadBigInts`), so none is out of range.
 *
 * With a key it runs one `… WHERE key > ? ORDER BY key LIMIT n` query per
 * batch (keyset paging: `all()` per batch costs about half of `iterate()` per
 * row), inside one read transaction, so a whole export sees one snapshot.
 * Without a key (views, WITHOUT ROWID tables) it walks one `iterate()`, with
 * a sentinel row after the last: Deno's `iterate()` (2.9) reports a failed
 * step as the end of the rows, and the missing sentinel is how a failure is
 * told from the end.
 *
 * @example
 * ```ts
 * const reader = new TableReader("data/sluice.db", { table: "items", columns: ["id"], key: "id" });
 * for (const batch of reader) console.log(batch.length);
 * ```
 */
export class TableReader implements IterableIterator<unknown[][]> {
  /** The number of rows the reader will return, when counted (and within the count's budget). */
  readonly total: number | undefined;
  /**
   * How SQLite runs the read (`EXPLAIN QUERY PLAN`): a keyed page starting
   * after a position (a SEARCH of an index or the rowid, without a TEMP
   * B-TREE), or else the one pass, whose TEMP B-TREE is a sort.
   */
  readonly plan: string[] = [];
  readonly #db: DatabaseSync;
  readonly #batchRows: number;
  readonly #batchBytes: number;
  readonly #sliceMs: number;
  /** Rows for the next keyed page: fewer after a page of wide rows. */
  #pageRows: number;
  /** Sizes the first page; run by the first `next()`, so a reader never read (HEAD) skips it. */
  #sizeFirstPage: (() => number) | undefined;
  readonly #query: TableQuery;
  readonly #order: OrderTerm[];
  /** `SELECT columns, order values FROM table`, for keyed pages. */
  #select = "";
  /** Keyed page statements, by which values of the position are NULL ("" for the first page). */
  readonly #pages = new Map<
    string,
    { statement: StatementSync; values: SqlValue[]; sql: string }
  >();
  #rows: Iterator<unknown> | undefined;
  /** A pass that failed after some rows of a batch: thrown by the next batch. */
  #failed: Error | undefined;
  /** Where the next keyed page starts: the last row's order values. */
  #from: SqlValue[] | undefined;
  #remaining: number;
  readonly #table: string;
  #closed = false;

  /**
   * Opens the database read-only and prepares the query.
   *
   * @param path The database file.
   * @param query What to read.
   * @param options Batch size and counting.
   * @throws {TypeError} When `after` is given without a key; SQLite's errors as they are.
   */
  constructor(path: string, query: TableQuery, options: TableReaderOptions = {}) {
    checkQuery(query);
    this.#batchRows = options.batchRows ?? 1000;
    this.#batchBytes = options.batchBytes ?? 1024 * 1024;
    this.#sliceMs = options.sliceMs ?? 20;
    this.#pageRows = this.#batchRows;
    this.#from = queryFrom(query);
    this.#remaining = query.limit ?? Infinity;
    this.#table = JSON.stringify(query.table);
    this.#query = query;
    this.#order = queryOrder(query);
    this.#db = new DatabaseSync(path, { readOnly: true, timeout: 5000 });
    try {
      // One read transaction: the count and every batch see one snapshot.
      this.#db.exec("BEGIN");
      const table = quoteIdent(query.table);
      // The order's values follow the columns: the last row's are where the next page starts.
      const select = `SELECT ${
        [...query.columns, ...this.#order.map((t) => t.column.name)].map(quoteIdent).join(", ")
      }`;
      if (options.count) this.total = this.#count(table, options.countBudget ?? Infinity);
      this.#select = `${select} FROM ${table}`;
      if (query.key !== undefined) {
        // Prepared now, so a bad query fails the open, before any status is sent.
        this.#pageStatement(this.#select, this.#from);
        // Pages pay only when each one starts where the last ended: an index
        // (or the rowid) searched from the position, in the order. Else every
        // page would scan, or sort, what is left of the table again (0.2-0.9 s
        // a page for 1M rows); one pass reads it once.
        const position = this.#order.map(() => 0);
        const { sql } = this.#pageStatement(this.#select, position, false);
        this.plan = explain(this.#db, sql);
        const sorts = this.plan.some((d) => d.includes("TEMP B-TREE"));
        if (!sorts && this.plan.some((d) => d.startsWith("SEARCH"))) {
          if (this.#batchBytes > 0) this.#sizeFirstPage = () => this.#firstPageRows(table);
          // A filter's density is unknown: a small first page finds out cheaply.
          if (query.filter !== undefined) this.#pageRows = Math.min(this.#pageRows, 100);
          return;
        }
      }
      // One pass. UNION ALL runs its arms in order: the row marked 1 comes
      // last; the first arm keeps its ORDER BY (SQLite runs it as the
      // left-most subquery, sorting only when no index gives the order).
      const nulls = [...query.columns, ...this.#order].map(() => "NULL").join(", ");
      const params = this.#params();
      const pass = `SELECT * FROM (${select}, 0 FROM ${table}${this.#where(params)}${
        orderBySql(this.#order)
      }) UNION ALL SELECT ${nulls}, 1`;
      this.plan = explain(this.#db, pass);
      if (this.plan.some((d) => d.includes("TEMP B-TREE"))) this.#checkSortSize(table);
      this.#rows = this.#prepare(pass).iterate(...params.values);
    } catch (error) {
      this.#close();
      throw error;
    }
  }

  [Symbol.iterator](): this {
    return this;
  }

  next(): IteratorResult<unknown[][]> {
    if (this.#closed) return { done: true, value: undefined };
    try {
      const batch = this.#rows === undefined ? this.#page() : this.#walk();
      if (batch.length > 0) return { done: false, value: batch };
    } catch (error) {
      this.#close();
      throw error;
    }
    this.#close();
    return { done: true, value: undefined };
  }

  /** Closes the connection (also what `for…of` calls when it stops early). */
  return(): IteratorResult<unknown[][]> {
    this.#close();
    return { done: true, value: undefined };
  }

  #prepare(sql: string): StatementSync {
    const statement = this.#db.prepare(sql);
    // Arrays skip building an object per row; the method is missing from
    // the bundled @types/node but present in Deno's node:sqlite.
    (statement as StatementSync & { setReturnArrays(on: boolean): void }).setReturnArrays(true);
    statement.setReadBigInts(true);
    return statement;
  }

  #page(): unknown[][] {
    if (this.#sizeFirstPage !== undefined) {
      this.#pageRows = Math.min(this.#pageRows, this.#sizeFirstPage());
      this.#sizeFirstPage = undefined;
    }
    const n = Math.min(this.#pageRows, this.#remaining);
    if (n <= 0) return [];
    const { statement, values } = this.#pageStatement(this.#select, this.#from);
    const position = (this.#from ?? []).filter((v) => v !== null);
    const started = performance.now();
    const rows = statement.all(...values, ...position, n) as unknown as unknown[][];
    const took = performance.now() - started;
    this.#remaining = rows.length < n ? 0 : this.#remaining - rows.length;
    if (rows.length > 0) {
      const last = rows[rows.length - 1];
      this.#from = last.slice(last.length - this.#order.length) as SqlValue[];
    }
    let widest = 0;
    for (const row of rows) widest = Math.max(widest, valueBytes(row));
    this.#pageRows = pageRows(this.#batchRows, this.#batchBytes, widest);
    if (this.#query.filter !== undefined && rows.length > 0) {
      // A filter that matches few rows reads many per row found: the next page
      // asks for as many as this one found in a slice of time.
      const fit = Math.max(1, Math.floor(rows.length * this.#sliceMs / Math.max(took, 0.001)));
      this.#pageRows = Math.min(this.#pageRows, fit);
    }
    return rows;
  }

  /**
   * The statement of a keyed page starting after `from` (or at the start),
   * and the filter's values it binds first; then come the position's
   * non-NULL values and the row count. Prepared once per pattern of NULLs
   * in the position (`x IS NULL` and `x = ?` are different SQL).
   */
  #pageStatement(select: string, from: SqlValue[] | undefined, cache = true) {
    // Only page statements return arrays; the sizing one (not cached) returns objects.
    const id = from === undefined ? "" : from.map((v) => v === null ? "0" : "1").join("");
    const found = cache ? this.#pages.get(id) : undefined;
    if (found !== undefined) return found;
    const params = this.#params();
    const filter = filterSql(this.#query.filter, params);
    const values = [...params.values];
    const where = [filter, from === undefined ? "" : keysetSql(this.#order, from, params)]
      .filter((s) => s !== "");
    const limit = bindLimit(params, 0);
    const sql = `${select}${where.length === 0 ? "" : ` WHERE ${where.join(" AND ")}`}${
      orderBySql(this.#order)
    } LIMIT ${limit}`;
    const statement = cache ? this.#prepare(sql) : this.#db.prepare(sql);
    const page = { statement, values, sql };
    if (cache) this.#pages.set(id, page);
    return page;
  }

  /**
   * Counts the rows the read will return, in its snapshot. With a finite
   * budget, a function called for every row the count visits (an index
   * range's rows, or every row of a scan) stops it past that many, and the
   * count is left out: a filter SQLite must check row by row over a big
   * table would otherwise hold the event loop for the whole scan.
   */
  #count(table: string, budget: number, limited = true): number | undefined {
    const params = this.#params();
    let visited = 0;
    let visit = "";
    if (Number.isFinite(budget)) {
      this.#db.function("sluice_visit", { deterministic: false, directOnly: true }, () => {
        if (++visited > budget) throw new RangeError("The count passed its budget");
        return 1;
      });
      // First, so SQLite calls it for each row before testing the rest.
      visit = "sluice_visit()";
    }
    const where = [visit, this.#where(params).replace(/^ WHERE /, "")].filter((s) => s !== "");
    // With a limit, count at most that many rows: O(limit), not O(table).
    let sql = `SELECT 1 FROM ${table}${where.length === 0 ? "" : ` WHERE ${where.join(" AND ")}`}`;
    sql = this.#query.limit === undefined || !limited
      ? `SELECT count(*) AS n FROM (${sql})`
      : `SELECT count(*) AS n FROM (${sql} LIMIT ${bindLimit(params, this.#query.limit)})`;
    try {
      return Number((this.#db.prepare(sql).get(...params.values) as { n: number }).n);
    } catch (error) {
      if (visited > budget) return undefined;
      throw error;
    }
  }

  /**
   * An order no index gives is a sort of every row the read returns, done by
   * SQLite's first step: the event loop waits for all of it (0.6-0.7 s for a
   * million rows here). Refused past {@linkcode SORT_LIMIT} rows.
   */
  #checkSortSize(table: string): void {
    // Without the limit: SQLite sorts every row before it gives the first.
    const rows = this.#query.limit === undefined && this.total !== undefined
      ? this.total
      : this.#count(table, SORT_LIMIT, false);
    if (rows !== undefined && rows <= SORT_LIMIT) return;
    const indexed = (this.#db.prepare(
      `SELECT DISTINCT ii.name FROM pragma_index_list(?1) AS il, pragma_index_info(il.name) AS ii
       WHERE ii.seqno = 0 ORDER BY ii.name`,
    ).all(this.#query.table) as { name: string | null }[]).map((r) => r.name).filter((n) =>
      n !== null
    );
    const keyed = this.#query.key === undefined ? [] : [this.#query.key];
    throw new HttpError(
      400,
      `No index gives the order ${
        this.#order.map((t) => JSON.stringify(t.column.name)).join(", ")
      }, and sorting more than ${SORT_LIMIT} rows would hold the server; order by ` +
        `${[...keyed, ...indexed].join(", ") || "the key"} first, or filter the rows down`,
    );
  }

  /** Fresh parameters for a statement of this reader. */
  #params(): SqlParams {
    return { values: [], dialect: SQLITE_DIALECT };
  }

  /** ` WHERE filter AND after the position` for one statement, or "". */
  #where(params: SqlParams): string {
    const filter = filterSql(this.#query.filter, params);
    const from = this.#from === undefined ? "" : keysetSql(this.#order, this.#from, params);
    const where = [filter, from].filter((s) => s !== "");
    return where.length === 0 ? "" : ` WHERE ${where.join(" AND ")}`;
  }

  /**
   * Rows of the first page that fit the byte budget, from the values' lengths
   * (which SQLite reads without loading the values): nothing is known of the
   * rows' width before it. Later pages go by the widest row of the one before.
   */
  #firstPageRows(table: string): number {
    const width = this.#query.columns.map((c) => `coalesce(octet_length(${quoteIdent(c)}), 0)`)
      .join(" + ");
    const { statement, values } = this.#pageStatement(
      `SELECT ${width} AS n FROM ${table}`,
      this.#from,
      false,
    );
    const position = (this.#from ?? []).filter((v) => v !== null);
    const n = Math.min(this.#batchRows, this.#remaining);
    let bytes = 0;
    let rows = 0;
    for (const { n: width } of statement.all(...values, ...position, n) as { n: number }[]) {
      bytes += width;
      if (bytes > this.#batchBytes) return Math.max(rows, 1);
      rows++;
    }
    return this.#batchRows;
  }

  #walk(): unknown[][] {
    if (this.#failed !== undefined) throw this.#failed;
    const batch: unknown[][] = [];
    const n = Math.min(this.#batchRows, this.#remaining);
    let bytes = 0;
    const started = performance.now();
    while (batch.length < n && bytes < this.#batchBytes) {
      // A step may read many rows (a filter that rarely matches): a batch ends
      // after a slice of time, so the event loop gets its turn.
      if (batch.length % 16 === 15 && performance.now() - started > this.#sliceMs) break;
      const result = this.#rows!.next();
      if (result.done) {
        const error = new Error(
          `Reading ${this.#table} failed before its last row (SQLite's error was lost)`,
        );
        if (batch.length === 0) throw error;
        // The rows before the failure go out first; the next call fails.
        this.#failed = error;
        break;
      }
      const row = result.value as unknown[];
      if (row[row.length - 1] === 1n) {
        this.#remaining = 0;
        break;
      }
      row.length--; // the mark: rows end with the order's values, as keyed pages' do
      batch.push(row);
      bytes += valueBytes(row);
    }
    this.#remaining -= batch.length;
    return batch;
  }

  #close(): void {
    if (this.#closed) return;
    this.#closed = true;
    // Closing ends the read transaction and finalizes the statements.
    if (this.#db.isOpen) this.#db.close();
  }
}
