/**
 * The SQLite export source: node:sqlite behind {@linkcode ExportSource}.
 *
 * @module
 */

import type { DatabaseSync } from "node:sqlite";
import type { ExportSource, ReaderOptions, RowStream, TableQuery } from "../export_source.ts";
import { rowBatches } from "../row_batches.ts";
import { RowCounts } from "./row_counts.ts";
import { TableReader } from "./table_reader.ts";
import { describeTable, listTables, type TableInfo } from "../table_schema.ts";

/** Options for {@linkcode SqliteSource}. */
export interface SqliteSourceOptions {
  /** Rows per batch. @default 1000 */
  batchRows?: number;
  /**
   * The longest a reader runs node:sqlite's synchronous reads before it waits
   * for a timer, so other connections are served meanwhile. @default 20
   */
  sliceMs?: number;
  /**
   * The most rows a filtered export's count may visit (an index range's rows,
   * or a scan's); past it `X-Total-Rows` is left out. @default 50000
   */
  countBudget?: number;
}

/** 50,000 rows visited: 5-20 ms of counting here, the most a count holds the event loop. */
const COUNT_BUDGET = 50_000;

/**
 * Exports from a SQLite file. The schema, the index's counts and the cached
 * whole-table counts use the connection given; each reader opens a read-only
 * connection of its own (lib/table_reader.ts), closed when it ends.
 *
 * @example
 * ```ts
 * const source = new SqliteSource(await openDatabase("data/sluice.db", { demoRows: 1000 }), "data/sluice.db");
 * (await source.describeTable("items")).key; // "id"
 * ```
 */
export class SqliteSource implements ExportSource {
  readonly kind = "sqlite";
  readonly #db: DatabaseSync;
  readonly #path: string;
  readonly #counts: RowCounts;
  readonly #options: SqliteSourceOptions;

  /**
   * @param db The shared connection (read-only); {@linkcode close} closes it.
   * @param path Its file, which each reader opens again.
   * @param options Batch size and time slices.
   */
  constructor(db: DatabaseSync, path: string, options: SqliteSourceOptions = {}) {
    this.#db = db;
    this.#path = path;
    this.#counts = new RowCounts(db, path, { sliceMs: options.sliceMs });
    this.#options = options;
  }

  listTables(): ReturnType<ExportSource["listTables"]> {
    return settle(() => listTables(this.#db));
  }

  describeTable(name: string): Promise<TableInfo> {
    return settle(() => describeTable(this.#db, name));
  }

  async countRows(table: string): Promise<number> {
    const { key } = await this.describeTable(table);
    return await this.#counts.count({ table, key });
  }

  /**
   * Counts come from {@linkcode RowCounts}, which reads at most one stride of
   * rows per request once it knows a table, instead of a `count(*)` that
   * would hold the event loop. Like the whole-table count before them, they
   * are taken just before the read's snapshot, not in it: a commit in between
   * can make the count differ from the rows sent (and the export then fails).
   */
  async openRows(query: TableQuery, options: ReaderOptions = {}): Promise<RowStream> {
    // A filter or a token's position is not what the cached counts know: the
    // reader counts those itself, in its snapshot, within a budget.
    const cached = query.filter === undefined && query.from === undefined;
    const total = options.count && cached ? await this.#counts.count(query) : undefined;
    if (total !== undefined && options.rows === false) {
      // A HEAD: the count is all it needs, and the reader's connection would be opened for nothing.
      return { total, batches: new ReadableStream({ start: (c) => c.close() }) };
    }
    return await settle(() => {
      const reader = new TableReader(this.#path, query, {
        batchRows: this.#options.batchRows,
        sliceMs: this.#options.sliceMs,
        count: options.count === true && !cached,
        countBudget: this.#options.countBudget ?? COUNT_BUDGET,
      });
      const rows = rowBatches(reader, { sliceMs: this.#options.sliceMs ?? 20 });
      return { total: total ?? reader.total, batches: rows.batches };
    });
  }

  health(): Promise<undefined> {
    return Promise.resolve(undefined);
  }

  close(): Promise<void> {
    this.#counts.close();
    if (this.#db.isOpen) this.#db.close();
    return Promise.resolve();
  }
}

/** Runs synchronous work, turning what it throws into a rejection. */
function settle<T>(work: () => T): Promise<T> {
  try {
    return Promise.resolve(work());
  } catch (error) {
    return Promise.reject(error);
  }
}
