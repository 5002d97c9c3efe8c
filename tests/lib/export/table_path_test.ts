import assert from "node:assert/strict";
import { splitTableName, tableLink } from "../../../lib/export/table_path.ts";

Deno.test("splitTableName() prefers the table the format's link points at", () => {
  const tables = new Set(["items", "", ".csv", "odd.csv", "a\r\nb", "both", "both.json"]);
  const split = (name: string) => splitTableName(name, (n) => tables.has(n));
  const cases: [string, { table: string; format?: string }][] = [
    ["items", { table: "items" }],
    ["items.csv", { table: "items", format: "csv" }],
    [".csv", { table: "", format: "csv" }],
    [".csv.csv", { table: ".csv", format: "csv" }],
    [".csv.ndjson", { table: ".csv", format: "ndjson" }],
    ["odd.csv", { table: "odd.csv" }],
    ["odd.csv.json", { table: "odd.csv", format: "json" }],
    ["a\r\nb.csv", { table: "a\r\nb", format: "csv" }],
    ["a\r\nb", { table: "a\r\nb" }],
    ["both.json", { table: "both", format: "json" }],
    ["both.json.json", { table: "both.json", format: "json" }],
    // Neither exists: the split, whose table the 404 then names.
    ["nope.csv", { table: "nope", format: "csv" }],
    ["nope", { table: "nope" }],
    ["items.xml", { table: "items.xml" }],
  ];
  for (const [name, expected] of cases) {
    assert.deepEqual(split(name), expected, JSON.stringify(name));
  }
});

Deno.test("tableLink() encodes every character a path segment cannot carry", () => {
  assert.equal(tableLink("items", "csv"), "items.csv");
  assert.equal(tableLink("", "ndjson"), ".ndjson");
  assert.equal(tableLink("a\r\nb", "json"), "a%0D%0Ab.json");
  assert.equal(tableLink("a/b?c#d", "csv"), "a%2Fb%3Fc%23d.csv");
  assert.equal(tableLink("%41", "csv"), "%2541.csv");
});
