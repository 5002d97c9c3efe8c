import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { HttpError } from "../../../lib/http/http_error.ts";
import { describeTable, listTables, pickColumns } from "../../../lib/export/table_schema.ts";
import { makeExportDb } from "../../support/export_fixture.ts";

const ITEM_COLUMNS = ["id", "value", "created_at", "quantity", "price", "note", "label"];

Deno.test("listTables() lists tables and views by name, without sqlite_ tables", async () => {
  await using file = await makeExportDb(3);
  using db = new DatabaseSync(file.path, { readOnly: true });
  assert.deepEqual(listTables(db), [
    { name: "broken", type: "view" },
    { name: "failing", type: "table" },
    { name: "flaky", type: "view" },
    { name: "items", type: "table" },
    { name: "odd.csv", type: "table" },
    { name: "pairs", type: "table" },
    { name: "plain", type: "table" },
    { name: "types", type: "table" },
  ]);
});

Deno.test("describeTable() finds columns and the integer key", async () => {
  await using file = await makeExportDb(3);
  using db = new DatabaseSync(file.path, { readOnly: true });
  assert.deepEqual(describeTable(db, "items"), {
    name: "items",
    type: "table",
    columns: ITEM_COLUMNS,
    key: "id",
    columnInfo: [
      { name: "id", kind: "integer", type: "INTEGER", notNull: true },
      { name: "value", kind: "text", type: "TEXT", notNull: true },
      { name: "created_at", kind: "text", type: "TEXT", notNull: true },
      { name: "quantity", kind: "integer", type: "INTEGER", notNull: true },
      { name: "price", kind: "real", type: "REAL", notNull: true },
      { name: "note", kind: "text", type: "TEXT", notNull: true },
      { name: "label", kind: "text", type: "TEXT", notNull: false },
    ],
  });
  // The rowid key is no column, but it can be filtered and ordered by.
  assert.deepEqual(describeTable(db, "plain"), {
    name: "plain",
    type: "table",
    columns: ["name"],
    key: "rowid",
    columnInfo: [
      { name: "name", kind: "text", type: "TEXT", notNull: false },
      { name: "rowid", kind: "integer", type: "INTEGER", notNull: true },
    ],
  });
  assert.deepEqual(describeTable(db, "types").columnInfo?.map((c) => c.kind), [
    "integer",
    "text",
    "any",
  ]);
  assert.equal(describeTable(db, "pairs").key, undefined); // WITHOUT ROWID
  assert.equal(describeTable(db, "flaky").key, undefined); // a view
  assert.deepEqual(describeTable(db, "failing").columns, ["id", "note", "checked"]);
});

Deno.test("describeTable() keys by the rowid when INTEGER PRIMARY KEY DESC is not its alias", () => {
  using db = new DatabaseSync(":memory:");
  db.exec(`
    CREATE TABLE alias (id INTEGER PRIMARY KEY, v);
    CREATE TABLE ascending (id INTEGER PRIMARY KEY ASC, v);
    CREATE TABLE constraint_desc (id INTEGER, v, PRIMARY KEY (id DESC));
    CREATE TABLE column_desc (id INTEGER PRIMARY KEY DESC, v);
    CREATE TABLE column_desc_not_null (id INTEGER PRIMARY KEY DESC NOT NULL, v);`);
  // SQLite: only the column constraint "INTEGER PRIMARY KEY DESC" is not an alias of the rowid.
  const keys = ["alias", "ascending", "constraint_desc", "column_desc", "column_desc_not_null"]
    .map((name) => describeTable(db, name).key);
  assert.deepEqual(keys, ["id", "id", "id", "rowid", "rowid"]);
});

Deno.test("describeTable() answers 404 listing the valid names", async () => {
  await using file = await makeExportDb(3, false);
  using db = new DatabaseSync(file.path, { readOnly: true });
  for (const name of ["nope", "ITEMS", "sqlite_schema", 'items"; DROP TABLE items; --']) {
    assert.throws(() => describeTable(db, name), (error) => {
      assert.ok(error instanceof HttpError);
      assert.equal(error.status, 404);
      assert.equal(error.message, `No table or view ${JSON.stringify(name)}; valid tables: items`);
      assert.deepEqual(error.extensions, { valid: ["items"] });
      return true;
    });
  }
});

Deno.test("pickColumns() keeps the client's order and checks every name", async () => {
  await using file = await makeExportDb(3);
  using db = new DatabaseSync(file.path, { readOnly: true });
  const items = describeTable(db, "items");
  assert.deepEqual(pickColumns(items, null), ITEM_COLUMNS);
  assert.deepEqual(pickColumns(items, "note,id"), ["note", "id"]);
  assert.deepEqual(pickColumns(describeTable(db, "plain"), "rowid,name"), ["rowid", "name"]);
  const valid = `valid columns: ${ITEM_COLUMNS.join(", ")}`;
  const cases: [string, string][] = [
    ["id,nope", `"columns" names unknown column "nope" for "items"; ${valid}`],
    ["", `"columns" has an empty column name for "items"; ${valid}`],
    ["id,", `"columns" has an empty column name for "items"; ${valid}`],
    ["id,id", `"columns" names column "id" twice for "items"; ${valid}`],
    ["ID", `"columns" names unknown column "ID" for "items"; ${valid}`],
    ["rowid", `"columns" names unknown column "rowid" for "items"; ${valid}`],
  ];
  for (const [requested, message] of cases) {
    assert.throws(() => pickColumns(items, requested), (error) => {
      assert.ok(error instanceof HttpError);
      assert.equal(error.status, 400);
      assert.equal(error.message, message);
      return true;
    });
  }
});
