/**
 * The demo database Sluice creates on first start, so exports have something
 * real to stream.
 *
 * @module
 */

import { DatabaseSync } from "node:sqlite";

/**
 * The `items` table. `note` cycles through text that CSV must quote (commas,
 * quotes, LF, CRLF) and non-ASCII text; `label` is NULL on every third row;
 * `price` has an index.
 */
const SCHEMA = `
CREATE TABLE items (
  id INTEGER PRIMARY KEY,
  value TEXT NOT NULL,
  created_at TEXT NOT NULL,
  quantity INTEGER NOT NULL,
  price REAL NOT NULL,
  note TEXT NOT NULL,
  label TEXT
);
-- Filters and orders on price (?price=gt.100, ?order=price.desc) search this index.
CREATE INDEX items_price ON items (price)`;

// One INSERT … SELECT over a recursive counter: the rows are made inside
// SQLite, about a million a second.
const FILL = `
WITH RECURSIVE seq(i) AS (SELECT 1 WHERE ?1 >= 1 UNION ALL SELECT i + 1 FROM seq WHERE i < ?1)
INSERT INTO items
SELECT i,
  'item_' || i,
  strftime('%Y-%m-%dT%H:%M:%SZ', 1767225600 + i * 60, 'unixepoch'),
  (i * 7919) % 1000,
  (i % 10000) * 0.25 + 0.01,
  CASE i % 4
    WHEN 0 THEN 'plain note ' || i
    WHEN 1 THEN 'comma, "quoted" note ' || i
    WHEN 2 THEN 'first line' || char(10) || 'second line ' || i
    ELSE 'café, 東京 ☕ 🚀 ' || i || char(13, 10) || 'end'
  END,
  CASE WHEN i % 3 = 0 THEN NULL ELSE 'label-' || (i % 97) END
FROM seq`;

/**
 * Creates the demo database at `path` with `rows` rows in `items`, in one
 * transaction. It is built under a temporary name next to `path` and renamed
 * into place, so a crash midway never leaves a half-built database there.
 *
 * @param path Where the database goes (its folder must exist).
 * @param rows How many rows `items` gets.
 * @example
 * ```ts
 * createDemoDatabase("./data/sluice.db", 1000);
 * ```
 */
export function createDemoDatabase(path: string, rows: number): void {
  const temp = `${path}.${crypto.randomUUID().slice(0, 8)}.tmp`;
  try {
    const db = new DatabaseSync(temp);
    try {
      // No journal: a failed build is thrown away whole, never recovered.
      db.exec("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; BEGIN");
      db.exec(SCHEMA);
      db.prepare(FILL).run(rows);
      db.exec("COMMIT");
    } finally {
      db.close();
    }
    Deno.renameSync(temp, path);
  } catch (error) {
    try {
      Deno.removeSync(temp);
    } catch {
      // Never created, or already renamed.
    }
    throw error;
  }
}
