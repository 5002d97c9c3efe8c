import assert from "node:assert/strict";
import { parseRange, type RangeRequest } from "../../../lib/http/range.ts";

const ranges = (...pairs: [number, number][]): RangeRequest => ({
  kind: "ranges",
  ranges: pairs.map(([start, end]) => ({ start, end })),
});
const none = (reason: Extract<RangeRequest, { kind: "none" }>["reason"]): RangeRequest => ({
  kind: "none",
  reason,
});
const unsatisfiable: RangeRequest = { kind: "unsatisfiable" };

/** [header, size, expected] */
const CASES: [string | null, number, RangeRequest][] = [
  [null, 1000, none("absent")],
  // One range of each form (RFC 9110 §14.1.2).
  ["bytes=0-499", 1000, ranges([0, 499])],
  ["bytes=500-999", 1000, ranges([500, 999])],
  ["bytes=0-0", 1000, ranges([0, 0])],
  ["bytes=999-999", 1000, ranges([999, 999])],
  ["bytes=9500-", 10000, ranges([9500, 9999])],
  ["bytes=0-", 1000, ranges([0, 999])],
  ["bytes=-500", 1000, ranges([500, 999])],
  ["bytes=-1", 1000, ranges([999, 999])],
  // Past the end: the last-pos and the suffix are clamped.
  ["bytes=500-5000", 1000, ranges([500, 999])],
  ["bytes=-5000", 1000, ranges([0, 999])],
  ["bytes=0-99999999999999999999", 1000, ranges([0, 999])],
  // The unit is case-insensitive; whitespace around list elements is allowed.
  ["Bytes=0-1", 1000, ranges([0, 1])],
  ["BYTES=0-1", 1000, ranges([0, 1])],
  ["bytes= 0-1 , 5-6 ", 1000, ranges([0, 1], [5, 6])],
  ["bytes=0-1,,5-6", 1000, ranges([0, 1], [5, 6])],
  // Several ranges keep the order asked; overlapping or adjacent ones merge.
  ["bytes=500-599,0-99", 1000, ranges([500, 599], [0, 99])],
  ["bytes=0-99,50-149", 1000, ranges([0, 149])],
  ["bytes=0-99,100-199", 1000, ranges([0, 199])],
  ["bytes=100-199,0-99", 1000, ranges([0, 199])],
  ["bytes=50-55,0-10,5-10,56-60", 1000, ranges([50, 60], [0, 10])],
  ["bytes=0-0,-1", 1000, ranges([0, 0], [999, 999])],
  ["bytes=0-1,1-1", 1000, ranges([0, 1])],
  // An unsatisfiable element among satisfiable ones is dropped.
  ["bytes=2000-,0-1", 1000, ranges([0, 1])],
  // Nothing satisfiable: 416.
  ["bytes=1000-", 1000, unsatisfiable],
  ["bytes=1000-1999", 1000, unsatisfiable],
  ["bytes=5000-,2000-", 1000, unsatisfiable],
  ["bytes=-0", 1000, unsatisfiable],
  // Empty representation: first-pos 0 is past the end; a suffix asks for nothing.
  ["bytes=0-", 0, unsatisfiable],
  ["bytes=0-0", 0, unsatisfiable],
  ["bytes=-0", 0, unsatisfiable],
  ["bytes=-1", 0, none("empty")],
  ["bytes=-100,-5", 0, none("empty")],
  // Malformed: the whole header is ignored.
  ["bytes=5-4", 1000, none("malformed")],
  ["bytes=0-1,5-4", 1000, none("malformed")],
  ["bytes=abc", 1000, none("malformed")],
  ["bytes=a-b", 1000, none("malformed")],
  ["bytes=1-a", 1000, none("malformed")],
  ["bytes=-", 1000, none("malformed")],
  ["bytes=", 1000, none("malformed")],
  ["bytes=,", 1000, none("malformed")],
  ["bytes=1", 1000, none("malformed")],
  ["bytes=1.5-2", 1000, none("malformed")],
  ["bytes=+1-2", 1000, none("malformed")],
  ["bytes=0x1-2", 1000, none("malformed")],
  ["bytes=1 -2", 1000, none("malformed")],
  ["bytes=0-9,x-", 1000, none("malformed")],
  ["bytes", 1000, none("malformed")],
  ["", 1000, none("malformed")],
  ["0-9", 1000, none("malformed")],
  // Another unit: ignored.
  ["items=0-5", 1000, none("unit")],
  ["bytes 0-5=", 1000, none("unit")],
  ["=0-5", 1000, none("malformed")],
  // The sum of the ranges asks for more than the file: the whole file instead.
  ["bytes=0-,0-", 1000, none("oversized")],
  ["bytes=0-999,1-1", 1000, none("oversized")],
  ["bytes=-600,0-500", 1000, none("oversized")],
];

for (const [header, size, expected] of CASES) {
  const verb = expected.kind === "ranges"
    ? "reads"
    : expected.kind === "unsatisfiable"
    ? "finds nothing satisfiable in"
    : "rejects";
  Deno.test(`parseRange() ${verb} ${JSON.stringify(header)} (size ${size})`, () => {
    assert.deepEqual(parseRange(header, size), expected);
  });
}

Deno.test("parseRange() serves 50 ranges and rejects 51 as too many", () => {
  const list = (n: number) => Array.from({ length: n }, (_, i) => `${i * 3}-${i * 3}`).join(",");
  const fifty = parseRange(`bytes=${list(50)}`, 1000);
  assert.equal(fifty.kind, "ranges");
  assert.equal(fifty.kind === "ranges" && fifty.ranges.length, 50);
  assert.deepEqual(parseRange(`bytes=${list(51)}`, 1000), none("too-many"));
});

Deno.test("parseRange() takes maxRanges as an option", () => {
  assert.deepEqual(parseRange("bytes=0-0,2-2,4-4", 10, { maxRanges: 2 }), none("too-many"));
  assert.deepEqual(parseRange("bytes=0-0,2-2", 10, { maxRanges: 2 }), ranges([0, 0], [2, 2]));
});

Deno.test("parseRange() counts ranges before merging them", () => {
  // 51 overlapping ranges would merge into one, but the client still asked for 51.
  const header = `bytes=${Array.from({ length: 51 }, () => "0-0").join(",")}`;
  assert.deepEqual(parseRange(header, 1000), none("too-many"));
});
