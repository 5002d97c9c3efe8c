import assert from "node:assert/strict";
import { parse } from "csv-parse/sync";
import { makeExportDb, queryRows } from "../support/export_fixture.ts";
import { startTestServer } from "../support/server.ts";

const ROWS = 5000;
const COLUMNS = ["id", "value", "created_at", "quantity", "price", "note", "label"];
const IDENTITY = { "accept-encoding": "identity" };

/** A server on a fresh database; everything is removed on dispose. */
async function exportServer(rows = ROWS) {
  const db = await makeExportDb(rows);
  const server = await startTestServer(["--db", db.path]);
  return {
    db,
    origin: server.origin,
    server,
    get: (path: string, headers: Record<string, string> = {}) =>
      fetch(`${server.origin}${path}`, { headers: { ...IDENTITY, ...headers } }),
    async [Symbol.asyncDispose]() {
      await server[Symbol.asyncDispose]();
      await db[Symbol.asyncDispose]();
    },
  };
}

/** What node:sqlite itself returns for `items`, as plain objects. */
function expectedItems(path: string, where = "") {
  return queryRows(path, `SELECT * FROM items ${where} ORDER BY id`).map((r) => ({ ...r }));
}

const ndjsonOf = (rows: object[]) => rows.map((r) => JSON.stringify(r) + "\n").join("");

Deno.test("GET /export/items.ndjson sends every row, exactly", async () => {
  await using s = await exportServer();
  const res = await s.get("/export/items.ndjson");
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-type"), "application/x-ndjson");
  assert.equal(res.headers.get("content-disposition"), 'attachment; filename="items.ndjson"');
  assert.equal(res.headers.get("x-total-rows"), String(ROWS));
  assert.equal(
    res.headers.get("access-control-expose-headers"),
    "X-Total-Rows, Content-Disposition",
  );
  assert.equal(res.headers.get("cache-control"), "no-store");
  assert.equal(res.headers.get("x-accel-buffering"), "no");
  // The compression layer's; exports do not vary by Accept when the URL names the format.
  assert.equal(res.headers.get("vary"), "accept-encoding");
  const body = await res.text();
  assert.equal(body, ndjsonOf(expectedItems(s.db.path)));
  assert.equal(
    body.split("\n")[2],
    '{"id":3,"value":"item_3","created_at":"2026-01-01T00:03:00Z","quantity":757,' +
      '"price":0.76,"note":"café, 東京 ☕ 🚀 3\\r\\nend","label":null}',
  );
  await s.server.waitForLog(/GET \/export\/items\.ndjson 200 \d+B .* complete$/);
});

Deno.test("GET /export/items.csv sends RFC 4180 CSV that csv-parse reads back", async () => {
  await using s = await exportServer();
  const res = await s.get("/export/items.csv");
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-type"), "text/csv; charset=utf-8; header=present");
  assert.equal(res.headers.get("content-disposition"), 'attachment; filename="items.csv"');
  const body = await res.text();
  assert.ok(body.startsWith(`${COLUMNS.join(",")}\r\n1,item_1,2026-01-01T00:01:00Z,919,0.26,`));
  assert.ok(
    body.includes(
      '\r\n2,item_2,2026-01-01T00:02:00Z,838,0.51,"first line\nsecond line 2",label-2\r\n',
    ),
  );
  const records = parse(body) as string[][];
  const expected = expectedItems(s.db.path).map((r) =>
    Object.values(r).map((v) => v === null ? "" : String(v))
  );
  assert.deepEqual(records, [COLUMNS, ...expected]);
});

Deno.test("GET /export/items.csv?bom=1 starts with a byte order mark", async () => {
  await using s = await exportServer(3);
  const bytes = new Uint8Array(
    await (await s.get("/export/items.csv?bom=1&limit=1")).arrayBuffer(),
  );
  assert.deepEqual([...bytes.subarray(0, 5)], [0xef, 0xbb, 0xbf, 0x69, 0x64]); // BOM, "id"
  const records = parse(new TextDecoder().decode(bytes), { bom: true }) as string[][];
  assert.deepEqual(records[0], COLUMNS);
  assert.equal(records.length, 2);
  const plain = await (await s.get("/export/items.csv?bom=0&limit=0")).text();
  assert.equal(plain, COLUMNS.join(",") + "\r\n");
});

Deno.test("GET /export/items.json sends one JSON array", async () => {
  await using s = await exportServer();
  const res = await s.get("/export/items.json");
  assert.equal(res.headers.get("content-type"), "application/json");
  assert.equal(res.headers.get("content-disposition"), 'attachment; filename="items.json"');
  const body = await res.text();
  assert.ok(body.startsWith('[\n{"id":1,'));
  assert.ok(body.endsWith('"note":"plain note 5000","label":"label-53"}\n]\n'));
  assert.deepEqual(JSON.parse(body), expectedItems(s.db.path));
  assert.equal(await (await s.get("/export/items.json?limit=0")).text(), "[]\n");
});

