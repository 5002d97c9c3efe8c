/**
 * A keyless read (a view) that fails part-way: every row read before the
 * failure is returned, then the failure, wherever the batches were cut. The
 * time slice cuts batches by the machine's load, and the batch that met the
 * failure used to be dropped with the rows it held: under load the suite's
 * "a failing view's NDJSON" test got fewer rows than the failure point.
 */
import assert from "node:assert/strict";
import { TableReader } from "../../../../lib/export/sqlite/table_reader.ts";
import { FAIL_AFTER, makeExportDb } from "../../../support/export_fixture.ts";

Deno.test("a failing view gives every row before the failure, however batches are cut", async () => {
  await using file = await makeExportDb(FAIL_AFTER + 20);
  // sliceMs -1: every batch ends at its 15th row, as on a machine too busy for 20 ms.
  for (const options of [{ sliceMs: -1 }, { batchRows: 7 }, { batchRows: 1000 }]) {
    const reader = new TableReader(file.path, { table: "flaky", columns: ["id", "note"] }, options);
    const ids: number[] = [];
    let failure: unknown;
    try {
      // Bounded: the view has FAIL_AFTER + 20 rows, and every batch has at least one.
      for (let i = 0; i < FAIL_AFTER + 20; i++) {
        const { done, value } = reader.next();
        if (done) break;
        for (const row of value) ids.push(Number(row[0]));
      }
    } catch (error) {
      failure = error;
    } finally {
      reader.return();
    }
    assert.ok(failure instanceof Error, JSON.stringify(options));
    assert.match(failure.message, /Reading "flaky" failed before its last row/);
    assert.equal(ids.length, FAIL_AFTER, JSON.stringify(options));
    assert.deepEqual(ids.slice(-2), [FAIL_AFTER - 1, FAIL_AFTER]);
  }
});
