/**
 * The demo `items` table in PostgreSQL: the same columns and values as the
 * SQLite demo (lib/demo_db.ts), so that the same export is byte-for-byte the
 * same from either database.
 *
 * @module
 */

import type { Sql } from "postgres";

/**
 * SQLite's INTEGER columns are int8 here (read as BigInt), REAL is float8 and
 * `created_at` stays text, so that nothing is formatted differently.
 */
const SCHEMA = `
CREATE TABLE items (
  id bigint PRIMARY KEY,
  value text NOT NULL,
  created_at text NOT NULL,
  quantity bigint NOT NULL,
  price double precision NOT NULL,
  note text NOT NULL,
  label text
)`;

// Made inside the server from generate_series, as SQLite's demo is made
// from a recursive counter: no row crosses the network. The arithmetic is
// float8 throughout, so every price is the same double SQLite computes.
const FILL = `
INSERT INTO items
SELECT i,
  'item_' || i,
  to_char(to_timestamp(1767225600 + i * 60) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
  (i * 7919) % 1000,
  (i % 10000)::float8 * 0.25::float8 + 0.01::float8,
  CASE i % 4
    WHEN 0 THEN 'plain note ' || i
    WHEN 1 THEN 'comma, "quoted" note ' || i
    WHEN 2 THEN 'first line' || chr(10) || 'second line ' || i
    ELSE 'café, 東京 ☕ 🚀 ' || i || chr(13) || chr(10) || 'end'
  END,
  CASE WHEN i % 3 = 0 THEN NULL ELSE 'label-' || (i % 97) END
FROM generate_series($1::bigint, $2::bigint) AS i`;

/** The demo's one secondary index, on price, like the SQLite demo's (issue 15). */
export const DEMO_INDEX = "items_price";
const INDEX = `CREATE INDEX ${DEMO_INDEX} ON items (price)`;

/** Rows per INSERT: each is its own statement, so progress can be told. */
const BATCH = 250_000;

/** Options for {@linkcode createPostgresDemo}. */
export interface PostgresDemoOptions {
  /** Drop an `items` table that exists instead of failing. @default false */
  replace?: boolean;
  /** Told after each batch of rows. */
  progress?: (rows: number) => void;
}

/**
 * Creates `items` with `rows` rows and its index on `price` in the current
 * schema, in one transaction: a failure leaves the database as it was.
 *
 * @param sql A connection or pool (one connection is used for the transaction).
 * @param rows How many rows `items` gets.
 * @param options Replace an existing table; progress.
 * @throws The server's error, such as `relation "items" already exists`.
 * @example
 * ```ts
 * await createPostgresDemo(sql, 1000, { replace: true });
 * ```
 */
export async function createPostgresDemo(
  // deno-lint-ignore no-explicit-any
  sql: Sql<any>,
  rows: number,
  options: PostgresDemoOptions = {},
): Promise<void> {
  await sql.begin(async (tx) => {
    if (options.replace) await tx.unsafe("DROP TABLE IF EXISTS items");
    await tx.unsafe(SCHEMA);
    for (let from = 1; from <= rows; from += BATCH) {
      const to = Math.min(rows, from + BATCH - 1);
      await tx.unsafe(FILL, [from, to]);
      options.progress?.(to);
    }
    // An index on one non-key column, as the SQLite demo has, so that a
    // filter or order on price (issue 15) reads a range instead of the table.
    // Built after the rows: one sort, rather than a b-tree grown row by row.
    await tx.unsafe(INDEX);
    // Fresh statistics, so that the first exports are planned well.
    await tx.unsafe("ANALYZE items");
  });
}
