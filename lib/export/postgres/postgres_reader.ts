/**
 * Reads one export from PostgreSQL through a server-side cursor, a batch at a
 * time, on a connection lent to the export (lib/postgres_pool.ts).
 *
 * @module
 */

import type { Sql } from "postgres";
import type { ReaderOptions, RowReader, TableQuery } from "../export_source.ts";
import { describePgTable, selectSql } from "./postgres_catalog.ts";
import { checkPgQuery, pgValueProbe } from "./postgres_filters.ts";
import { isConnectionError } from "./postgres_pool.ts";

/** Options for {@linkcode PostgresReader.open}. */
export interface PostgresReaderOptions extends ReaderOptions {
  /**
   * Rows per FETCH. Two batches are in memory at once (one serialized while
   * the next arrives); at 1000 demo rows the server's RSS grew ~65 MiB over a
   * 1M-row export, at 500 ~44 MiB, for about the same rows/s. @default 500
   */
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
  /** Gives the connection back; called once, when the reader is done with it. */
  release?: () => void;
}

// deno-lint-ignore no-explicit-any
type Client = Sql<any>;
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
 * const client = (await pool.acquire(5000))!;
 * const reader = await PostgresReader.open(client, { table: "items", columns: ["id"], key: "id" }, {
 *   release: () => pool.release(client),
 * });
 * for await (const batch of reader) console.log(batch.length);
 * ```
 */
export class PostgresReader implements RowReader {
  readonly total: number | undefined;
  readonly #conn: Client;
  readonly #release: () => void;
  readonly #batchRows: number;
  readonly #cancelAfterMs: number;
  readonly #cancel: ((pid: number) => Promise<unknown>) | undefined;
  #pid = 0;
  #pending: Fetch | undefined;
  #done = false;
  #closing: Promise<void> | undefined;
  /** The connection was lost: nothing to roll back. */
  #lost = false;

  private constructor(conn: Client, total: number | undefined, options: PostgresReaderOptions) {
    this.#conn = conn;
    this.total = total;
    this.#batchRows = options.batchRows ?? 500;
    this.#cancelAfterMs = options.cancelAfterMs ?? 100;
    this.#cancel = options.cancel;
    this.#release = options.release ?? (() => {});
  }

  /**
   * Starts the transaction and the cursor on a lent connection, which the
   * reader owns from then on (released even when this fails).
   *
   * @param conn A client with one connection (`max: 1`), used by nobody else meanwhile.
   * @param query What to read; the names are checked against the catalog again.
   * @param options Batch size, counting and cancellation.
   * @returns The reader, its first FETCH already sent.
   * @throws {HttpError} 404 when the table is gone; the server's errors as they are.
   */
  static async open(
    conn: Client,
    query: TableQuery,
    options: PostgresReaderOptions = {},
  ): Promise<PostgresReader> {
    let reader: PostgresReader | undefined;
    try {
      await conn.unsafe("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
      const [{ pid }] = await conn.unsafe("SELECT pg_backend_pid() AS pid");
      const relation = await describePgTable(conn, query.table);
      // A value PostgreSQL would refuse is a 400 here, not a database error.
      await pgValueProbe(conn, checkPgQuery(query, relation.types));
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
      if (reader !== undefined) {
        await reader.#close();
      } else {
        await endTransaction(conn, isConnectionError(error));
        options.release?.();
      }
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
      this.#lost ||= isConnectionError(error);
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
      }
      await fetch?.rows.catch((error) => this.#lost ||= isConnectionError(error));
      await endTransaction(this.#conn, this.#lost);
      this.#release();
    })();
  }
}

/** ROLLBACK, which closes the cursor, unless the connection was lost (with its transaction). */
async function endTransaction(conn: Client, lost: boolean): Promise<void> {
  if (lost) return;
  try {
    // A second try for a cancel signal that arrived just as the FETCH ended.
    await conn.unsafe("ROLLBACK").catch(() => conn.unsafe("ROLLBACK"));
  } catch {
    // The connection is gone; the client opens a new one when it is used next.
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
