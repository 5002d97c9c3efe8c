/**
 * The PostgreSQL export source: npm:postgres behind {@linkcode ExportSource}.
 *
 * @module
 */

import postgres, { type Sql } from "postgres";
import type {
  ExportSource,
  ReaderOptions,
  RowReader,
  TableQuery,
  TableSummary,
} from "./export_source.ts";
import { HttpError } from "./http_error.ts";
import { describePgTable, listPgTables, quoteIdent } from "./postgres_catalog.ts";
import { driverOptions, redactUrl } from "./postgres_options.ts";
import { PostgresReader } from "./postgres_reader.ts";
import type { TableInfo } from "./table_schema.ts";

/** Options for {@linkcode PostgresSource.connect}. */
export interface PostgresSourceOptions {
  /** Connections for exports (each export holds one while it streams). @default 10 */
  poolSize?: number;
  /** Rows per FETCH. @default 1000 */
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

/** Driver and server errors that mean "the database cannot be reached", not "this query failed". */
const CONNECTION_CODES = new Set([
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "CONNECT_TIMEOUT",
  "ECONNREFUSED",
  "ECONNRESET",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "ETIMEDOUT",
  "EPIPE",
  "57P01", // admin_shutdown
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now
]);

/** Whether an error from the driver means the database is unreachable. */
export function isConnectionError(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return typeof code === "string" && (CONNECTION_CODES.has(code) || code.startsWith("08"));
}

/**
 * Exports from PostgreSQL. Two pools: `poolSize` connections for the exports
 * themselves, and one more for the catalog, `/healthz` and cancelling, so
 * that those still answer when every export connection is busy.
 *
 * @example
 * ```ts
 * await using source = await PostgresSource.connect(new URL("postgres://sluice@127.0.0.1/sluice"));
 * (await source.describeTable("items")).key; // "id"
 * ```
 */
export class PostgresSource implements ExportSource, AsyncDisposable {
  readonly kind = "postgres";
  readonly #pool: AnySql;
  readonly #meta: AnySql;
  readonly #options: PostgresSourceOptions;
  readonly #log: (line: string) => void;
  #checking: Promise<"ok" | "unreachable"> | undefined;

  private constructor(url: URL, options: PostgresSourceOptions) {
    this.#options = options;
    this.#log = options.log ?? console.error;
    this.#pool = postgres(url.href, driverOptions(url, { max: options.poolSize ?? 10 }));
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

  listTables(): Promise<TableSummary[]> {
    return this.#guard(listPgTables(this.#meta));
  }

  async describeTable(name: string): Promise<TableInfo> {
    return (await this.#guard(describePgTable(this.#meta, name))).info;
  }

  async countRows(table: string): Promise<number> {
    const { schema } = await this.#guard(describePgTable(this.#meta, table));
    const from = `${quoteIdent(schema)}.${quoteIdent(table)}`;
    const [{ count }] = await this.#guard(this.#pool.unsafe(`SELECT count(*) FROM ${from}`));
    return Number(count);
  }

  /** Reserves a connection (503 after `acquireTimeoutMs`) and opens the cursor on it. */
  async openReader(query: TableQuery, options: ReaderOptions = {}): Promise<RowReader> {
    const conn = await this.#reserve();
    return await this.#guard(PostgresReader.open(conn, query, {
      ...options,
      batchRows: this.#options.batchRows,
      cancel: (pid) => this.#meta.unsafe("SELECT pg_cancel_backend($1)", [pid]),
    }));
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
    await Promise.all([this.#pool.end({ timeout: 1 }), this.#meta.end({ timeout: 1 })]);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #reserve() {
    const reserving = this.#guard(this.#pool.reserve());
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<undefined>((resolve) => {
      timer = setTimeout(resolve, this.#options.acquireTimeoutMs ?? 5000, undefined);
    });
    const conn = await Promise.race([reserving, timeout]).finally(() => clearTimeout(timer));
    if (conn !== undefined) return conn;
    // Still queued: give the connection back when it comes.
    reserving.then((late) => late.release(), () => {});
    const size = this.#options.poolSize ?? 10;
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