Deno.test("exports encode BigInt, REAL edge cases, BLOB and NULL as documented", async () => {
  await using s = await exportServer(1);
  const ndjson = await (await s.get("/export/types.ndjson")).text();
  assert.equal(
    ndjson,
    [
      '{"id":1,"kind":"max safe","v":9007199254740991}',
      '{"id":2,"kind":"above safe","v":"9007199254740993"}',
      '{"id":3,"kind":"int64 min","v":"-9223372036854775808"}',
      '{"id":4,"kind":"real","v":-0.5}',
      '{"id":5,"kind":"big real","v":1e+300}',
      '{"id":6,"kind":"infinity","v":"Infinity"}',
      '{"id":7,"kind":"minus infinity","v":"-Infinity"}',
      '{"id":8,"kind":"blob","v":{"$base64":true,"encoded":"AP8Q"}}',
      '{"id":9,"kind":"empty blob","v":{"$base64":true,"encoded":""}}',
      '{"id":10,"kind":"empty text","v":""}',
      '{"id":11,"kind":"null","v":null}',
      '{"id":12,"kind":"text","v":"tab\\tand \\"quote\\", comma"}',
      "",
    ].join("\n"),
  );
  const csv = await (await s.get("/export/types.csv")).text();
  assert.equal(
    csv,
    [
      "id,kind,v",
      "1,max safe,9007199254740991",
      "2,above safe,9007199254740993",
      "3,int64 min,-9223372036854775808",
      "4,real,-0.5",
      "5,big real,1e+300",
      "6,infinity,Infinity",
      "7,minus infinity,-Infinity",
      "8,blob,AP8Q",
      "9,empty blob,",
      '10,empty text,""',
      "11,null,",
      '12,text,"tab\tand ""quote"", comma"',
      "",
    ].join("\r\n"),
  );
  const json = JSON.parse(await (await s.get("/export/types.json")).text());
  assert.deepEqual(json.map((r: { v: unknown }) => r.v), [
    9007199254740991,
    "9007199254740993",
    "-9223372036854775808",
    -0.5,
    1e300,
    "Infinity",
    "-Infinity",
    { $base64: true, encoded: "AP8Q" },
    { $base64: true, encoded: "" },
    "",
    null,
    'tab\tand "quote", comma',
  ]);
});

Deno.test("?columns, ?limit and ?after pick what an export holds", async () => {
  await using s = await exportServer();
  const res = await s.get("/export/items.ndjson?columns=note,id&after=4000&limit=3");
  assert.equal(res.headers.get("x-total-rows"), "3");
  assert.equal(
    await res.text(),
    '{"note":"comma, \\"quoted\\" note 4001","id":4001}\n' +
      '{"note":"first line\\nsecond line 4002","id":4002}\n' +
      '{"note":"café, 東京 ☕ 🚀 4003\\r\\nend","id":4003}\n',
  );
  const tail = await s.get("/export/items.csv?columns=value&after=4998");
  assert.equal(tail.headers.get("x-total-rows"), "2");
  assert.equal(await tail.text(), "value\r\nitem_4999\r\nitem_5000\r\n");
  const past = await s.get("/export/items.json?after=9999");
  assert.equal(past.headers.get("x-total-rows"), "0");
  assert.equal(await past.text(), "[]\n");
  const rowid = await s.get("/export/plain.csv?columns=rowid,name&after=1");
  assert.equal(await rowid.text(), "rowid,name\r\n2,second\r\n");
});

Deno.test("keyset resume: pieces joined with ?after equal the whole export", async () => {
  await using s = await exportServer();
  const whole = await (await s.get("/export/items.ndjson")).text();
  let joined = "";
  let after: number | undefined;
  for (let piece = 0; piece < 100; piece++) {
    const query = `limit=777${after === undefined ? "" : `&after=${after}`}`;
    const text = await (await s.get(`/export/items.ndjson?${query}`)).text();
    if (text === "") break;
    joined += text;
    after = JSON.parse(text.trimEnd().split("\n").at(-1)!).id;
  }
  assert.equal(joined, whole);
});

