import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { pageRows, valueBytes } from "../../../../lib/export/sqlite/page_size.ts";
import { TableReader } from "../../../../lib/export/sqlite/table_reader.ts";
import { makeExportDb } from "../../../support/export_fixture.ts";

const KiB = 1024;

Deno.test("pageRows() fits the budget to the widest row, between 1 and batchRows", () => {
  const cases: [number, number, number, number][] = [
    // batchRows, batchBytes, widest, rows
    [1000, 4096 * KiB, 100, 1000],
    [1000, 4096 * KiB, 1024 * KiB, 4],
    [1000, 4096 * KiB, 4096 * KiB, 1],
    [1000, 4096 * KiB, 50 * 1024 * KiB, 1],
    [1000, 4096 * KiB, 0, 1000],
    [1000, 0, 50 * 1024 * KiB, 1000],
    [10, 256 * KiB, 100 * KiB, 2],
  ];
  for (const [rows, bytes, widest, expected] of cases) {
    assert.equal(pageRows(rows, bytes, widest), expected, `${rows} ${bytes} ${widest}`);
  }
});

Deno.test("valueBytes() counts text and BLOBs, not numbers or NULL", () => {
  assert.equal(valueBytes([1n, "abc", new Uint8Array(2), null, 0.5]), 5);
  assert.equal(valueBytes([]), 0);
});

/** Rows 1–5 and 26–40 hold 10 characters, rows 6–25 100 KiB; `wide_v` is a view of it. */
const WIDE = `
CREATE TABLE wide (id INTEGER PRIMARY KEY, v TEXT);
WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 40)
INSERT INTO wide SELECT i, CASE WHEN i BETWEEN 6 AND 25 THEN hex(zeroblob(51200)) ELSE 'narrow_row' END FROM s;
CREATE VIEW wide_v AS SELECT * FROM wide;
`;

Deno.test("TableReader keeps a batch of wide rows near its byte budget", async () => {
  await using file = await makeExportDb(1, false);
  const writer = new DatabaseSync(file.path);
  try {
    writer.exec(WIDE);
  } finally {
    writer.close();
  }
  const options = { batchRows: 10, batchBytes: 256 * KiB };
  const read = (table: string, key?: string) => {
    const reader = new TableReader(file.path, { table, columns: ["id", "v"], key }, options);
    const batches = [...reader];
    assert.deepEqual(batches.flat().map((row) => Number(row[0])), range(1, 40));
    return batches;
  };
  // Keyed: the first page is sized from the values' lengths (7 rows fit: 5 narrow, 2 wide);
  // each later one from the widest row of the page before (2 of 100 KiB, then 10 narrow).
  const keyed = read("wide", "id");
  assert.deepEqual(keyed.map((b) => b.length), [7, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 10, 3]);
  for (const batch of keyed) assert.ok(batch.map(valueBytes).reduce((a, b) => a + b) <= 256 * KiB);
  // Keyless (a view): a batch ends with the row that passes the budget.
  const keyless = read("wide_v");
  assert.deepEqual(keyless.map((b) => b.length), [8, 3, 3, 3, 3, 3, 10, 7]);
  // Without a budget, rows only.
  const plain = new TableReader(file.path, { table: "wide", columns: ["v"], key: "id" }, {
    batchRows: 10,
    batchBytes: 0,
  });
  assert.deepEqual([...plain].map((b) => b.length), [10, 10, 10, 10]);
});

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}
