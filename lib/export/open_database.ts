/**
 * Opens the export database at start: PostgreSQL when a URL is given, else
 * the SQLite file, creating the demo one when the file does not exist yet.
 *
 * @module
 */

import { dirname } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { createDemoDatabase } from "./sqlite/demo_db.ts";
import type { ExportSource } from "./export_source.ts";
import { PostgresSource } from "./postgres/postgres_source.ts";
import { checkDatabaseUrl } from "./postgres/postgres_options.ts";
import { SqliteSource } from "./sqlite/sqlite_source.ts";

/**
 * The database could not be opened; the message says why in one line, and
 * the caller prefixes the option it came from (lib/ names no flag).
 */
export class OpenDatabaseError extends Error {
  override name = "OpenDatabaseError";
}

/** Options for {@linkcode openExportSource}. */
export interface ExportSourceOptions {
  /** PostgreSQL when not empty. */
  databaseUrl: string;
  /** PostgreSQL connections for exports. */
  poolSize: number;
  /** The SQLite file otherwise. */
  dbPath: string;
  /** Rows in a demo SQLite database created at start. */
  demoRows: number;
  /** Where start-up and database-failure lines go. @default console.log */
  log?: (line: string) => void;
}

/**
 * Opens the source exports read from.
 *
 * @param options The database options.
 * @returns PostgreSQL (checked to answer) or SQLite.
 * @throws {OpenDatabaseError} One line, such as
 * `cannot connect to postgres://u@h:5432/db: connect ECONNREFUSED …`.
 * @example
 * ```ts
 * const source = await openExportSource({ databaseUrl: "", poolSize: 10, dbPath: "./data/sluice.db", demoRows: 1000 });
 * ```
 */
export async function openExportSource(options: ExportSourceOptions): Promise<ExportSource> {
  if (options.databaseUrl === "") {
    const db = await openDatabase(options.dbPath, options);
    return new SqliteSource(db, options.dbPath);
  }
  try {
    return await PostgresSource.connect(checkDatabaseUrl(options.databaseUrl), {
      poolSize: options.poolSize,
      log: options.log,
    });
  } catch (error) {
    throw new OpenDatabaseError((error as Error).message);
  }
}

/** Options for {@linkcode openDatabase}. */
export interface OpenDatabaseOptions {
  /** Rows in the demo `items` table when the file has to be created. */
  demoRows: number;
  /** Told when the demo database was created. @default console.log */
  log?: (line: string) => void;
}

/**
 * Opens `path` read-only. If it does not exist, creates its folder and the
 * demo database first — which needs write permission there.
 *
 * @param path The database file.
 * @param options Demo size and logging.
 * @returns The open database.
 * @throws {OpenDatabaseError} One line when the file cannot be created
 * (saying how to grant write permission) or is not a database.
 * @example
 * ```ts
 * const db = await openDatabase("./data/sluice.db", { demoRows: 1_000_000 });
 * ```
 */
export async function openDatabase(
  path: string,
  options: OpenDatabaseOptions,
): Promise<DatabaseSync> {
  const log = options.log ?? console.log;
  if (!await exists(path)) {
    const dir = dirname(path);
    const write = await Deno.permissions.query({ name: "write", path: dir });
    if (write.state !== "granted") {
      throw new OpenDatabaseError(
        `cannot create "${path}": no write permission for "${dir}"; ` +
          `grant it with --allow-write=${dir} or use a path inside ./data`,
      );
    }
    await Deno.mkdir(dir, { recursive: true });
    const started = performance.now();
    createDemoDatabase(path, options.demoRows);
    const ms = Math.round(performance.now() - started);
    log(`Created the demo database "${path}": ${options.demoRows} rows in items, ${ms} ms`);
  }
  let db: DatabaseSync | undefined;
  try {
    db = new DatabaseSync(path, { readOnly: true, timeout: 5000 });
    db.prepare("SELECT count(*) FROM sqlite_schema").get();
    return db;
  } catch (error) {
    db?.close();
    throw new OpenDatabaseError(`cannot open "${path}": ${(error as Error).message}`);
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw new OpenDatabaseError(`cannot read "${path}": ${(error as Error).message}`);
  }
}
