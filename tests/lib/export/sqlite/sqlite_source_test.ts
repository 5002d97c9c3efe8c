import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { SqliteSource } from "../../../../lib/export/sqlite/sqlite_source.ts";
import { makeExportDb, openHandlesTo } from "../../../support/export_fixture.ts";

Deno.test("SqliteSource.openRows() with rows: false counts without opening a read (a HEAD)", async () => {
  await using file = await makeExportDb(30, false);
  const source = new SqliteSource(new DatabaseSync(file.path, { readOnly: true }), file.path);
  try {
    const query = { table: "items", columns: ["id"], key: "id", after: 10n };
    const counted = await source.openRows(query, { count: true, rows: false });
    assert.equal(counted.total, 20);
    // Only the source's own connection: no reader was opened.
    assert.equal(await openHandlesTo(file.path), 1);
    assert.deepEqual(await Array.fromAsync(counted.batches), []);
    const read = await source.openRows(query, { count: true });
    assert.equal(read.total, 20);
    assert.equal(await openHandlesTo(file.path), 2);
    assert.equal((await Array.fromAsync(read.batches)).flat().length, 20);
    assert.equal(await openHandlesTo(file.path), 1);
    // Without a count there is nothing to answer with: the read starts as usual.
    const uncounted = await source.openRows(query, { rows: false });
    assert.equal(uncounted.total, undefined);
    await uncounted.batches.cancel();
  } finally {
    await source.close();
  }
  assert.equal(await openHandlesTo(file.path), 0);
});
