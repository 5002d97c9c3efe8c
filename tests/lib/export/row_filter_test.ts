import assert from "node:assert/strict";
import type { ColumnInfo } from "../../../lib/export/column_kind.ts";
import { parseValue, sqliteKind } from "../../../lib/export/column_kind.ts";
import { formatResumeToken, parseResumeToken } from "../../../lib/export/resume_token.ts";
import { parseRowFilter } from "../../../lib/export/row_filter.ts";
import { parseOrder } from "../../../lib/export/row_order.ts";
import { HttpError } from "../../../lib/http/http_error.ts";
import { quoteItem, splitList } from "../../../lib/export/value_list.ts";

const COLUMNS: ColumnInfo[] = [
  { name: "id", kind: "integer", type: "INTEGER", notNull: true },
  { name: "price", kind: "real", type: "REAL", notNull: true },
  { name: "label", kind: "text", type: "TEXT", notNull: false },
  { name: "we.ird", kind: "text", type: "TEXT", notNull: false },
  { name: "limit", kind: "integer", type: "INT", notNull: false },
];
const filter = (query: string, max?: number) =>
  parseRowFilter(new URLSearchParams(query), COLUMNS, { maxFilters: max });
const is400 = (pattern: RegExp) => (e: unknown) =>
  e instanceof HttpError && e.status === 400 && pattern.test(e.message);

Deno.test("sqliteKind() follows SQLite's affinity rules", () => {
  assert.deepEqual(
    [
      "INT",
      "BIGINT",
      "VARCHAR(9)",
      "CLOB",
      "BLOB",
      "",
      "REAL",
      "DOUBLE",
      "FLOATING POINT",
      "DECIMAL(5)",
      "DATE",
    ]
      .map(sqliteKind),
    [
      "integer",
      "integer",
      "text",
      "text",
      "blob",
      "any",
      "real",
      "real",
      "integer",
      "numeric",
      "numeric",
    ],
  );
});

Deno.test("parseValue() checks a value against its column's kind", () => {
  const [id, price, label] = COLUMNS;
  assert.equal(parseValue(id, "-12"), -12n);
  assert.equal(parseValue(price, "12"), 12);
  assert.equal(parseValue(price, "-Infinity"), -Infinity);
  assert.equal(parseValue(label, ""), "");
  assert.throws(() => parseValue(id, "9223372036854775808"), is400(/64-bit integer/));
  assert.throws(() => parseValue(id, " 1"), is400(/"id" is INTEGER/));
  assert.throws(() => parseValue(price, "0x10"), is400(/"price" is REAL/));
  assert.equal(parseValue(price, "abc", true), "abc"); // a token may name text in a REAL column
});

Deno.test("parseRowFilter() reads operators, not., groups and duplicates", () => {
  const f = filter('price=gt.1&price=lt.5&label=not.is.null&or=(id.eq.1,"we.ird".eq."a,b")');
  assert.deepEqual(
    f.all.map((c) => [c.column.name, c.op, c.not]),
    [["price", "gt", false], ["price", "lt", false], ["label", "is", true]],
  );
  assert.deepEqual(f.any?.map((c) => "value" in c ? c.value : undefined), [1n, "a,b"]);
  // Reserved names are skipped; `and=` reaches a column named like one.
  assert.deepEqual(filter("limit=5&columns=id&and=(limit.gte.2)").all.map((c) => c.column.name), [
    "limit",
  ]);
  assert.deepEqual(filter("label=eq.").all.map((c) => "value" in c && c.value), [""]);
  assert.throws(() => filter("nope=eq.1"), is400(/Unknown column "nope"/));
  assert.throws(() => filter("id=eq.1&id=eq.2&id=eq.3", 2), is400(/At most 2 filters/));
  assert.throws(() => filter("or=(id.eq.1,id.eq.2,id.eq.3)", 2), is400(/At most 2 filters/));
  assert.throws(() => filter(`id=in.(${"1,".repeat(1000)}1)`), is400(/at most 1000 values/));
  assert.throws(() => filter("or=(id.eq.1"), is400(/must be/));
  assert.throws(() => filter("or=(id)"), is400(/is not column.op.value/));
  assert.throws(() => filter("id=eq.1;DROP TABLE items"), is400(/"id" is INTEGER/));
  assert.throws(() => filter('id";DROP TABLE x;--=eq.1'), is400(/Unknown column/));
});

Deno.test("parseOrder() appends the key in the last term's direction and checks names", () => {
  const terms = (raw: string | null) =>
    parseOrder(raw, COLUMNS, "id").map((t) =>
      `${t.column.name}:${t.desc ? "desc" : "asc"}:${t.nullsFirst ? "first" : "last"}`
    );
  assert.deepEqual(terms(null), ["id:asc:last"]);
  assert.deepEqual(terms("price.desc"), ["price:desc:first", "id:desc:first"]);
  assert.deepEqual(terms("label.nullsfirst,price"), [
    "label:asc:first",
    "price:asc:last",
    "id:asc:last",
  ]);
  assert.deepEqual(terms("we.ird.desc.nullslast"), ["we.ird:desc:last", "id:desc:first"]);
  assert.deepEqual(terms('"we.ird"'), ["we.ird:asc:last", "id:asc:last"]);
  assert.deepEqual(terms("id.desc,price"), ["id:desc:first"]); // nothing after the key counts
  assert.throws(() => terms("price,price"), is400(/twice/));
  assert.throws(() => terms("price.sideways"), is400(/unknown column "price.sideways"/));
  assert.throws(() => terms('"price'), is400(/unclosed double quote/));
});

Deno.test("resume tokens: written from a row, read back for the order", () => {
  const order = parseOrder("label.desc,price", COLUMNS, "id");
  const values = ['a,"b"\\', 12.5, 7n];
  const token = formatResumeToken(values);
  assert.equal(token, '"a,\\"b\\"\\\\",12.5,7');
  assert.deepEqual(parseResumeToken(token, order), ['a,"b"\\', 12.5, 7n]);
  assert.deepEqual(parseResumeToken("null,1,2", order), [null, 1, 2n]);
  assert.deepEqual(parseResumeToken('"null",1,2', order), ["null", 1, 2n]);
  assert.equal(formatResumeToken([null, "", "null", new Uint8Array([255])]), 'null,"","null",/w==');
  assert.throws(
    () => parseResumeToken("1,2", order),
    is400(/must hold 3 values, the last row's label,price,id/),
  );
  assert.throws(() => parseResumeToken("a,null,2", order), is400(/"price" is never null/));
  assert.throws(() => parseResumeToken("a,1,2.5", order), is400(/"id" is INTEGER/));
});

Deno.test("value lists: quoting reads back, and bad quoting is a 400", () => {
  for (const text of ["", "null", "a,b", 'say "hi"', "back\\slash", "(x)", "plain text"]) {
    assert.deepEqual(splitList(quoteItem(text), "list"), [{
      text,
      quoted: quoteItem(text) !== text,
    }]);
  }
  assert.throws(() => splitList('"a"b', "list"), is400(/text after a closing quote/));
  assert.throws(() => splitList("a)", "list", true), is400(/unbalanced/));
});
