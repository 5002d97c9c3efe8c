/**
 * `deno task seed --database-url postgres://…`: creates and fills the demo
 * `items` table in PostgreSQL (with its index on `price`), the same rows as
 * the SQLite demo, so that Sluice has something to export with `--database-url`.
 *
 * Flags (environment variable in brackets):
 * - `--database-url URL` [DATABASE_URL]: the database (required).
 * - `--rows N` [DEMO_ROWS]: rows to create. Default 1000000.
 * - `--replace`: drop an existing `items` table first (otherwise it is an error).
 *
 * Exits 0 when done, 2 with one line for a bad flag or a database error.
 *
 * @module
 */

import { parseArgs } from "node:util";
import postgres from "postgres";
import { createPostgresDemo } from "./lib/export/postgres/postgres_demo.ts";
import {
  checkDatabaseUrl,
  driverOptions,
  redactUrl,
} from "./lib/export/postgres/postgres_options.ts";

const USAGE = "Usage: deno task seed --database-url postgres://user:password@host:port/database " +
  "[--rows N] [--replace]";

/**
 * Seeds the database named by the flags.
 *
 * @param args The command-line arguments.
 * @param env Reads one environment variable.
 * @returns The exit status.
 */
export async function seed(
  args: string[],
  env: (name: string) => string | undefined,
): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      strict: true,
      options: {
        "database-url": { type: "string" },
        rows: { type: "string" },
        replace: { type: "boolean" },
        help: { type: "boolean" },
      },
    }));
  } catch (error) {
    console.error(`seed: ${(error as Error).message.split("\n")[0]}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const raw = values["database-url"] ?? env("DATABASE_URL") ?? "";
  const rowsText = values.rows ?? env("DEMO_ROWS") ?? "1000000";
  const rows = Number(rowsText);
  if (raw === "") {
    console.error(`seed: give --database-url (or DATABASE_URL)\n${USAGE}`);
    return 2;
  }
  if (!/^\d+$/.test(rowsText) || !Number.isSafeInteger(rows)) {
    console.error(`seed: --rows: "${rowsText}" is not a non-negative integer`);
    return 2;
  }
  let url: URL;
  try {
    url = checkDatabaseUrl(raw);
  } catch (error) {
    console.error(`seed: --database-url: ${(error as Error).message}`);
    return 2;
  }
  const sql = postgres(url.href, driverOptions(url, { max: 1, applicationName: "sluice-seed" }));
  const started = performance.now();
  try {
    await createPostgresDemo(sql, rows, {
      replace: values.replace,
      progress: (done) => console.log(`${done} of ${rows} rows`),
    });
  } catch (error) {
    const exists = (error as { code?: string }).code === "42P07";
    const hint = exists ? " (--replace drops it first)" : "";
    console.error(`seed: ${redactUrl(url)}: ${(error as Error).message}${hint}`);
    return 2;
  } finally {
    await sql.end({ timeout: 1 });
  }
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(`Created items in ${redactUrl(url)}: ${rows} rows, ${seconds} s`);
  return 0;
}

if (import.meta.main) Deno.exit(await seed(Deno.args, (name) => Deno.env.get(name)));
