import assert from "node:assert/strict";
import { parse } from "csv-parse/sync";
import { csvField, csvSafeField } from "../../../lib/export/csv_field.ts";

Deno.test("csvField() quotes commas, quotes, CR and LF (RFC 4180 §2.6-2.7)", () => {
  const cases: [unknown, string][] = [
    ["plain", "plain"],
    ["a,b", '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ["two\nlines", '"two\nlines"'],
    ["cr\rlf\r\n", '"cr\rlf\r\n"'],
    [" spaced ", " spaced "],
    ["café ☕", "café ☕"],
    ["", '""'],
    [null, ""],
    [12n, "12"],
    [-9223372036854775808n, "-9223372036854775808"],
    [0.25, "0.25"],
    [1e21, "1e+21"],
    [Infinity, "Infinity"],
    [new Uint8Array([0, 255, 16]), "AP8Q"],
  ];
  for (const [value, field] of cases) assert.equal(csvField(value), field, String(value));
});

Deno.test("csvField() output reads back through csv-parse", () => {
  const values = ["a,b", 'q"uote', "multi\r\nline", "", "x"];
  const line = values.map(csvField).join(",") + "\r\n";
  assert.deepEqual(parse(line), [values]);
});

Deno.test("csvField() rejects values SQLite cannot return", () => {
  assert.throws(() => csvField(undefined), {
    name: "TypeError",
    message: "Cannot encode a value of type undefined as CSV",
  });
});

Deno.test("csvSafeField() puts ' before text that starts a formula (OWASP), not before numbers", () => {
  const cases: [unknown, string][] = [
    ["=1+2", "'=1+2"],
    ["+SUM(A1)", "'+SUM(A1)"],
    ["-2+3", "'-2+3"],
    ["@cmd", "'@cmd"],
    ["\tx", "'\tx"],
    ["\rx", `"'\rx"`],
    ['=HYPERLINK("a")', `"'=HYPERLINK(""a"")"`],
    ["=a,b", `"'=a,b"`],
    ["-", "'-"],
    ["-0x1F", "'-0x1F"],
    ["a=b", "a=b"],
    [" =1", " =1"],
    ["'=1", "'=1"],
    ["-12.5", "-12.5"],
    ["+3e4", "+3e4"],
    ["-.5", "-.5"],
    ["", '""'],
    [null, ""],
    [-3n, "-3"],
    [-0.5, "-0.5"],
    [-Infinity, "-Infinity"],
    [new Uint8Array([0xf8]), "'+A=="],
    [new Uint8Array([0, 255, 16]), "AP8Q"],
    [new Uint8Array(), ""],
  ];
  for (const [value, field] of cases) {
    assert.equal(csvSafeField(value), field, JSON.stringify(String(value)));
  }
  assert.throws(() => csvSafeField(undefined), { name: "TypeError" });
});
