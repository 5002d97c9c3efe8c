import assert from "node:assert/strict";
import { parse } from "csv-parse/sync";
import { ndjsonErrorRecord, ROW_FORMATS } from "../../../lib/export/row_format.ts";
import { encodeRows } from "../../support/encode_rows.ts";

const columns = ["id", "note", "n", "blob"];
const batches: unknown[][][] = [
  [[1n, 'a, "b"', null, new Uint8Array([1, 2])], [2n, "", 0.5, null]],
  [[3n, "x\ny", 2n ** 60n, null, "ignored trailing key"]],
];

const text = (format: "ndjson" | "csv" | "json", b = batches, bom = false) =>
  encodeRows(format, columns, b, { bom });

Deno.test("rowEncoder() writes NDJSON, one object per line", () => {
  assert.equal(
    text("ndjson"),
    '{"id":1,"note":"a, \\"b\\"","n":null,"blob":{"$base64":true,"encoded":"AQI="}}\n' +
      '{"id":2,"note":"","n":0.5,"blob":null}\n' +
      '{"id":3,"note":"x\\ny","n":"1152921504606846976","blob":null}\n',
  );
  assert.equal(text("ndjson", []), "");
});

Deno.test("rowEncoder() writes CSV with a header and CRLF, readable by csv-parse", () => {
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

Deno.test("rowEncoder() writes one JSON array, valid once complete", () => {
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

Deno.test("rowEncoder() escapes column names", () => {
  const out = encodeRows("ndjson", ['we"ird', "a,b"], [[[1n, 2n]]]);
  assert.equal(out, '{"we\\"ird":1,"a,b":2}\n');
  const csv = encodeRows("csv", ['we"ird', "a,b"], [[[1n, 2n]]]);
  assert.equal(csv, '"we""ird","a,b"\r\n1,2\r\n');
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
