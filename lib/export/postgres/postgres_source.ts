/**
 * The PostgreSQL export source: npm:postgres behind {@linkcode ExportSource}.
 *
 * @module
 */

import postgres, { type Sql } from "postgres";
import type { ExportSource, ReaderOptions, RowStream, TableQuery } from "../export_source.ts";
import { HttpError } from "../../http/http_error.ts";
import { describePgTable, listPgTables } from "./postgres_catalog.ts";
import { quoteIdent } from "../quote_ident.ts";
import { driverOptions, redactUrl } from "./postgres_options.ts";
import { ClientPool, isConnectionError } from "./postgres_pool.ts";
import { PostgresReader } from "./postgres_reader.ts";
import { rowBatches } from "../row_batches.ts";
import type { TableInfo } from "../table_schema.ts";

/** Options for {@linkcode PostgresSource.connect}. */
export interface PostgresSourceOptions {
  /** Connections for exports (each export holds one while it streams). @default 10 */
  poolSize?: number;
  /** Rows per FETCH. @default 500 */
  batchRows?: number;
  /** How long an export waits for a free connection before a 503. @default 5000 */
  acquireTimeoutMs?: number;
  /** How long `/healthz` waits for `SELECT 1`. @default 2000 */
  healthTimeoutMs?: number;
  /** Told when the database fails a request (the client gets a 503). @default console.error */
  log?: (line: string) => void;
}

// deno-lint-ignore no-explicit-any
type AnySql = Sql<any>;

/**
 * Exports from PostgreSQL. `poolSize` connections for the exports themselves
 * (lib/postgres_pool.ts), and one more for the catalog, `/healthz` and
 * cancelling, so that those still answer when every export connection is busy.
 *
 * @example
 * ```ts
 * await using source = await PostgresSource.connect(new URL("postgres://sluice@127.0.0.1/sluice"));
 * (await source.describeTable("items")).key; // "id"
 * ```
 */
export class PostgresSource implements ExportSource, AsyncDisposable {
  readonly kind = "postgres";
  readonly #pool: ClientPool;
  readonly #meta: AnySql;
  readonly #options: PostgresSourceOptions;
  readonly #log: (line: string) => void;
  #checking: Promise<"ok" | "unreachable"> | undefined;

  private constructor(url: URL, options: PostgresSourceOptions) {
    this.#options = options;
    this.#log = options.log ?? console.error;
    const client = () => postgres(url.href, driverOptions(url, { max: 1 }));
    this.#pool = new ClientPool(options.poolSize ?? 10, client);
    this.#meta = postgres(url.href, driverOptions(url, { max: 1 }));
  }

  /**
   * Connects and checks that the server answers.
   *
   * @param url A URL checked by `checkDatabaseUrl()`.
   * @param options Pool size, timeouts and logging.
   * @returns The source.
   * @throws {Error} One line naming the URL (without its password) and the reason.
   */
  static async connect(url: URL, options: PostgresSourceOptions = {}): Promise<PostgresSource> {
    const source = new PostgresSource(url, options);
    try {
      await source.#meta.unsafe("SELECT 1");
      return source;
    } catch (error) {
      await source.close();
      const reason = (error as Error)?.message ?? String(error);
      throw new Error(`cannot connect to ${redactUrl(url)}: ${reason}`);
    }
  }

  listTables(): ReturnType<ExportSource["listTables"]> {
    return this.#guard(listPgTables(this.#meta));
  }

  async describeTable(name: string): Promise<TableInfo> {
    return (await this.#guard(describePgTable(this.#meta, name))).info;
  }

  async countRows(table: string): Promise<number> {
    const { schema } = await this.#guard(describePgTable(this.#meta, table));
    const from = `${quoteIdent(schema)}.${quoteIdent(table)}`;
    const client = await this.#acquire();
    try {
      const [{ count }] = await this.#guard(client.unsafe(`SELECT count(*) FROM ${from}`));
      return Number(count);
    } finally {
      this.#pool.release(client);
    }
  }

  /**
   * Borrows a connection (503 after `acquireTimeoutMs`) and opens the cursor
   * on it. Filtered and resumed exports are counted too, in the read's
   * snapshot: the count runs on the database server, never on the event
   * loop, and costs at most what a whole table's count does.
   */
  async openRows(query: TableQuery, options: ReaderOptions = {}): Promise<RowStream> {
    const client = await this.#acquire();
    return rowBatches(
      await this.#guard(PostgresReader.open(client, query, {
        ...options,
        batchRows: this.#options.batchRows,
        cancel: (pid) => this.#meta.unsafe("SELECT pg_cancel_backend($1)", [pid]),
        release: () => this.#pool.release(client),
      })),
    );
  }

  /** `SELECT 1` on the catalog connection, at most one at a time. */
  health(): Promise<"ok" | "unreachable"> {
    return this.#checking ??= (async () => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error("timed out")),
          this.#options.healthTimeoutMs ?? 2000,
        );
      });
      try {
        await Promise.race([this.#meta.unsafe("SELECT 1"), timeout]);
        return "ok" as const;
      } catch {
        return "unreachable" as const;
      } finally {
        clearTimeout(timer);
        this.#checking = undefined;
      }
    })();
  }

  /** Ends both pools, cutting off queries still running after a second. */
  async close(): Promise<void> {
    await Promise.all([this.#pool.end(1), this.#meta.end({ timeout: 1 })]);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #acquire(): Promise<AnySql> {
    const client = await this.#pool.acquire(this.#options.acquireTimeoutMs ?? 5000);
    if (client !== undefined) return client;
    const size = this.#pool.size;
    throw new HttpError(
      503,
      `All ${size} database connection${
        size === 1 ? " is" : "s are"
      } busy with exports; retry later`,
      { headers: { "retry-after": "5" } },
    );
  }

  /** Turns "the database is unreachable" into a 503 (and one log line); the rest passes. */
  async #guard<T>(work: Promise<T>): Promise<T> {
    try {
      return await work;
    } catch (error) {
      if (!isConnectionError(error)) throw error;
      this.#log(`${new Date().toISOString()} - database unreachable: ${(error as Error).message}`);
      throw new HttpError(503, "The database is unreachable; retry later", {
        headers: { "retry-after": "5" },
        cause: error,
      });
    }
  }
}
