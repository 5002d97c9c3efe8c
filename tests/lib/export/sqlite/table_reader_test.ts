import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { parseRowSelection } from "../../../../lib/export/row_selection.ts";
import { TableReader } from "../../../../lib/export/sqlite/table_reader.ts";
import { describeTable } from "../../../../lib/export/table_schema.ts";
import { FAIL_AFTER, makeExportDb, openHandlesTo } from "../../../support/export_fixture.ts";

const ids = (batches: unknown[][][]) => batches.flat().map((row) => Number(row[0]));
const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);

Deno.test("TableReader reads keyed batches in key order, with BigInt integers", async () => {
  await using file = await makeExportDb(2500, false);
  const reader = new TableReader(file.path, {
    table: "items",
    columns: ["id", "value", "label"],
    key: "id",
  }, { batchRows: 1000, count: true });
  assert.equal(reader.total, 2500);
  const batches = [...reader];
  assert.deepEqual(batches.map((b) => b.length), [1000, 1000, 500]);
  assert.deepEqual(ids(batches), range(1, 2500));
  // The key goes after the columns, for paging.
  assert.deepEqual(batches[0][0], [1n, "item_1", "label-1", 1n]);
  assert.deepEqual(batches[0][2], [3n, "item_3", null, 3n]);
  assert.equal(await openHandlesTo(file.path), 0);
});

Deno.test("TableReader resumes after a key and stops at a limit", async () => {
  await using file = await makeExportDb(100, false);
  const read = (after?: bigint, limit?: number) => {
    const reader = new TableReader(
      file.path,
      { table: "items", columns: ["id"], key: "id", after, limit },
      { batchRows: 7, count: true },
    );
    return { total: reader.total, ids: ids([...reader]) };
  };
  assert.deepEqual(read(90n), { total: 10, ids: range(91, 100) });
  assert.deepEqual(read(undefined, 10), { total: 10, ids: range(1, 10) });
  assert.deepEqual(read(95n, 10), { total: 5, ids: range(96, 100) });
  assert.deepEqual(read(100n), { total: 0, ids: [] });
  assert.deepEqual(read(-9223372036854775808n, 0), { total: 0, ids: [] });
  assert.deepEqual(read(-5n, 3), { total: 3, ids: [1, 2, 3] });
});

Deno.test("TableReader reads a view and a WITHOUT ROWID table without a key", async () => {
  await using file = await makeExportDb(10);
  const pairs = [...new TableReader(file.path, { table: "pairs", columns: ["a", "b"] })];
  assert.deepEqual(pairs.flat().map((r) => r.slice(0, 2)), [["a", 9n], ["x", 1n], ["x", 2n]]);
  const limited = new TableReader(file.path, { table: "flaky", columns: ["id"], limit: 4 }, {
    batchRows: 3,
  });
  assert.deepEqual([...limited].map((b) => b.length), [3, 1]);
  assert.equal(await openHandlesTo(file.path), 0);
});

Deno.test("TableReader throws SQLite's error partway through a keyed table", async () => {
  await using file = await makeExportDb(FAIL_AFTER + 500);
  const reader = new TableReader(file.path, {
    table: "failing",
    columns: ["id", "checked"],
    key: "id",
  }, { batchRows: 1000 });
  const seen: number[] = [];
  assert.throws(() => {
    for (const batch of reader) seen.push(...ids([batch]));
  }, { message: "malformed JSON" });
  assert.deepEqual(seen, range(1, FAIL_AFTER));
  assert.equal(await openHandlesTo(file.path), 0);
});

Deno.test("TableReader notices a view that fails partway, which iterate() reports as its end", async () => {
  await using file = await makeExportDb(FAIL_AFTER + 500);
  const seen: number[] = [];
  const reader = new TableReader(file.path, { table: "flaky", columns: ["id", "note"] });
  assert.throws(() => {
    for (const batch of reader) seen.push(...ids([batch]));
  }, { message: 'Reading "flaky" failed before its last row (SQLite\'s error was lost)' });
  assert.deepEqual(seen, range(1, FAIL_AFTER));
  assert.equal(await openHandlesTo(file.path), 0);
});

Deno.test("TableReader closes its connection when returned early or when it cannot start", async () => {
  await using file = await makeExportDb(5000, false);
  const reader = new TableReader(file.path, { table: "items", columns: ["id"], key: "id" });
  reader.next();
  assert.equal(await openHandlesTo(file.path), 1);
  reader.return();
  assert.equal(await openHandlesTo(file.path), 0);
  assert.deepEqual(reader.next(), { done: true, value: undefined });
  assert.throws(
    () => new TableReader(file.path, { table: "items", columns: ["nope"], key: "id" }),
    { message: /^no such column: "nope"/ },
  );
  assert.throws(() => new TableReader(file.path, { table: "items", columns: ["id"], after: 1n }), {
    name: "TypeError",
  });
  assert.equal(await openHandlesTo(file.path), 0);
});

Deno.test("EXPLAIN QUERY PLAN: key and price orders and filters search an index, never sort", async () => {
  await using file = await makeExportDb(2000, false);
  using db = new DatabaseSync(file.path, { readOnly: true });
  const table = describeTable(db, "items");
  const plan = (query: string) => {
    const q = new URLSearchParams(query);
    const selection = parseRowSelection(
      { params: q, order: q.get("order"), after: q.get("after") },
      table,
    );
    const reader = new TableReader(file.path, {
      table: "items",
      columns: ["id", "price", "note"],
      key: "id",
      ...selection,
    });
    const batches = [...reader];
    return { plan: reader.plan, rows: batches.flat().length };
  };
  // Each page searches from where the last one ended: the rowid, or the price index.
  const rowid = "SEARCH items USING INTEGER PRIMARY KEY (rowid>?)";
  assert.deepEqual(plan(""), { plan: [rowid], rows: 2000 });
  assert.deepEqual(plan("after=1500"), { plan: [rowid], rows: 500 });
  assert.deepEqual(plan("id=lt.100"), {
    plan: ["SEARCH items USING INTEGER PRIMARY KEY (rowid>? AND rowid<?)"],
    rows: 99,
  });
  const priceDown = "SEARCH items USING INDEX items_price (price<?)";
  assert.deepEqual(plan("order=price.desc"), { plan: [priceDown], rows: 2000 });
  assert.deepEqual(plan("order=price.desc&after=250.01,1000"), { plan: [priceDown], rows: 999 });
  assert.deepEqual(plan("price=gt.400&order=price"), {
    plan: ["SEARCH items USING INDEX items_price (price>?)"],
    rows: 401,
  });
  assert.deepEqual(plan("price=gt.400"), { plan: [rowid], rows: 401 });
  // A page could not start where the last ended (quantity has no index): one pass, no sort.
  assert.deepEqual(plan("order=quantity&quantity=eq.7"), {
    plan: ["COMPOUND QUERY", "LEFT-MOST SUBQUERY", "SCAN items", "UNION ALL", "SCAN CONSTANT ROW"],
    rows: 2,
  });
  // No index gives this order: one sorted pass (the rows are the same either way).
  const unindexed = plan("order=quantity.desc");
  assert.ok(unindexed.plan.includes("USE TEMP B-TREE FOR ORDER BY"), String(unindexed.plan));
  assert.equal(unindexed.rows, 2000);
});
