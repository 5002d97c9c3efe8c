/**
 * Opens the export database at start, creating the demo one when the file
 * does not exist yet.
 *
 * @module
 */

import { dirname } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { ConfigError } from "./config.ts";
import { createDemoDatabase } from "./demo_db.ts";

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
 * @param path The database file (`--db`).
 * @param options Demo size and logging.
 * @returns The open database.
 * @throws {ConfigError} One line naming `--db` when the file cannot be
 * created (saying how to grant write permission) or is not a database.
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
      throw new ConfigError(
        `--db: cannot create "${path}": no write permission for "${dir}"; ` +
          `grant it with --allow-write=${dir} or point --db inside ./data`,
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
    throw new ConfigError(`--db: cannot open "${path}": ${(error as Error).message}`);
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw new ConfigError(`--db: cannot read "${path}": ${(error as Error).message}`);
  }
}
