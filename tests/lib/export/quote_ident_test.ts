import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { quoteIdent } from "../../../lib/export/quote_ident.ts";
import { checkQuery } from "../../../lib/export/export_source.ts";

Deno.test("quoteIdent() keeps odd names intact through SQLite", () => {
  using db = new DatabaseSync(":memory:");
  for (const name of ['we"ird', "odd.csv", "a b", '"', "select", "名前"]) {
    db.exec(`CREATE TABLE ${quoteIdent(name)} (${quoteIdent(name)} TEXT)`);
    const found = db.prepare("SELECT name FROM pragma_table_info(?)").get(name) as { name: string };
    assert.equal(found.name, name);
  }
  assert.equal(quoteIdent('we"ird'), '"we""ird"');
});

Deno.test("checkQuery() refuses `after` without a key", () => {
  assert.throws(
    () => checkQuery({ table: "v", columns: ["a"], after: 1n }),
    { name: "TypeError", message: "Cannot read v after a key: it has none" },
  );
  checkQuery({ table: "t", columns: ["a"], key: "id", after: 1n });
  checkQuery({ table: "v", columns: ["a"] });
});
