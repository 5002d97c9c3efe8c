import assert from "node:assert/strict";
import { jsonValue } from "../../../lib/export/json_value.ts";

Deno.test("jsonValue() encodes every SQLite value", () => {
  const cases: [unknown, string][] = [
    [null, "null"],
    ["", '""'],
    ['say "hi"\n\u0001', '"say \\"hi\\"\\n\\u0001"'],
    ["café ☕ 🚀", '"café ☕ 🚀"'],
    [0n, "0"],
    [-42n, "-42"],
    [9007199254740991n, "9007199254740991"],
    [-9007199254740991n, "-9007199254740991"],
    [9007199254740992n, '"9007199254740992"'],
    [-9223372036854775808n, '"-9223372036854775808"'],
    [0.1, "0.1"],
    [-0.5, "-0.5"],
    [1e300, "1e+300"],
    [Infinity, '"Infinity"'],
    [-Infinity, '"-Infinity"'],
    [NaN, "null"],
    [new Uint8Array([0, 255, 16]), '{"$base64":true,"encoded":"AP8Q"}'],
    [new Uint8Array(0), '{"$base64":true,"encoded":""}'],
    [true, "true"],
  ];
  for (const [value, json] of cases) {
    assert.equal(jsonValue(value), json, `jsonValue(${String(value)})`);
    JSON.parse(json);
  }
});

Deno.test("jsonValue() rejects values SQLite cannot return", () => {
  assert.throws(() => jsonValue(Symbol("x")), {
    name: "TypeError",
    message: "Cannot encode a value of type symbol as JSON",
  });
  assert.throws(() => jsonValue({}), { name: "TypeError" });
  assert.throws(() => jsonValue(undefined), { name: "TypeError" });
});
