/**
 * Reads one export from PostgreSQL through a server-side cursor, a batch at a
 * time, on a connection reserved from the pool for the export.
 *
 * @module
 */

import type { ReservedSql } from "postgres";
import type { ReaderOptions, RowReader, TableQuery } from "./export_source.ts";
import { describePgTable, selectSql } from "./postgres_catalog.ts";

/** Options for {@linkcode PostgresReader.open}. */
export interface PostgresReaderOptions extends ReaderOptions {
  /** Rows per FETCH. @default 1000 */
  batchRows?: number;
  /**
   * When the reader is returned while a FETCH runs, how long to let it
   * finish before cancelling it (quick FETCHes are let finish). @default 100
   */
  cancelAfterMs?: number;
  /**
   * Cancels the query a backend runs, from another connection (such as
   * `SELECT pg_cancel_backend(pid)`); it must resolve once the server has
   * signalled the backend. Without it, a running FETCH is waited for.
   */
  cancel?: (pid: number) => Promise<unknown>;
}

// deno-lint-ignore no-explicit-any
type Reserved = ReservedSql<any>;
type Fetch = { rows: Promise<unknown[][]> };

const DONE: IteratorResult<unknown[][]> = { done: true, value: undefined };

/**
 * An export's rows: `BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY`, the
 * relation described and (if asked) counted in that snapshot, then
 * `DECLARE … NO SCROLL CURSOR` and one `FETCH n` per batch, the next one
 * sent while the current batch is serialized. The whole result is never in
 * memory: at most two batches are.
 *
 * The end of the rows, a failure and `return()` all end the transaction and
 * give the connection back to the pool; `return()` during a long FETCH
 * cancels it on the server first (`options.cancel`), so no query of an
 * abandoned export keeps running.
 *
 * @example
 * ```ts
 * const reader = await PostgresReader.open(await pool.reserve(), { table: "items", columns: ["id"], key: "id" });
 * for await (const batch of reader) console.log(batch.length);
 * ```
 */
export class PostgresReader implements RowReader {
  readonly total: number | undefined;
  readonly #conn: Reserved;
  readonly #batchRows: number;
  readonly #cancelAfterMs: number;
  readonly #cancel: ((pid: number) => Promise<unknown>) | undefined;
  #pid = 0;
  #pending: Fetch | undefined;
  #done = false;
  #closing: Promise<void> | undefined;

  private constructor(conn: Reserved, total: number | undefined, options: PostgresReaderOptions) {
    this.#conn = conn;
    this.total = total;
    this.#batchRows = options.batchRows ?? 1000;
    this.#cancelAfterMs = options.cancelAfterMs ?? 100;
    this.#cancel = options.cancel;
  }

  /**
   * Starts the transaction and the cursor on a reserved connection, which
   * the reader owns from then on (released even when this fails).
   *
   * @param conn A connection from `sql.reserve()`.
   * @param query What to read; the names are checked against the catalog again.
   * @param options Batch size, counting and cancellation.
   * @returns The reader, its first FETCH already sent.
   * @throws {HttpError} 404 when the table is gone; the server's errors as they are.
   */
  static async open(
    conn: Reserved,
    query: TableQuery,
    options: PostgresReaderOptions = {},
  ): Promise<PostgresReader> {
    let reader: PostgresReader | undefined;
    try {
      await conn.unsafe("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
      const [{ pid }] = await conn.unsafe("SELECT pg_backend_pid() AS pid");
      const relation = await describePgTable(conn, query.table);
      let total: number | undefined;
      if (options.count) {
        const { sql, params } = selectSql(relation, query, true);
        const [{ count }] = await conn.unsafe(sql, params);
        total = Number(count);
      }
      const { sql, params } = selectSql(relation, query);
      await conn.unsafe(`DECLARE sluice_export NO SCROLL CURSOR FOR ${sql}`, params);
      reader = new PostgresReader(conn, total, options);
      reader.#pid = pid as number;
      reader.#pending = reader.#fetch();
      return reader;
    } catch (error) {
      if (reader !== undefined) await reader.#close();
      else await endTransaction(conn);
      throw error;
    }
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  async next(): Promise<IteratorResult<unknown[][]>> {
    if (this.#done) return DONE;
    const fetch = this.#pending ?? this.#fetch();
    this.#pending = fetch;
    let rows: unknown[][];
    try {
      rows = await fetch.rows;
    } catch (error) {
      if (this.#pending === fetch) this.#pending = undefined;
      await this.#close();
      throw error;
    }
    if (this.#done) return DONE;
    this.#pending = undefined;
    if (rows.length < this.#batchRows) {
      // A short batch is the last: give the connection back before sending it.
      await this.#close();
      return rows.length === 0 ? DONE : { done: false, value: rows };
    }
    this.#pending = this.#fetch();
    return { done: false, value: rows };
  }

  /** Ends the read: cancels a running FETCH, ends the transaction, releases the connection. */
  async return(): Promise<IteratorResult<unknown[][]>> {
    await this.#close();
    return DONE;
  }

  #fetch(): Fetch {
    const rows = this.#conn.unsafe(`FETCH ${this.#batchRows} FROM sluice_export`).values()
      .then((result) => result as unknown as unknown[][]);
    // Awaited by next() or #close(); never left unhandled in between.
    rows.catch(() => {});
    return { rows };
  }

  #close(): Promise<void> {
    this.#done = true;
    return this.#closing ??= (async () => {
      const fetch = this.#pending;
      this.#pending = undefined;
      if (fetch !== undefined && !await settlesWithin(fetch.rows, this.#cancelAfterMs)) {
        // The server has signalled the backend when this resolves: the FETCH
        // fails, or (if it had just ended) the idle backend ignores the signal.
        await this.#cancel?.(this.#pid).catch(() => {});
        await fetch.rows.catch(() => {});
      }
      await endTransaction(this.#conn);
    })();
  }
}

/** ROLLBACK (which closes the cursor) and release; a lost connection is released as it is. */
async function endTransaction(conn: Reserved): Promise<void> {
  try {
    // A second try for a cancel request that arrived just as the FETCH ended.
    await conn.unsafe("ROLLBACK").catch(() => conn.unsafe("ROLLBACK"));
  } catch {
    // The connection is gone; the driver opens a new one when it is used next.
  } finally {
    conn.release();
  }
}

/** Whether a promise settles within `ms`. */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<false>((resolve) => timer = setTimeout(resolve, ms, false));
  try {
    return await Promise.race([promise.then(() => true, () => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
