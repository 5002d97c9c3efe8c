import assert from "node:assert/strict";
import { parse } from "csv-parse/sync";
import { ndjsonErrorRecord, ROW_FORMATS, serializeRows } from "../../../lib/export/row_format.ts";

const columns = ["id", "note", "n", "blob"];
const batches: unknown[][][] = [
  [[1n, 'a, "b"', null, new Uint8Array([1, 2])], [2n, "", 0.5, null]],
  [[3n, "x\ny", 2n ** 60n, null, "ignored trailing key"]],
];

const text = (format: "ndjson" | "csv" | "json", b = batches, bom = false) =>
  [...serializeRows(format, columns, b, { bom })].join("");

Deno.test("serializeRows() writes NDJSON, one object per line", () => {
  assert.equal(
    text("ndjson"),
    '{"id":1,"note":"a, \\"b\\"","n":null,"blob":{"$base64":true,"encoded":"AQI="}}\n' +
      '{"id":2,"note":"","n":0.5,"blob":null}\n' +
      '{"id":3,"note":"x\\ny","n":"1152921504606846976","blob":null}\n',
  );
  assert.equal(text("ndjson", []), "");
});

Deno.test("serializeRows() writes CSV with a header and CRLF, readable by csv-parse", () => {
  const csv = text("csv");
  assert.equal(
    csv,
    "id,note,n,blob\r\n" +
      '1,"a, ""b""",,AQI=\r\n' +
      '2,"",0.5,\r\n' +
      '3,"x\ny",1152921504606846976,\r\n',
  );
  assert.deepEqual(parse(csv), [
    ["id", "note", "n", "blob"],
    ["1", 'a, "b"', "", "AQI="],
    ["2", "", "0.5", ""],
    ["3", "x\ny", "1152921504606846976", ""],
  ]);
  assert.equal(text("csv", []), "id,note,n,blob\r\n");
  assert.equal(text("csv", [], true), "\uFEFFid,note,n,blob\r\n");
});

Deno.test("serializeRows() writes one JSON array, valid once complete", () => {
  const json = text("json");
  assert.equal(
    json,
    '[\n{"id":1,"note":"a, \\"b\\"","n":null,"blob":{"$base64":true,"encoded":"AQI="}},\n' +
      '{"id":2,"note":"","n":0.5,"blob":null},\n' +
      '{"id":3,"note":"x\\ny","n":"1152921504606846976","blob":null}\n]\n',
  );
  assert.equal(JSON.parse(json).length, 3);
  assert.equal(text("json", []), "[]\n");
  assert.deepEqual(JSON.parse(text("json", [[], []])), []);
});

Deno.test("serializeRows() escapes column names", () => {
  const out = [...serializeRows("ndjson", ['we"ird', "a,b"], [[[1n, 2n]]])].join("");
  assert.equal(out, '{"we\\"ird":1,"a,b":2}\n');
  const csv = [...serializeRows("csv", ['we"ird', "a,b"], [[[1n, 2n]]])].join("");
  assert.equal(csv, '"we""ird","a,b"\r\n1,2\r\n');
});

Deno.test("serializeRows() returns its source when it stops early", () => {
  let returned = false;
  const source = {
    [Symbol.iterator]() {
      return this;
    },
    next: () => ({ done: false as const, value: [[1n, "a", null, null]] }),
    return() {
      returned = true;
      return { done: true as const, value: undefined };
    },
  };
  const it = serializeRows("csv", columns, source);
  it.next();
  it.next();
  it.return();
  assert.equal(returned, true);
});

Deno.test("ROW_FORMATS has the content types", () => {
  assert.equal(ROW_FORMATS.ndjson.contentType, "application/x-ndjson");
  assert.equal(ROW_FORMATS.csv.contentType, "text/csv; charset=utf-8; header=present");
  assert.equal(ROW_FORMATS.json.contentType, "application/json");
});

Deno.test("ndjsonErrorRecord() is one line with only $error", () => {
  const line = ndjsonErrorRecord({ status: 500, title: "Internal Server Error", detail: "x" });
  assert.equal(
    line,
    '{"$error":{"type":"about:blank","status":500,"title":"Internal Server Error","detail":"x"}}\n',
  );
});