Deno.test("keyset resume after a dropped connection loses and repeats nothing", async () => {
  await using s = await exportServer(60_000);
  const whole = await (await s.get("/export/items.ndjson")).text();
  const controller = new AbortController();
  const res = await fetch(`${s.origin}/export/items.ndjson`, {
    headers: IDENTITY,
    signal: controller.signal,
  });
  const reader = res.body!.getReader();
  let received = "";
  for (let i = 0; i < 3; i++) received += new TextDecoder().decode((await reader.read()).value);
  controller.abort();
  await reader.closed.catch(() => {});
  // Keep the complete lines; the last one tells where to resume.
  const kept = received.slice(0, received.lastIndexOf("\n") + 1);
  const lastId = JSON.parse(kept.trimEnd().split("\n").at(-1)!).id;
  assert.ok(lastId > 0 && lastId < 60_000);
  const rest = await (await s.get(`/export/items.ndjson?after=${lastId}`)).text();
  assert.equal(kept + rest, whole);
});

Deno.test("/export/{table} negotiates the format by ?format= or Accept", async () => {
  await using s = await exportServer(2);
  const cases: [string, Record<string, string>, string][] = [
    ["/export/items", {}, "application/x-ndjson"],
    ["/export/items", { accept: "*/*" }, "application/x-ndjson"],
    ["/export/items", { accept: "text/csv" }, "text/csv; charset=utf-8; header=present"],
    ["/export/items", { accept: "application/json, text/csv;q=0.5" }, "application/json"],
    ["/export/items", { accept: "application/jsonl" }, "application/x-ndjson"],
    [
      "/export/items?format=csv",
      { accept: "application/json" },
      "text/csv; charset=utf-8; header=present",
    ],
    ["/export/items.json?format=json", {}, "application/json"],
  ];
  for (const [path, headers, type] of cases) {
    const res = await s.get(path, headers);
    assert.equal(res.status, 200, path);
    assert.equal(res.headers.get("content-type"), type, `${path} ${JSON.stringify(headers)}`);
    await res.body?.cancel();
  }
  const negotiated = await s.get("/export/items", { accept: "text/csv" });
  // Vary: Accept is ours; the compression layer leaves out its own for a body this short.
  assert.equal(negotiated.headers.get("vary"), "accept");
  assert.equal(negotiated.headers.get("content-disposition"), 'attachment; filename="items.csv"');
  await negotiated.body?.cancel();
  const refused = await s.get("/export/items", { accept: "image/png" });
  assert.equal(refused.status, 406);
  assert.equal(
    (await refused.json()).detail,
    "Exports are available as application/x-ndjson, text/csv or application/json",
  );
});

Deno.test("a table whose name ends like a format is found by its full name first", async () => {
  await using s = await exportServer(1);
  const asNdjson = await s.get("/export/odd.csv");
  assert.equal(asNdjson.headers.get("content-type"), "application/x-ndjson");
  assert.equal(await asNdjson.text(), '{"id":1,"x":"odd"}\n');
  const asCsv = await s.get("/export/odd.csv.csv");
  assert.equal(asCsv.headers.get("content-disposition"), 'attachment; filename="odd.csv.csv"');
  assert.equal(await asCsv.text(), "id,x\r\n1,odd\r\n");
});

Deno.test("views and WITHOUT ROWID tables export without a row count", async () => {
  await using s = await exportServer(3);
  const view = await s.get("/export/flaky.csv");
  assert.equal(view.headers.get("x-total-rows"), null);
  assert.equal(
    await view.text(),
    'id,note\r\n1,"comma, ""quoted"" note 1"\r\n2,"first line\nsecond line 2"\r\n' +
      '3,"café, 東京 ☕ 🚀 3\r\nend"\r\n',
  );
  const pairs = await s.get("/export/pairs.csv");
  assert.equal(pairs.headers.get("x-total-rows"), "3");
  assert.equal(await pairs.text(), "a,b\r\na,9\r\nx,1\r\nx,2\r\n");
});

Deno.test("HEAD /export/items.csv answers the headers and the count without a body", async () => {
  await using s = await exportServer();
  const res = await fetch(`${s.origin}/export/items.csv?after=100`, { method: "HEAD" });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("x-total-rows"), String(ROWS - 100));
  assert.equal(res.headers.get("content-type"), "text/csv; charset=utf-8; header=present");
  assert.equal(await res.text(), "");
});

Deno.test("exports compress when the client asks, to the same rows", async () => {
  await using s = await exportServer(2000);
  const plain = await (await s.get("/export/items.ndjson")).text();
  const res = await fetch(`${s.origin}/export/items.ndjson`, {
    headers: { "accept-encoding": "gzip" },
  });
  assert.equal(res.headers.get("content-encoding"), "gzip");
  assert.equal(await res.text(), plain);
});

