import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { RowCounts } from "../../../../lib/export/sqlite/row_counts.ts";
import { makeExportDb, openHandlesTo } from "../../../support/export_fixture.ts";

/** Keys with gaps and negatives; `loose` has an INTEGER PRIMARY KEY DESC (no rowid alias) with NULLs. */
const seq = (n: number) =>
  `(WITH RECURSIVE s(value) AS (SELECT 1 UNION ALL SELECT value + 1 FROM s WHERE value < ${n}) SELECT value FROM s)`;
const TABLES = `
CREATE TABLE gaps (id INTEGER PRIMARY KEY, v TEXT);
INSERT INTO gaps SELECT value * 3 - 40, 'x' FROM ${seq(95)};
CREATE TABLE loose (id INTEGER PRIMARY KEY DESC, v TEXT);
INSERT INTO loose SELECT CASE WHEN value % 9 = 0 THEN NULL ELSE value * 2 END, 'y' FROM ${seq(60)};
CREATE TABLE plain (v TEXT);
INSERT INTO plain SELECT 'z' FROM ${seq(23)};
CREATE TABLE pairs (a TEXT, b INTEGER, PRIMARY KEY (a, b)) WITHOUT ROWID;
INSERT INTO pairs VALUES ('x', 2), ('x', 1), ('a', 9);
`;

/** What SQLite itself says the export's query reads. */
function truth(db: DatabaseSync, table: string, key: string, after?: bigint, limit?: number) {
  const where = after === undefined ? "" : ` WHERE "${key}" > ${after}`;
  const cap = limit === undefined ? "" : ` LIMIT ${limit}`;
  const sql = `SELECT count(*) AS n FROM (SELECT 1 FROM "${table}"${where}${cap})`;
  return Number((db.prepare(sql).get() as { n: number }).n);
}

async function countsDb() {
  const file = await makeExportDb(50, false);
  const writer = new DatabaseSync(file.path);
  try {
    writer.exec(TABLES);
  } finally {
    writer.close();
  }
  return file;
}

Deno.test("RowCounts counts what ?after= and ?limit= read, for every key and stride edge", async () => {
  await using file = await countsDb();
  using db = new DatabaseSync(file.path, { readOnly: true });
  const counts = new RowCounts(db, file.path, { stride: 7 });
  const cases: [string, string][] = [["gaps", "id"], ["loose", "id"], ["plain", "rowid"]];
  for (const [table, key] of cases) {
    for (let after = -50n; after <= 250n; after++) {
      for (const limit of [undefined, 0, 1, 6, 7, 8, 1000]) {
        assert.equal(
          await counts.count({ table, key, after, limit }),
          truth(db, table, key, after, limit),
          `${table} after ${after} limit ${limit}`,
        );
      }
    }
    assert.equal(await counts.count({ table, key }), truth(db, table, key));
    assert.equal(await counts.count({ table, key, limit: 5 }), 5);
  }
  // NULL keys are rows of the table, but no ?after= reads them.
  assert.equal(await counts.count({ table: "loose", key: "id" }), 60);
  assert.equal(await counts.count({ table: "loose", key: "id", after: -1n }), 54);
  assert.equal(await counts.count({ table: "pairs", key: undefined }), 3);
  assert.equal(await counts.count({ table: "pairs", key: undefined, limit: 2 }), 2);
  assert.equal(
    await counts.count({ table: "items", key: "id", after: -9223372036854775808n }),
    50,
  );
  assert.equal(await counts.count({ table: "items", key: "id", after: 9223372036854775807n }), 0);
});

Deno.test("RowCounts counts again once another connection commits", async () => {
  await using file = await countsDb();
  using reader = new DatabaseSync(file.path, { readOnly: true });
  const counts = new RowCounts(reader, file.path, { stride: 4 });
  assert.equal(await counts.count({ table: "items", key: "id" }), 50);
  assert.equal(await counts.count({ table: "items", key: "id", after: 10n }), 40);
  using writer = new DatabaseSync(file.path);
  // Written around the cache's back: only data_version tells.
  writer.exec("DELETE FROM items WHERE id BETWEEN 5 AND 8 OR id > 40");
  assert.equal(await counts.count({ table: "items", key: "id" }), 36);
  assert.equal(await counts.count({ table: "items", key: "id", after: 10n }), 30);
  assert.equal(await counts.count({ table: "items", key: "id", after: 4n, limit: 100 }), 32);
});

Deno.test("RowCounts' first count of a table lets timers run between its steps", async () => {
  await using file = await makeExportDb(2000, false);
  using db = new DatabaseSync(file.path, { readOnly: true });
  const counts = new RowCounts(db, file.path, { stride: 100, sliceMs: 0 });
  let fired = 0;
  const timer = setInterval(() => fired++, 0);
  try {
    assert.equal(await counts.count({ table: "items", key: "id" }), 2000);
  } finally {
    clearInterval(timer);
  }
  // 20 steps, each after a wait on a timer: the interval ran in between.
  assert.ok(fired >= 2, `the interval ran ${fired} times during the count`);
  assert.equal(await openHandlesTo(file.path), 1); // only `db`: the count's own connection closed
});

Deno.test("RowCounts.close() stops a first count and closes its connection", async () => {
  await using file = await makeExportDb(2000, false);
  using db = new DatabaseSync(file.path, { readOnly: true });
  const counts = new RowCounts(db, file.path, { stride: 10, sliceMs: 0 });
  const counting = counts.count({ table: "items", key: "id" });
  counts.close();
  await assert.rejects(counting, { message: 'Counting "items" stopped: the source closed' });
  assert.equal(await openHandlesTo(file.path), 1);
});
