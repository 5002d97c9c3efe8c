import assert from "node:assert/strict";
import { parse } from "csv-parse/sync";
import { encodeRows } from "../../support/encode_rows.ts";
import {
  checkFilter,
  encodeQueryValue,
  exportUrl,
  filterQuery,
  filterValue,
  formatBytes,
  formatCount,
  formatDuration,
  formatPercent,
  LineSplitter,
  mediaKind,
  operatorsFor,
  orderValue,
  parseCsvRecord,
  parseJsonRow,
  parseListInput,
  quoteListItem,
  RateMeter,
  resumeColumns,
  resumePlan,
  resumeToken,
  RowReader,
  typeFamily,
} from "../../../routes/page/page_logic.js";

/** Rows like the demo table's: quotes, commas, LF, CRLF, non-ASCII, NULL, big integers. */
const ROWS: unknown[][] = Array.from({ length: 40 }, (_, i) => [
  BigInt(i + 1),
  [
    "plain",
    'comma, "quoted"',
    "first line\nsecond",
    "café, 東京 ☕ 🚀\r\nend",
    "",
    '"',
  ][i % 6],
  i % 3 === 0 ? null : i * 0.25,
]);
const COLUMNS = ["id", "note", "price"];

/** The body split into pieces of every size from 1 to 7 characters, in turn. */
function pieces(text: string): string[] {
  const out: string[] = [];
  for (let i = 0, size = 1; i < text.length; i += size, size = size % 7 + 1) {
    out.push(text.slice(i, i + size));
  }
  return out;
}

function readAll(format: "ndjson" | "csv" | "json", text: string, previewRows = 10): RowReader {
  const reader = new RowReader(format, { previewRows });
  for (const piece of pieces(text)) reader.push(piece);
  return reader;
}

Deno.test("formatBytes() uses powers of 1024 with three significant digits", () => {
  const cases: Array<[number, string]> = [
    [0, "0 B"],
    [1023, "1023 B"],
    [1024, "1.00 KiB"],
    [1536, "1.50 KiB"],
    [10 * 1024 + 512, "10.5 KiB"],
    [999 * 1024, "999 KiB"],
    [12.34 * 1024 ** 2, "12.3 MiB"],
    [3 * 1024 ** 3, "3.00 GiB"],
    [2048 * 1024 ** 4, "2048 TiB"],
  ];
  for (const [bytes, text] of cases) assert.equal(formatBytes(bytes), text, String(bytes));
});

Deno.test("formatCount() and formatDuration() read the same in every locale", () => {
  assert.equal(formatCount(0), "0");
  assert.equal(formatCount(1234567), "1,234,567");
  assert.equal(formatCount(12.5), "12.5");
  assert.equal(formatDuration(0), "0 ms");
  assert.equal(formatDuration(41.6), "42 ms");
  assert.equal(formatDuration(999.4), "999 ms");
  assert.equal(formatDuration(1000), "1.0 s");
  assert.equal(formatDuration(59_949), "59.9 s");
  assert.equal(formatDuration(125_000), "2 min 05 s");
});

Deno.test("mediaKind() picks the player or previewer by extension", () => {
  const cases: Array<[string, string]> = [
    ["sample.mp4", "video"],
    ["Clip.WEBM", "video"],
    ["song.flac", "audio"],
    ["poster.png", "image"],
    ["photo.JPEG", "image"],
    ["server.log", "text"],
    ["README.md", "text"],
    ["archive.tar.gz", "file"],
    [".mp4", "file"],
    ["noext", "file"],
  ];
  for (const [name, kind] of cases) assert.equal(mediaKind(name), kind, name);
});

Deno.test("RateMeter reports the rate over its window, not since the start", () => {
  const meter = new RateMeter(1000);
  assert.equal(meter.rate(), 0);
  meter.add(0, 0);
  assert.equal(meter.rate(), 0);
  meter.add(500, 500);
  assert.equal(meter.rate(), 1000);
  meter.add(1000, 1000);
  assert.equal(meter.rate(), 1000);
  // A stall: the last second brought nothing, whatever the average says.
  meter.add(1500, 1000);
  meter.add(2000, 1000);
  assert.equal(meter.rate(), 0);
  // A burst: 3000 in the last half second, over a window anchored 1 s back.
  meter.add(2500, 4000);
  assert.equal(meter.rate(), 3000);
  // Two samples at the same time give no rate rather than Infinity.
  const same = new RateMeter();
  same.add(10, 0);
  same.add(10, 5);
  assert.equal(same.rate(), 0);
});