Deno.test("bad export requests get 4xx problems that name the valid choices", async () => {
  await using s = await exportServer(2);
  const tables = "broken, failing, flaky, items, odd.csv, pairs, plain, types";
  const columns = "id, value, created_at, quantity, price, note, label";
  const cases: [string, number, string][] = [
    ["/export/nope.csv", 404, `No table or view "nope"; valid tables: ${tables}`],
    ["/export/nope", 404, `No table or view "nope"; valid tables: ${tables}`],
    [
      "/export/items.csv?columns=id,secret",
      400,
      `"columns" names unknown column "secret" for "items"; valid columns: ${columns}`,
    ],
    [
      "/export/items.csv?columns=",
      400,
      `"columns" has an empty column name for "items"; valid columns: ${columns}`,
    ],
    [
      "/export/items.csv?columns=id,id",
      400,
      `"columns" names column "id" twice for "items"; valid columns: ${columns}`,
    ],
    ["/export/items.csv?limit=-1", 400, '"limit" must be a non-negative integer; got "-1"'],
    ["/export/items.csv?limit=ten", 400, '"limit" must be a non-negative integer; got "ten"'],
    ["/export/items.csv?after=1.5", 400, '"after" must be a 64-bit integer id; got "1.5"'],
    [
      "/export/items.csv?after=9223372036854775808",
      400,
      '"after" must be a 64-bit integer id; got "9223372036854775808"',
    ],
    ["/export/flaky.csv?after=1", 400, '"after" needs an integer key, and view "flaky" has none'],
    ["/export/pairs.csv?after=1", 400, '"after" needs an integer key, and table "pairs" has none'],
    ["/export/items.csv?bom=yes", 400, '"bom" must be 0 or 1; got "yes"'],
    ["/export/items?format=xml", 400, '"format" must be ndjson, csv or json; got "xml"'],
    ["/export/items.csv?format=json", 400, '"format=json" conflicts with the .csv extension'],
    ["/export/%E0%A4%A", 400, 'Cannot decode the table name "%E0%A4%A"'],
  ];
  for (const [path, status, detail] of cases) {
    const res = await s.get(path);
    assert.equal(res.status, status, path);
    assert.equal(res.headers.get("content-type"), "application/problem+json", path);
    const problem = await res.json();
    assert.equal(problem.detail, detail, path);
    assert.equal(problem.status, status);
  }
  const problem = await (await s.get("/export/items.csv?columns=x")).json();
  assert.deepEqual(problem.valid, columns.split(", "));
});

Deno.test("GET /export-data sends the seed's {id, value} lines for every item", async () => {
  await using s = await exportServer(1200);
  const res = await s.get("/export-data");
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-type"), "application/x-ndjson");
  assert.equal(res.headers.get("x-total-rows"), "1200");
  assert.equal(res.headers.get("content-disposition"), null);
  const expected = Array.from(
    { length: 1200 },
    (_, i) => `{"id":${i + 1},"value":"item_${i + 1}"}\n`,
  );
  assert.equal(await res.text(), expected.join(""));
});

Deno.test("GET /export/ lists tables with row counts, as JSON or HTML", async () => {
  await using s = await exportServer(42);
  const json = await s.get("/export/", { accept: "application/json" });
  assert.equal(json.headers.get("vary"), "accept, accept-encoding");
  const { tables } = await json.json();
  const items = tables.find((t: { name: string }) => t.name === "items");
  assert.deepEqual(items, {
    name: "items",
    type: "table",
    rows: 42,
    key: "id",
    columns: COLUMNS,
    types: {
      id: "integer",
      value: "text",
      created_at: "text",
      quantity: "integer",
      price: "real",
      note: "text",
      label: "text",
    },
    links: { ndjson: "items.ndjson", csv: "items.csv", json: "items.json" },
  });
  assert.deepEqual(
    tables.map((t: { name: string; rows: number | null }) => [t.name, t.rows]),
    [
      ["broken", null],
      ["failing", 42],
      ["flaky", null],
      ["items", 42],
      ["odd.csv", 1],
      ["pairs", 3],
      ["plain", 2],
      ["types", 12],
    ],
  );
  const html = await s.get("/export/", { accept: "text/html" });
  assert.equal(html.headers.get("content-type"), "text/html; charset=utf-8");
  const page = await html.text();
  assert.ok(
    page.includes(
      '<tr><td>items</td><td>table</td><td>42</td><td><a href="items.ndjson">ndjson</a> ' +
        '<a href="items.csv">csv</a> <a href="items.json">json</a></td></tr>',
    ),
  );
  assert.ok(page.includes('<a href="odd.csv.csv">csv</a>'));
  const moved = await fetch(`${s.origin}/export`, { redirect: "manual" });
  assert.equal(moved.status, 301);
  assert.equal(moved.headers.get("location"), "/export/");
  await moved.body?.cancel();
});
