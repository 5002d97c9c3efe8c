import assert from "node:assert/strict";
import {
  evaluatePreconditions,
  isRangeFresh,
  parseHttpDate,
  type Precondition,
  type Validators,
} from "../../../lib/http/conditional.ts";

const V: Validators = { etag: '"3e8-18cc820d888"', lastModified: Date.UTC(2024, 0, 2, 3, 4, 5) };
const LAST_MODIFIED = "Tue, 02 Jan 2024 03:04:05 GMT";
const EARLIER = "Tue, 02 Jan 2024 03:04:04 GMT";
const LATER = "Tue, 02 Jan 2024 03:04:06 GMT";

Deno.test("parseHttpDate() reads the three HTTP-date forms", () => {
  const at = Date.UTC(1994, 10, 6, 8, 49, 37);
  const now = Date.UTC(2026, 0, 1);
  const cases: [string, number | undefined][] = [
    ["Sun, 06 Nov 1994 08:49:37 GMT", at],
    ["Sunday, 06-Nov-94 08:49:37 GMT", at],
    ["Sun Nov  6 08:49:37 1994", at],
    ["Sun Nov 06 08:49:37 1994", at],
    // RFC 850 years: more than 50 years ahead means the past century.
    ["Tuesday, 02-Jan-24 03:04:05 GMT", Date.UTC(2024, 0, 2, 3, 4, 5)],
    ["Friday, 01-Jan-76 00:00:00 GMT", Date.UTC(2076, 0, 1)],
    ["Thursday, 01-Jan-77 00:00:00 GMT", Date.UTC(1977, 0, 1)],
    ["Tue, 29 Feb 2028 00:00:00 GMT", Date.UTC(2028, 1, 29)],
    ["Sat, 31 Dec 2016 23:59:60 GMT", Date.UTC(2017, 0, 1)],
  ];
  for (const [value, expected] of cases) {
    assert.equal(parseHttpDate(value, now), expected, value);
  }
});

Deno.test("parseHttpDate() rejects what Date.parse would accept but HTTP does not", () => {
  for (
    const value of [
      "0",
      "1",
      "2020",
      "2024-01-02T03:04:05Z",
      "2024-01-02",
      "yesterday",
      "Tue, 02 Jan 2024",
      "Tue, 02 Jan 2024 03:04:05",
      "Tue, 02 Jan 2024 03:04:05 UTC",
      "Tue, 02 Jan 2024 03:04:05 +0000",
      "tue, 02 Jan 2024 03:04:05 GMT",
      "Tue, 02 jan 2024 03:04:05 GMT",
      "Tue, 2 Jan 2024 03:04:05 GMT",
      "Tue,  02 Jan 2024 03:04:05 GMT",
      "Tue, 31 Feb 2024 03:04:05 GMT",
      "Tue, 02 Foo 2024 03:04:05 GMT",
      "Tue, 02 Jan 2024 24:00:00 GMT",
      "Tue, 02 Jan 2024 03:60:00 GMT",
      "",
    ]
  ) {
    assert.equal(parseHttpDate(value), undefined, value);
  }
});

/** [headers, expected] in RFC 9110 §13.2.2 order. */
const PRECONDITIONS: [Record<string, string>, Precondition][] = [
  [{}, "proceed"],
  // 1. If-Match: strong comparison; * matches any current representation.
  [{ "if-match": V.etag }, "proceed"],
  [{ "if-match": `"x", ${V.etag}` }, "proceed"],
  [{ "if-match": "*" }, "proceed"],
  [{ "if-match": '"x"' }, "failed"],
  [{ "if-match": `W/${V.etag}` }, "failed"],
  [{ "if-match": "" }, "failed"],
  // 2. If-Unmodified-Since, only without If-Match.
  [{ "if-unmodified-since": LAST_MODIFIED }, "proceed"],
  [{ "if-unmodified-since": LATER }, "proceed"],
  [{ "if-unmodified-since": EARLIER }, "failed"],
  [{ "if-unmodified-since": "0" }, "proceed"],
  [{ "if-unmodified-since": "2020" }, "proceed"],
  [{ "if-match": V.etag, "if-unmodified-since": EARLIER }, "proceed"],
  [{ "if-match": '"x"', "if-unmodified-since": LATER }, "failed"],
  // 3. If-None-Match: weak comparison.
  [{ "if-none-match": V.etag }, "not-modified"],
  [{ "if-none-match": `W/${V.etag}` }, "not-modified"],
  [{ "if-none-match": `"a", "b", ${V.etag}` }, "not-modified"],
  [{ "if-none-match": "*" }, "not-modified"],
  [{ "if-none-match": '"x"' }, "proceed"],
  [{ "if-none-match": "garbage" }, "proceed"],
  // 4. If-Modified-Since, only without If-None-Match.
  [{ "if-modified-since": LAST_MODIFIED }, "not-modified"],
  [{ "if-modified-since": LATER }, "not-modified"],
  [{ "if-modified-since": EARLIER }, "proceed"],
  [{ "if-modified-since": "2099" }, "proceed"],
  [{ "if-modified-since": "not a date" }, "proceed"],
  [{ "if-none-match": '"x"', "if-modified-since": LATER }, "proceed"],
  [{ "if-none-match": V.etag, "if-modified-since": EARLIER }, "not-modified"],
  // A failed precondition beats a not-modified one.
  [{ "if-match": '"x"', "if-none-match": V.etag }, "failed"],
  [{ "if-unmodified-since": EARLIER, "if-modified-since": LATER }, "failed"],
  [{ "if-match": V.etag, "if-none-match": V.etag }, "not-modified"],
];

for (const [headers, expected] of PRECONDITIONS) {
  Deno.test(`evaluatePreconditions() says ${expected} for ${JSON.stringify(headers)}`, () => {
    assert.equal(evaluatePreconditions(new Headers(headers), V), expected);
  });
}

Deno.test("evaluatePreconditions() compares dates to the whole second", () => {
  // Last-Modified has one-second resolution, so 999 ms later is still "not modified".
  const v = { ...V, lastModified: V.lastModified + 999 };
  assert.equal(
    evaluatePreconditions(new Headers({ "if-modified-since": LAST_MODIFIED }), v),
    "not-modified",
  );
  assert.equal(
    evaluatePreconditions(new Headers({ "if-unmodified-since": LAST_MODIFIED }), v),
    "proceed",
  );
});

Deno.test("isRangeFresh() honours a Range only for a matching validator", () => {
  const now = V.lastModified + 60_000;
  const cases: [string | null, boolean][] = [
    [null, true],
    [V.etag, true],
    [` ${V.etag} `, true],
    [`W/${V.etag}`, false],
    ['"x"', false],
    [LAST_MODIFIED, true],
    [EARLIER, false],
    [LATER, false],
    ["0", false],
    ["", false],
  ];
  for (const [header, fresh] of cases) {
    assert.equal(isRangeFresh(header, V, now), fresh, String(header));
  }
});

Deno.test("isRangeFresh() distrusts a date within a second of Last-Modified", () => {
  // RFC 9110 §8.8.2.2: such a Last-Modified is weak, and If-Range needs a strong validator.
  assert.equal(isRangeFresh(LAST_MODIFIED, V, V.lastModified + 500), false);
  assert.equal(isRangeFresh(LAST_MODIFIED, V, V.lastModified + 1000), true);
  assert.equal(isRangeFresh(V.etag, V, V.lastModified), true);
});