Deno.test("LineSplitter splits on LF and CRLF across pieces, keeping the tail", () => {
  const splitter = new LineSplitter();
  assert.deepEqual(splitter.push("a\r"), []);
  assert.deepEqual(splitter.push("\nb\n\nc"), ["a", "b", ""]);
  assert.equal(splitter.rest, "c");
  assert.deepEqual(splitter.push("d\r\n"), ["cd"]);
  assert.equal(splitter.rest, "");
});

Deno.test("LineSplitter in CSV mode keeps line breaks inside quoted fields", () => {
  const text = 'id,note\r\n1,"a\r\nb"\r\n2,"say ""hi""\nthere"\r\n3,x\r\n4,"open';
  const expected = ["id,note", '1,"a\r\nb"', '2,"say ""hi""\nthere"', "3,x"];
  for (let size = 1; size <= text.length; size++) {
    const splitter = new LineSplitter({ csv: true });
    const records: string[] = [];
    for (let i = 0; i < text.length; i += size) {
      records.push(...splitter.push(text.slice(i, i + size)));
    }
    assert.deepEqual(records, expected, `pieces of ${size}`);
    assert.equal(splitter.rest, '4,"open', `pieces of ${size}`);
  }
});

Deno.test("parseCsvRecord() unquotes fields as RFC 4180 writes them", () => {
  assert.deepEqual(parseCsvRecord("a,,b"), ["a", "", "b"]);
  assert.deepEqual(parseCsvRecord(""), [""]);
  assert.deepEqual(parseCsvRecord('"x, y","say ""hi""",""'), ["x, y", 'say "hi"', ""]);
  assert.deepEqual(parseCsvRecord('"line\r\nbreak",2,'), ["line\r\nbreak", "2", ""]);
});

Deno.test("parseJsonRow() keeps the exact digits of integers beyond 2^53", () => {
  assert.deepEqual(parseJsonRow('{"id":9007199254740993,"v":1.5,"n":null}'), {
    id: "9007199254740993",
    v: 1.5,
    n: null,
  });
  assert.deepEqual(parseJsonRow('{"id":-9223372036854775808}'), { id: "-9223372036854775808" });
  assert.deepEqual(parseJsonRow('{"id":9007199254740991,"big":1e300}'), {
    id: 9007199254740991,
    big: 1e300,
  });
});

Deno.test("RowReader counts CSV rows like csv-parse does, in pieces of any size", () => {
  const text = encodeRows("csv", COLUMNS, [ROWS.slice(0, 25), ROWS.slice(25)]);
  const records: string[][] = parse(text);
  const reader = readAll("csv", text, 5);
  assert.equal(reader.rows, ROWS.length);
  assert.deepEqual(reader.columns, COLUMNS);
  assert.deepEqual(reader.preview, records.slice(1, 6));
  assert.equal(reader.lastValue("id"), "40");
  assert.equal(reader.lastValue("nope"), undefined);
  assert.equal(reader.incomplete, "");
  // With a byte order mark, the header is still the column names.
  const bom = encodeRows("csv", COLUMNS, [ROWS], { bom: true });
  assert.deepEqual(readAll("csv", bom).columns, COLUMNS);
});

Deno.test("RowReader counts NDJSON rows and keeps the error record apart", () => {
  const text = encodeRows("ndjson", COLUMNS, [ROWS]) +
    '{"$error":{"type":"about:blank","status":500,"title":"Internal Server Error",' +
    '"detail":"The export failed after 40 rows","rows":40,"after":40}}\n{"id":41,"no';
  const reader = readAll("ndjson", text, 3);
  assert.equal(reader.rows, 40);
  assert.deepEqual(reader.columns, COLUMNS);
  assert.deepEqual(reader.preview, [
    [1, "plain", null],
    [2, 'comma, "quoted"', 0.25],
    [3, "first line\nsecond", 0.5],
  ]);
  assert.deepEqual(reader.error, {
    type: "about:blank",
    status: 500,
    title: "Internal Server Error",
    detail: "The export failed after 40 rows",
    rows: 40,
    after: 40,
  });
  assert.equal(reader.lastValue("id"), "40");
  assert.equal(reader.incomplete, '{"id":41,"no');
});

