import assert from "node:assert/strict";
import {
  fileEtag,
  isStrongMatch,
  isWeak,
  isWeakMatch,
  parseEtagList,
} from "../../../lib/http/etag.ts";

Deno.test("fileEtag() is a strong tag of size and mtime in hex", () => {
  const cases: [number, Date | null, string][] = [
    [500, new Date(0), '"1f4-0"'],
    [0, new Date(0), '"0-0"'],
    [1000, new Date("2024-01-02T03:04:05.000Z"), '"3e8-18cc820d888"'],
    [1024 ** 3, new Date(1), '"40000000-1"'],
    [7, null, '"7-0"'],
  ];
  for (const [size, mtime, tag] of cases) {
    assert.equal(fileEtag({ size, mtime }), tag);
  }
});

Deno.test("fileEtag() changes with the size or the mtime, down to the millisecond", () => {
  const base = fileEtag({ size: 10, mtime: new Date(1000) });
  assert.notEqual(fileEtag({ size: 11, mtime: new Date(1000) }), base);
  assert.notEqual(fileEtag({ size: 10, mtime: new Date(1001) }), base);
  assert.equal(fileEtag({ size: 10, mtime: new Date(1000) }), base);
});

Deno.test("isWeak() tells W/ tags apart", () => {
  assert.equal(isWeak('W/"a"'), true);
  assert.equal(isWeak('"a"'), false);
  assert.equal(isWeak('w/"a"'), false); // the W is case-sensitive (RFC 9110 §8.8.3)
});

Deno.test("isStrongMatch() and isWeakMatch() follow the RFC 9110 §8.8.3.2 table", () => {
  // [a, b, strong, weak]
  const table: [string, string, boolean, boolean][] = [
    ['W/"1"', 'W/"1"', false, true],
    ['W/"1"', 'W/"2"', false, false],
    ['W/"1"', '"1"', false, true],
    ['"1"', '"1"', true, true],
    ['"1"', '"2"', false, false],
    ['"1"', '"10"', false, false],
    ['""', '""', true, true],
  ];
  for (const [a, b, strong, weak] of table) {
    assert.equal(isStrongMatch(a, b), strong, `strong ${a} ${b}`);
    assert.equal(isStrongMatch(b, a), strong, `strong ${b} ${a}`);
    assert.equal(isWeakMatch(a, b), weak, `weak ${a} ${b}`);
    assert.equal(isWeakMatch(b, a), weak, `weak ${b} ${a}`);
  }
});

Deno.test("parseEtagList() splits If-Match/If-None-Match values", () => {
  const cases: [string, string[]][] = [
    ["*", ["*"]],
    [" * ", ["*"]],
    ['"a"', ['"a"']],
    ['"a","b"', ['"a"', '"b"']],
    ['"a", W/"b" ,"c"', ['"a"', 'W/"b"', '"c"']],
    ['W/"a", "b,c"', ['W/"a"', '"b,c"']],
    ['""', ['""']],
    ["", []],
    ["garbage", []],
    ["a, b", []],
  ];
  for (const [header, tags] of cases) {
    assert.deepEqual(parseEtagList(header), tags, JSON.stringify(header));
  }
});
