/**
 * A pool of PostgreSQL connections, each lent to one export at a time.
 *
 * npm:postgres has a pool with `reserve()`, but in 3.4.9 a reserved
 * connection that the server closes crashes the process on its next query
 * (a write to a null socket in a `setImmediate`), and `reserve()` on a new
 * connection hangs without `fetch_types` (porsager/postgres#751). A client
 * with `max: 1` has neither problem: a query after a lost connection
 * reconnects (the export's cursor is gone then, so it fails as it should).
 * So this pool holds `size` such clients.
 *
 * @module
 */

import type { Sql } from "postgres";

// deno-lint-ignore no-explicit-any
type Client = Sql<any>;

/** Driver and server errors that mean "the connection is gone", not "this query failed". */
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

/**
 * Whether an error from the driver means the database cannot be reached
 * (SQLSTATE class 08 and shutdowns included).
 *
 * @param error What a query threw.
 * @returns True for a lost or refused connection.
 * @example
 * ```ts
 * isConnectionError(Object.assign(new Error("x"), { code: "ECONNREFUSED" })); // true
 * ```
 */
export function isConnectionError(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return typeof code === "string" && (CONNECTION_CODES.has(code) || code.startsWith("08"));
}

/**
 * `size` single-connection clients, lent out one at a time. Each connects
 * on first use and closes after its idle timeout; waiting borrowers are
 * served first come, first served.
 *
 * @example
 * ```ts
 * const pool = new ClientPool(10, () => postgres(url, { ...options, max: 1 }));
 * const client = await pool.acquire(5000);
 * if (client) try { await client`SELECT 1`; } finally { pool.release(client); }
 * ```
 */
export class ClientPool {
  readonly size: number;
  readonly #all: Client[];
  readonly #idle: Client[];
  readonly #waiters: ((client: Client) => void)[] = [];

  /**
   * @param size How many clients.
   * @param make Makes one client; it must have `max: 1`.
   */
  constructor(size: number, make: () => Client) {
    this.size = size;
    this.#all = Array.from({ length: size }, make);
    this.#idle = [...this.#all];
  }

  /**
   * Borrows a client.
   *
   * @param timeoutMs How long to wait for one to be free.
   * @returns The client, or undefined when none was free in time.
   */
  acquire(timeoutMs: number): Promise<Client | undefined> {
    const idle = this.#idle.pop();
    if (idle !== undefined) return Promise.resolve(idle);
    return new Promise((resolve) => {
      const waiter = (client: Client) => {
        clearTimeout(timer);
        resolve(client);
      };
      const timer = setTimeout(() => {
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
        resolve(undefined);
      }, timeoutMs);
      this.#waiters.push(waiter);
    });
  }

  /** Gives a client back, to the longest waiting borrower if there is one. */
  release(client: Client): void {
    const waiter = this.#waiters.shift();
    if (waiter !== undefined) waiter(client);
    else this.#idle.push(client);
  }

  /** Closes every client's connection, cutting off queries after `timeout` seconds. */
  async end(timeout = 1): Promise<void> {
    await Promise.all(this.#all.map((client) => client.end({ timeout })));
  }
}