Deno.test("RowReader reads the JSON array one object per line and sees it close", () => {
  const text = encodeRows("json", COLUMNS, [ROWS.slice(0, 3), ROWS.slice(3)]);
  const reader = readAll("json", text, 2);
  assert.equal(reader.rows, 40);
  assert.equal(reader.closed, true);
  assert.deepEqual(JSON.parse(text).length, 40);
  assert.deepEqual(reader.preview, [[1, "plain", null], [2, 'comma, "quoted"', 0.25]]);
  assert.equal(reader.lastValue("id"), "40");
  // Cut before the end: the rows so far count, and it is not closed.
  const cut = readAll("json", text.slice(0, text.indexOf('{"id":7,')));
  assert.equal(cut.rows, 6);
  assert.equal(cut.closed, false);
  assert.equal(cut.lastValue("id"), "6");
  const empty = readAll("json", encodeRows("json", COLUMNS, []));
  assert.equal(empty.rows, 0);
  assert.equal(empty.closed, true);
  assert.equal(empty.lastValue("id"), undefined);
});

Deno.test("RowReader resumes after a big integer key with its exact digits", () => {
  const text = encodeRows("ndjson", ["id"], [[[9007199254740993n]]]);
  assert.equal(readAll("ndjson", text).lastValue("id"), "9007199254740993");
});

Deno.test("RowReader counts /stream-data text lines", () => {
  const text = Array.from({ length: 1000 }, (_, i) => `This is data row number ${i}\n`).join("");
  const lines = new RowReader("text", { previewRows: 1 });
  for (const piece of pieces(text)) lines.push(piece);
  assert.equal(lines.rows, 1000);
  assert.deepEqual(lines.preview, [["This is data row number 0"]]);
  assert.equal(lines.lastRecord, "This is data row number 999");
});

Deno.test("exportUrl() builds the URLs routes/export.ts reads", () => {
  assert.equal(exportUrl({ table: "items", format: "ndjson" }), "/export/items.ndjson");
  assert.equal(
    exportUrl({ table: "items", format: "csv", columns: ["id", "note"], limit: 10, after: "5" }),
    "/export/items.csv?columns=id,note&limit=10&after=5",
  );
  assert.equal(
    exportUrl({ table: "odd.csv", format: "json", columns: ["a b", "c,d"] }),
    "/export/odd.csv.json?columns=a%20b,c%2Cd",
  );
  assert.equal(exportUrl({ table: "t/1", format: "csv", limit: 0 }), "/export/t%2F1.csv?limit=0");
  assert.equal(
    exportUrl({ table: "items", format: "csv", limit: 5, safe: true }),
    "/export/items.csv?limit=5&safe=1",
  );
});

Deno.test("resumePlan() continues after the last row with the rows still owed", () => {
  const plan = { table: "items", format: "csv" as const, columns: ["id"], limit: 100 };
  const next = resumePlan(plan, "1040", 40);
  assert.deepEqual(next, { ...plan, after: "1040", limit: 60 });
  assert.equal(exportUrl(next), "/export/items.csv?columns=id&limit=60&after=1040");
  // A second resume counts from the first resume's limit.
  assert.equal(resumePlan(next, "1100", 60).limit, 0);
  const whole = resumePlan({ table: "items", format: "ndjson" }, "9007199254740993", 3);
  assert.equal(exportUrl(whole), "/export/items.ndjson?after=9007199254740993");
});

Deno.test("typeFamily() reads SQLite declared types by affinity and PostgreSQL type names", () => {
  const cases: Array<[string | undefined, string]> = [
    ["INTEGER", "integer"],
    ["bigint", "integer"],
    ["int8", "integer"],
    ["UNSIGNED BIG INT", "integer"],
    ["REAL", "real"],
    ["double precision", "real"],
    ["numeric", "real"],
    ["DECIMAL(10,5)", "real"],
    ["float8", "real"],
    ["TEXT", "text"],
    ["VARCHAR(255)", "text"],
    ["character varying", "text"],
    ["timestamp without time zone", "timestamp"],
    ["timestamptz", "timestamp"],
    ["date", "timestamp"],
    ["boolean", "boolean"],
    ["BLOB", "blob"],
    ["bytea", "blob"],
    ["", "any"],
    [undefined, "any"],
    ["json", "any"],
    // The server's kinds, as /export/ lists them.
    ["integer", "integer"],
    ["real", "real"],
    ["numeric", "real"],
    ["text", "text"],
    ["blob", "blob"],
    ["any", "any"],
    ["other", "other"],
  ];
  for (const [declared, family] of cases) assert.equal(typeFamily(declared), family, declared);
});

