/**
 * The options Sluice gives the PostgreSQL driver (npm:postgres), all spelled
 * out: the driver falls back to PG* environment variables and the OS user
 * for anything left out, which would need `--allow-env` for each of those
 * variables and `--allow-sys`. Two variables it reads whatever it is given.
 *
 * @module
 */

import type { Options, PostgresType } from "postgres";

/**
 * The environment variables the driver reads even when every option is
 * given: `PGAPPNAME` (overridden by Sluice's `application_name`) and
 * `PGTARGETSESSIONATTRS`. Deno must allow reading them.
 */
export const DRIVER_ENV: readonly string[] = ["PGAPPNAME", "PGTARGETSESSIONATTRS"];

/** `sslmode` values the driver supports, as in libpq. */
const SSL_MODES = ["disable", "prefer", "require", "verify-full"] as const;

/** Options for {@linkcode driverOptions}. */
export interface DriverOptions {
  /** Connections in the pool. */
  max: number;
  /** The `application_name` the server shows in `pg_stat_activity`. @default "sluice" */
  applicationName?: string;
  /** Seconds to wait for a connection to be established. @default 5 */
  connectTimeout?: number;
  /** Seconds an unused connection stays open. @default 60 */
  idleTimeout?: number;
}

/** int8 as BigInt, like node:sqlite's `setReadBigInts`: no 64-bit integer is rounded. */
const BIGINT: PostgresType<bigint> = {
  to: 20,
  from: [20],
  serialize: (x: bigint) => x.toString(),
  parse: (x: string) => BigInt(x),
};

/**
 * Checks a `postgres://` URL the way Sluice needs it.
 *
 * @param raw The URL (`postgres://user:password@host:port/database?sslmode=…`).
 * @returns The parsed URL.
 * @throws {TypeError} For another scheme, no host, no user, a socket path or
 * an unsupported `sslmode`.
 * @example
 * ```ts
 * checkDatabaseUrl("postgres://sluice@127.0.0.1:5432/sluice").port; // "5432"
 * ```
 */
export function checkDatabaseUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new TypeError("not a URL (postgres://user:password@host:port/database)");
  }
  if (url.protocol !== "postgres:" && url.protocol !== "postgresql:") {
    throw new TypeError(`the scheme must be postgres://, not ${url.protocol}//`);
  }
  if (url.hostname === "") throw new TypeError("name the host (TCP only: no socket paths)");
  if (url.username === "") throw new TypeError("name the user (postgres://USER@host/database)");
  const mode = url.searchParams.get("sslmode");
  if (mode !== null && !(SSL_MODES as readonly string[]).includes(mode)) {
    throw new TypeError(`sslmode must be one of ${SSL_MODES.join(", ")}; got "${mode}"`);
  }
  return url;
}

/**
 * The URL without its password, for messages and logs.
 *
 * @param url A checked URL.
 * @returns `postgres://user@host:port/database`.
 */
export function redactUrl(url: URL): string {
  const copy = new URL(url.href);
  copy.password = "";
  copy.search = "";
  return copy.href;
}

/**
 * Builds the driver's options for a URL. Query parameters other than
 * `sslmode` (such as `application_name` or `options`) are sent to the server
 * as connection parameters by the driver itself.
 *
 * @param url A URL checked by {@linkcode checkDatabaseUrl}.
 * @param options Pool size and timeouts.
 * @returns The options for `postgres(url.href, options)`.
 * @example
 * ```ts
 * const sql = postgres(url.href, driverOptions(url, { max: 10 }));
 * ```
 */
export function driverOptions(
  url: URL,
  options: DriverOptions,
): Options<{ bigint: PostgresType<bigint> }> {
  const user = decodeURIComponent(url.username);
  const password = decodeURIComponent(url.password);
  const mode = url.searchParams.get("sslmode");
  return {
    host: decodeURIComponent(url.hostname).replace(/^\[(.*)\]$/, "$1"),
    port: url.port === "" ? 5432 : Number(url.port),
    user,
    // A function, so that an empty password is not looked up in PGPASSWORD.
    pass: () => password,
    database: decodeURIComponent(url.pathname.slice(1)) || user,
    max: options.max,
    ssl: mode === null || mode === "disable" ? false : mode as "prefer" | "require" | "verify-full",
    sslnegotiation: null,
    target_session_attrs: undefined,
    idle_timeout: options.idleTimeout ?? 60,
    connect_timeout: options.connectTimeout ?? 5,
    // The driver's own defaults, which it would otherwise take from PG* variables.
    // Per connection, so that a pool's connections do not all close at once.
    max_lifetime: () => 60 * (30 + Math.random() * 30),
    backoff: (retries: number) => (0.5 + Math.random() / 2) * Math.min(3 ** retries / 100, 20),
    keep_alive: 60,
    max_pipeline: 100,
    debug: false,
    publications: "alltables",
    // Unnamed statements: `?columns=` makes many distinct queries, and a
    // per-connection cache of prepared statements would keep them all.
    prepare: false,
    // Sluice casts what it does not parse to text (lib/postgres_catalog.ts),
    // so the driver need not read the array types on each new connection.
    fetch_types: false,
    types: { bigint: BIGINT },
    connection: { application_name: options.applicationName ?? "sluice" },
    onnotice: () => {},
    // The types say `max_lifetime` is a number; the driver takes a function as its own default does.
  } as unknown as Options<{ bigint: PostgresType<bigint> }>;
}
