import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { RowCounts } from "../../../../lib/export/sqlite/row_counts.ts";
import { makeExportDb } from "../../../support/export_fixture.ts";

Deno.test("RowCounts caches a count until another connection commits", async () => {
  await using file = await makeExportDb(50, false);
  using reader = new DatabaseSync(file.path, { readOnly: true });
  const counts = new RowCounts(reader);
  assert.equal(counts.get("items"), 50);
  using writer = new DatabaseSync(file.path);
  // Written around the cache's back: only data_version tells.
  writer.exec("DELETE FROM items WHERE id > 40");
  assert.equal(counts.get("items"), 40);
  assert.equal(counts.get("items"), 40);
});