Deno.test("operatorsFor() offers patterns for text only, comparisons for numbers and times", () => {
  const all = ["eq", "neq", "gt", "gte", "lt", "lte", "like", "ilike", "in", "is"];
  const ordered = ["eq", "neq", "gt", "gte", "lt", "lte", "in", "is"];
  assert.deepEqual(operatorsFor("INTEGER"), ordered);
  assert.deepEqual(operatorsFor("REAL"), ordered);
  assert.deepEqual(operatorsFor("timestamp"), ordered);
  assert.deepEqual(operatorsFor("TEXT"), all);
  assert.deepEqual(operatorsFor(undefined), all);
  assert.deepEqual(operatorsFor("bool"), ["eq", "neq", "is"]);
  assert.deepEqual(operatorsFor("BLOB"), ordered);
  assert.deepEqual(operatorsFor("other"), ordered);
  assert.deepEqual(operatorsFor("any"), all);
});

Deno.test("parseListInput() splits at commas and keeps quoted items whole", () => {
  const cases: Array<[string, string[]]> = [
    ["", []],
    ["1", ["1"]],
    ["1, 2,3 ", ["1", "2", "3"]],
    ['"a, b", c', ["a, b", "c"]],
    ['"say ""hi""", x', ['say "hi"', "x"]],
    [String.raw`"back\\slash", "q\\"`, ["back\\slash", "q\\"]],
    ['"  padded  "', ["  padded  "]],
    ["a,,b", ["a", "", "b"]],
    ['""', [""]],
  ];
  for (const [text, items] of cases) assert.deepEqual(parseListInput(text), items, text);
});

Deno.test("quoteListItem() quotes what the in.(…) syntax would read", () => {
  const cases: Array<[string, string]> = [
    ["10", "10"],
    ["café 東京", "café 東京"],
    ["a,b", '"a,b"'],
    ["f(x)", '"f(x)"'],
    ['say "hi"', '"say \\"hi\\""'],
    ["back\\slash", '"back\\\\slash"'],
    [" lead", '" lead"'],
    ["", '""'],
    ["null", '"null"'],
  ];
  for (const [item, quoted] of cases) assert.equal(quoteListItem(item), quoted, item);
});

Deno.test("filterValue() writes PostgREST operators, not. and in lists", () => {
  const cases: Array<[Parameters<typeof filterValue>[0], string]> = [
    [{ column: "price", op: "gt", value: "10" }, "gt.10"],
    [{ column: "price", op: "lte", value: "9.5", not: true }, "not.lte.9.5"],
    [{ column: "label", op: "is", value: "null" }, "is.null"],
    [{ column: "label", op: "is", value: "notnull", not: true }, "not.is.notnull"],
    [{ column: "id", op: "in", value: "1, 2", not: true }, "not.in.(1,2)"],
    [{ column: "label", op: "in", value: '"a,b", c' }, 'in.("a,b",c)'],
    [{ column: "note", op: "ilike", value: "*café*" }, "ilike.*café*"],
    [{ column: "value", op: "eq", value: "" }, "eq."],
  ];
  for (const [filter, value] of cases) assert.equal(filterValue(filter), value);
});

Deno.test("checkFilter() asks for what a row lacks", () => {
  assert.equal(checkFilter({ column: "price", op: "gt", value: "1" }), undefined);
  assert.equal(
    checkFilter({ column: "price", op: "gt", value: "" }),
    "Give price a value to compare with.",
  );
  assert.equal(checkFilter({ column: "label", op: "eq", value: "" }), undefined);
  assert.equal(
    checkFilter({ column: "id", op: "in", value: " " }),
    'Give id at least one value for "in list".',
  );
  assert.equal(
    checkFilter({ column: "x", op: "is", value: "true" }),
    '"is" takes null or notnull.',
  );
  assert.equal(checkFilter({ column: "x", op: "sql", value: "1" }), "Unknown operator sql.");
});

Deno.test("orderValue() leaves .asc out and writes nulls placement", () => {
  assert.equal(
    orderValue([{ column: "price", direction: "desc" }, { column: "id", direction: "asc" }]),
    "price.desc,id",
  );
  assert.equal(
    orderValue([{ column: "label", direction: "asc", nulls: "nullsfirst" }]),
    "label.asc.nullsfirst",
  );
  assert.equal(
    orderValue([{ column: "label", direction: "desc", nulls: "nullslast" }]),
    "label.desc.nullslast",
  );
});

Deno.test("encodeQueryValue() encodes what would change the query's shape, keeps , and : readable", () => {
  assert.equal(encodeQueryValue("in.(1,2)"), "in.(1,2)");
  assert.equal(encodeQueryValue("gte.2026-01-01T00:00:00Z"), "gte.2026-01-01T00:00:00Z");
  assert.equal(encodeQueryValue("eq.a&b=c+d #e%f"), "eq.a%26b%3Dc%2Bd%20%23e%25f");
  assert.equal(encodeQueryValue("like.*café*"), "like.*caf%C3%A9*");
});

