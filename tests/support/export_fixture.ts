/**
 * SQLite files for the export tests: the demo `items` table at a chosen size,
 * plus tables and views that hold every kind of SQLite value or fail in a
 * real way partway (SQLite's own `json()` raising on malformed text).
 *
 * @module
 */

import { DatabaseSync } from "node:sqlite";
import { createDemoDatabase } from "../../lib/export/sqlite/demo_db.ts";

/** A database file in a temporary folder, removed on dispose. */
export interface ExportDb extends AsyncDisposable {
  dir: string;
  path: string;
}

/** The row after which `failing` (a table) and `flaky` (a view) fail. */
export const FAIL_AFTER = 3000;

/**
 * Extra objects:
 * - `types`: one row per kind of value (big integers, REAL edge cases, BLOBs,
 *   empty text vs NULL).
 * - `failing`: the `items` rows with a virtual generated column that raises
 *   "malformed JSON" for ids above {@linkcode FAIL_AFTER}.
 * - `flaky`: a view doing the same (no key: read through `iterate()`).
 * - `broken`: a view that fails on its first row.
 * - `pairs`: a WITHOUT ROWID table; `plain`: a rowid table with no INTEGER
 *   PRIMARY KEY; `odd.csv`: a table whose name ends like a format.
 */
const EXTRAS = `
CREATE TABLE types (id INTEGER PRIMARY KEY, kind TEXT, v);
INSERT INTO types VALUES
  (1, 'max safe', 9007199254740991),
  (2, 'above safe', 9007199254740993),
  (3, 'int64 min', -9223372036854775808),
  (4, 'real', -0.5),
  (5, 'big real', 1e300),
  (6, 'infinity', 9e999),
  (7, 'minus infinity', -9e999),
  (8, 'blob', x'00ff10'),
  (9, 'empty blob', x''),
  (10, 'empty text', ''),
  (11, 'null', NULL),
  (12, 'text', 'tab	and "quote", comma');
CREATE TABLE failing (id INTEGER PRIMARY KEY, note TEXT);
INSERT INTO failing SELECT id, note FROM items;
-- Added after the rows: generated columns are computed on insert, not on ALTER.
ALTER TABLE failing ADD COLUMN checked TEXT
  GENERATED ALWAYS AS (CASE WHEN id > ${FAIL_AFTER} THEN json('{' || id) ELSE note END) VIRTUAL;
CREATE VIEW flaky AS
  SELECT id, CASE WHEN id > ${FAIL_AFTER} THEN json('{' || id) ELSE note END AS note FROM items;
CREATE VIEW broken AS SELECT id, json('{' || id) AS x FROM items;
CREATE TABLE pairs (a TEXT, b INTEGER, PRIMARY KEY (a, b)) WITHOUT ROWID;
INSERT INTO pairs VALUES ('x', 2), ('x', 1), ('a', 9);
CREATE TABLE plain (name TEXT);
INSERT INTO plain VALUES ('first'), ('second');
CREATE TABLE "odd.csv" (id INTEGER PRIMARY KEY, x TEXT);
INSERT INTO "odd.csv" VALUES (1, 'odd');
`;

/**
 * Creates a database with `rows` demo items (and, unless `extras` is false,
 * the objects above) in a new temporary folder.
 *
 * @param rows Rows in `items`.
 * @param extras Add the extra tables and views. @default true
 * @returns The file; dispose it with `await using`.
 */
export async function makeExportDb(rows: number, extras = true): Promise<ExportDb> {
  const dir = await Deno.makeTempDir({ prefix: "sluice-export-" });
  const path = `${dir}/test.db`;
  createDemoDatabase(path, rows);
  if (extras) {
    const db = new DatabaseSync(path);
    try {
      db.exec(EXTRAS);
    } finally {
      db.close();
    }
  }
  return {
    dir,
    path,
    [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }),
  };
}

/** Rows of a query, read with plain node:sqlite (objects, numbers): the expected data. */
export function queryRows(path: string, sql: string): Record<string, unknown>[] {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    return db.prepare(sql).all() as Record<string, unknown>[];
  } finally {
    db.close();
  }
}

/**
 * How many of this process's open files are `path` — SQLite connections to it
 * (through `ls`, since Deno lets only --allow-all read /proc/self/fd).
 */
export async function openHandlesTo(path: string): Promise<number> {
  const real = await Deno.realPath(path);
  const out = await new Deno.Command("ls", { args: ["-l", `/proc/${Deno.pid}/fd`] }).output();
  // Status 1: an fd closed while ls looked at it; the rest of the listing stands.
  if (out.code > 1) throw new Error(`ls /proc/${Deno.pid}/fd failed`);
  return new TextDecoder().decode(out.stdout).split("\n")
    .filter((line) => line.endsWith(` -> ${real}`)).length;
}

/** Reads a body until it ends or fails; returns the text received and the failure. */
export async function readUntilFailure(
  body: ReadableStream<Uint8Array>,
): Promise<{ text: string; bytes: number; error: unknown }> {
  const decoder = new TextDecoder();
  let text = "";
  let bytes = 0;
  const reader = body.getReader();
  try {
    for (let i = 0; i < 1_000_000; i++) {
      const { done, value } = await reader.read();
      if (done) return { text: text + decoder.decode(), bytes, error: undefined };
      text += decoder.decode(value, { stream: true });
      bytes += value.byteLength;
    }
    throw new Error("The body did not end");
  } catch (error) {
    return { text: text + decoder.decode(), bytes, error };
  } finally {
    reader.releaseLock();
  }
}

/**
 * A resume token as the README tells a client to write it from the last JSON
 * row: the order's values then the key, comma-separated; NULL as `null`; text
 * quoted when empty, `null`, holding `, " \\ ( )`, or reading as a number.
 */
export function resumeTokenOf(row: Record<string, unknown>, columns: string[]): string {
  return columns.map((c) => {
    const v = row[c];
    if (v === null) return "null";
    if (
      typeof v === "string" &&
      (v === "" || v === "null" || /[",\\()]/.test(v) ||
        /^[+-]?((\d+\.?\d*|\.\d+)([eE][+-]?\d+)?|Infinity)$/.test(v))
    ) {
      return `"${v.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;
    }
    return String(v);
  }).join(",");
}