Deno.test("exportUrl() puts filters and order in the query, and URLSearchParams reads them back exactly", () => {
  const url = exportUrl({
    table: "items",
    format: "csv",
    columns: ["id", "price"],
    filters: [
      { column: "price", op: "gt", value: "10" },
      { column: "label", op: "is", value: "null" },
      { column: "id", op: "in", value: "1,2", not: true },
      { column: "note", op: "like", value: "a&b=c+d #50% ☕*" },
      { column: "we!rd name&", op: "eq", value: "x" },
    ],
    order: [{ column: "price", direction: "desc" }, { column: "id", direction: "asc" }],
    limit: 10,
  });
  assert.equal(
    url,
    "/export/items.csv?columns=id,price&price=gt.10&label=is.null&id=not.in.(1,2)" +
      "&note=like.a%26b%3Dc%2Bd%20%2350%25%20%E2%98%95*&we!rd%20name%26=eq.x" +
      "&order=price.desc,id&limit=10",
  );
  const params = [...new URL(url, "http://h").searchParams];
  assert.deepEqual(params, [
    ["columns", "id,price"],
    ["price", "gt.10"],
    ["label", "is.null"],
    ["id", "not.in.(1,2)"],
    ["note", "like.a&b=c+d #50% ☕*"],
    ["we!rd name&", "eq.x"],
    ["order", "price.desc,id"],
    ["limit", "10"],
  ]);
  assert.equal(
    exportUrl({ table: "items", format: "ndjson", filters: [], order: [] }),
    "/export/items.ndjson",
  );
});

Deno.test("formatPercent() says 100% only when everything arrived", () => {
  const cases: Array<[number, string]> = [[0, "0%"], [0.426, "42%"], [0.999, "99%"], [1, "100%"], [
    1.2,
    "100%",
  ], [-1, "0%"]];
  for (const [share, text] of cases) assert.equal(formatPercent(share), text, String(share));
});

Deno.test("filterQuery() is the filters' part of the query, for a job's filters field too", () => {
  assert.equal(filterQuery([]), "");
  assert.equal(
    filterQuery([{ column: "price", op: "gte", value: "1.5" }, {
      column: "a&b",
      op: "in",
      value: "x y, z",
      not: true,
    }]),
    "price=gte.1.5&a%26b=not.in.(x%20y,z)",
  );
});

Deno.test("resumeColumns() follows the order to the key, or appends it", () => {
  const asc = (column: string) => ({ column, direction: "asc" as const });
  assert.deepEqual(resumeColumns(undefined, "id"), ["id"]);
  assert.deepEqual(resumeColumns([asc("price")], "id"), ["price", "id"]);
  assert.deepEqual(resumeColumns([asc("price"), asc("id"), asc("label")], "id"), ["price", "id"]);
  assert.deepEqual(resumeColumns([asc("price")], null), []);
});

Deno.test("resumeToken() writes the last row's values as the server reads a token", () => {
  assert.equal(resumeToken([12.5, 1001]), "12.5,1001");
  assert.equal(resumeToken(["a,b", null, "9007199254740993"]), '"a,b",null,9007199254740993');
  assert.equal(
    resumeToken(["", "null", 'say "hi" \\ (x)']),
    String.raw`"","null","say \"hi\" \\ (x)"`,
  );
  assert.equal(resumeToken(["café 東京", 1e300, "Infinity"]), "café 東京,1e+300,Infinity");
});

Deno.test("RowReader.lastValues() gives the last row's values with NULL, numbers and text apart", () => {
  const rows: unknown[][] = [[1n, "x", 1.5], [2n, "", null], [3n, "null", 0.25], [
    4n,
    'a,"b"',
    null,
  ]];
  const columns = ["id", "label", "price"];
  for (const format of ["ndjson", "csv", "json"] as const) {
    const text = encodeRows(format, columns, [rows]);
    const reader = readAll(format, text);
    const last = reader.lastValues(["price", "label", "id"]);
    const expected = format === "csv" ? [null, 'a,"b"', "4"] : [null, 'a,"b"', 4];
    assert.deepEqual(last, expected, format);
    assert.equal(reader.lastValues(["nope"]), undefined, format);
  }
  const csv = readAll("csv", encodeRows("csv", columns, [rows.slice(0, 2)]));
  assert.deepEqual(csv.lastValues(["label", "price"]), ["", null]);
  assert.equal(resumeToken(csv.lastValues(["label", "price", "id"])!), '"",null,2');
});
