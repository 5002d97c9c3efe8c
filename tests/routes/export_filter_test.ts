import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { parse } from "csv-parse/sync";
import { makeExportDb, queryRows, resumeTokenOf } from "../support/export_fixture.ts";
import { startTestServer } from "../support/server.ts";

/**
 * One value of every SQLite storage class in each column, and a NULL row:
 * `i` INTEGER, `r` REAL, `t` TEXT, `b` BLOB, `u` untyped (any class).
 */
const KINDS = `
CREATE TABLE kinds (id INTEGER PRIMARY KEY, i INTEGER, r REAL, t TEXT, b BLOB, u);
INSERT INTO kinds VALUES
  (1, 1, 0.5, 'apple', x'01', 10),
  (2, 2, 1.5, 'Banana', x'02', 'ten'),
  (3, 3, 2.5, 'cherry pie', x'0203', 2.5),
  (4, NULL, NULL, NULL, NULL, NULL),
  (5, -5, -1e300, '50% off_sale', x'', x'00'),
  (6, 9007199254740993, 9e999, 'a,b"c', x'ff', '10');
CREATE TABLE odd_names ("limit" INTEGER, "we.ird" TEXT, "a,b" TEXT);
INSERT INTO odd_names VALUES (1, 'x', 'p'), (2, 'y.z', 'q'), (3, 'x', NULL);
CREATE VIEW kinds_v AS SELECT id, t FROM kinds;
CREATE TABLE big (id INTEGER PRIMARY KEY, v INTEGER);
WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 110000)
INSERT INTO big SELECT i, i % 10 FROM s;
`;

/** One value from a query. */
function queryRowsOf(path: string, sql: string): unknown {
  return Object.values(queryRows(path, sql)[0])[0];
}

/** The server and database every step shares (one of each per file keeps the suite short). */
async function filterServer() {
  const db = await makeExportDb(3000);
  const writer = new DatabaseSync(db.path);
  try {
    writer.exec(KINDS);
  } finally {
    writer.close();
  }
  const server = await startTestServer([
    "--db",
    db.path,
    "--export-max-filters",
    "6",
    // Wide exports of all of items (3,000 rows) fail part-way; narrow ones pass.
    "--export-max-bytes",
    "250000",
  ]);
  const get = (path: string) =>
    fetch(`${server.origin}${path}`, { headers: { "accept-encoding": "identity" } });
  return {
    db,
    server,
    get,
    /** The ids an NDJSON export of `kinds` sends for a query string. */
    async ids(query: string, table = "kinds"): Promise<number[]> {
      const res = await get(`/export/${table}.ndjson?columns=id&${query}`);
      const body = await res.text();
      assert.equal(res.status, 200, `${query}: ${body}`);
      return body.split("\n").filter((l) => l !== "").map((l) => JSON.parse(l).id);
    },
    /** A 400's detail. */
    async refused(query: string, table = "kinds"): Promise<string> {
      const res = await get(`/export/${table}.ndjson?${query}`);
      const body = await res.json();
      assert.equal(res.status, 400, `${query}: ${JSON.stringify(body)}`);
      return body.detail;
    },
    async [Symbol.asyncDispose]() {
      await server[Symbol.asyncDispose]();
      await db[Symbol.asyncDispose]();
    },
  };
}

/** [query, ids] for every operator on every storage class. */
const CASES: [string, number[]][] = [
  // INTEGER
  ["i=eq.2", [2]],
  ["i=neq.2", [1, 3, 5, 6]],
  ["i=gt.2", [3, 6]],
  ["i=gte.2", [2, 3, 6]],
  ["i=lt.2", [1, 5]],
  ["i=lte.2", [1, 2, 5]],
  ["i=in.(1,3,7)", [1, 3]],
  ["i=in.()", []],
  ["i=not.in.(1,3)", [2, 5, 6]],
  ["i=is.null", [4]],
  ["i=is.notnull", [1, 2, 3, 5, 6]],
  ["i=not.is.null", [1, 2, 3, 5, 6]],
  ["i=not.eq.2", [1, 3, 5, 6]],
  ["i=eq.9007199254740993", [6]],
  ["i=gt.-6&i=lt.3", [1, 2, 5]],
  // REAL
  ["r=eq.1.5", [2]],
  ["r=neq.1.5", [1, 3, 5, 6]],
  ["r=gt.1", [2, 3, 6]],
  ["r=gte.Infinity", [6]],
  ["r=lt.0", [5]],
  ["r=lte.0.5", [1, 5]],
  ["r=in.(0.5,2.5)", [1, 3]],
  ["r=is.null", [4]],
  ["r=not.gt.1", [1, 5]],
  ["r=gt.1e299", [6]],
  // TEXT (GLOB for like: case-sensitive, % and _ literal)
  ["t=eq.apple", [1]],
  ["t=neq.apple", [2, 3, 5, 6]],
  ["t=gt.b", [3]],
  ["t=gte.cherry pie", [3]],
  ["t=lt.B", [5]],
  ["t=lte.Banana", [2, 5]],
  ["t=like.*an*", [2]],
  ["t=like.*AN*", []],
  ["t=ilike.*AN*", [2]],
  ["t=like.50%25*", [5]],
  ["t=like.50_*", []],
  ["t=like.*_sale", [5]],
  ["t=ilike.*_SALE", [5]],
  ["t=ilike.50%25*", [5]],
  ["t=ilike.5__*", []],
  ["t=like.a*", [1, 6]],
  ["t=not.like.a*", [2, 3, 5]],
  ["t=like.appl?", []],
  ["t=like.[a]*", []],
  ["t=like.apple", [1]],
  ["t=in.(apple,%22a%2Cb%5C%22c%22)", [1, 6]],
  ["t=is.null", [4]],
  ["t=eq.", []],
  ["t=eq.a%2Cb%22c", [6]],
  // BLOB (base64, as exports write it)
  ["b=eq.AQ==", [1]],
  ["b=neq.AQ==", [2, 3, 5, 6]],
  ["b=gt.AQ==", [2, 3, 6]],
  ["b=lt.Ag==", [1, 5]],
  ["b=eq.", [5]],
  ["b=in.(AQ==,/w==)", [1, 6]],
  ["b=is.null", [4]],
  // untyped: a number is bound as a number, anything else as text
  ["u=eq.10", [1]],
  ["u=eq.ten", [2]],
  ["u=eq.2.5", [3]],
  ["u=gt.5", [1, 2, 5, 6]],
  ["u=like.1*", [1, 6]],
  ["u=is.null", [4]],
  // groups
  ["or=(i.lt.2,t.is.null)", [1, 4, 5]],
  ["or=(t.eq.%22a%2Cb%5C%22c%22,i.in.(2,3))", [2, 3, 6]],
  ["and=(i.gt.1,r.lt.2)", [2]],
  ["i=gt.0&or=(t.like.*e*,b.eq.Ag==)", [1, 2, 3]],
];

/** [query, ids] for orders, NULLs placed as PostgreSQL places them unless asked. */
const ORDERS: [string, number[]][] = [
  ["order=r", [5, 1, 2, 3, 6, 4]],
  ["order=r.desc", [4, 6, 3, 2, 1, 5]],
  ["order=r.desc.nullslast", [6, 3, 2, 1, 5, 4]],
  ["order=r.nullsfirst", [4, 5, 1, 2, 3, 6]],
  ["order=t", [5, 2, 6, 1, 3, 4]],
  ["order=i.nullsfirst.asc", [4, 5, 1, 2, 3, 6]],
  ["order=b.desc", [4, 6, 3, 2, 1, 5]],
  ["order=id.desc", [6, 5, 4, 3, 2, 1]],
  ["order=u", [3, 1, 6, 2, 5, 4]],
  ["order=t.desc&t=is.notnull&limit=2", [3, 1]],
];

Deno.test("filters and orders on every SQLite storage class, through a real socket", async (t) => {
  await using s = await filterServer();

  await t.step("every operator on every storage class", async () => {
    for (const [query, ids] of CASES) assert.deepEqual(await s.ids(query), ids, query);
  });

  await t.step("orders, with NULLs first or last, and the key as the tie-breaker", async () => {
    for (const [query, ids] of ORDERS) assert.deepEqual(await s.ids(query), ids, query);
    // Ties on quantity are broken by the key, in the direction of the last term.
    const rows =
      await (await s.get("/export/items.ndjson?columns=id,quantity&order=quantity.desc&limit=50"))
        .text();
    const parsed = rows.trim().split("\n").map((l) => JSON.parse(l));
    for (let i = 1; i < parsed.length; i++) {
      const [a, b] = [parsed[i - 1], parsed[i]];
      assert.ok(a.quantity > b.quantity || (a.quantity === b.quantity && a.id > b.id));
    }
  });

  await t.step("pieces joined with ?after= tokens equal the whole, for three orders", async () => {
    const orders: [string, string[]][] = [
      ["order=price.desc", ["price", "id"]],
      ["order=label.desc,quantity", ["label", "quantity", "id"]],
      ["order=quantity,label.nullsfirst,note.desc", ["quantity", "label", "note", "id"]],
    ];
    for (const [order, columns] of orders) {
      // A filter: uncounted, and under the 2,500-row cap.
      const q = `${order}&quantity=lt.800&columns=id,${columns.slice(0, -1).join(",")}`;
      const whole = await (await s.get(`/export/items.ndjson?${q}`)).text();
      assert.ok(whole.split("\n").length > 2000, order);
      let joined = "";
      let after: string | undefined;
      for (let i = 0; i < 20; i++) {
        const from = after === undefined ? "" : `&after=${encodeURIComponent(after)}`;
        const res = await s.get(`/export/items.ndjson?${q}&limit=700${from}`);
        assert.equal(res.status, 200, `${order}${from}`);
        const piece = await res.text();
        if (piece === "") break;
        joined += piece;
        const lines = piece.trimEnd().split("\n");
        after = resumeTokenOf(JSON.parse(lines[lines.length - 1]), columns);
      }
      assert.equal(joined, whole, order);
    }
    // CSV: the token from the last CSV row's fields; later pieces repeat the header.
    const q = "order=price.desc&quantity=lt.800&columns=id,price,note";
    const whole = await (await s.get(`/export/items.csv?${q}`)).text();
    let joined = "";
    let after: string | undefined;
    for (let i = 0; i < 20; i++) {
      const from = after === undefined ? "" : `&after=${encodeURIComponent(after)}`;
      const piece = await (await s.get(`/export/items.csv?${q}&limit=900${from}`)).text();
      const rows: string[][] = parse(piece);
      if (rows.length <= 1) break;
      joined += joined === "" ? piece : piece.slice(piece.indexOf("\r\n") + 2);
      const last = rows[rows.length - 1];
      after = `${last[1]},${last[0]}`;
    }
    assert.equal(joined, whole);
  });

  await t.step(
    "a failed ordered export's $error record carries the token to resume with",
    async () => {
      // Wide rows: each piece passes the byte cap part-way, and its record says where to go on.
      const q = "quantity=gte.0&order=label.desc,quantity&columns=id,label,note,value,created_at";
      const ids: number[] = [];
      let after: string | undefined;
      for (let piece = 0; piece < 10; piece++) {
        const from = after === undefined ? "" : `&after=${encodeURIComponent(after)}`;
        const res = await s.get(`/export/items.ndjson?${q}${from}`);
        assert.equal(res.status, 200);
        let text = "";
        const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
        for (let i = 0; i < 10_000; i++) {
          try {
            const { done, value } = await reader.read();
            if (done) break;
            text += value;
          } catch {
            break; // the transfer fails after the record
          }
        }
        const lines = text.trimEnd().split("\n");
        const end = JSON.parse(lines[lines.length - 1]);
        if (end.$error === undefined) {
          ids.push(...lines.map((l) => JSON.parse(l).id));
          break;
        }
        const record = end.$error;
        lines.pop();
        assert.equal(record.status, 413);
        assert.equal(record.rows, lines.length);
        const last = JSON.parse(lines[lines.length - 1]);
        const quantity = Number(
          queryRowsOf(s.db.path, `SELECT quantity FROM items WHERE id = ${last.id}`),
        );
        // What a client holding the last row would write (quantity is not among the columns).
        assert.equal(
          record.after,
          resumeTokenOf({ ...last, quantity }, ["label", "quantity", "id"]),
        );
        assert.ok(
          record.detail.endsWith(`Resume with ?after=${encodeURIComponent(record.after)}.`),
        );
        ids.push(...lines.map((l) => JSON.parse(l).id));
        after = record.after;
      }
      assert.notEqual(after, undefined, "the first piece failed part-way");
      const expected = queryRows(
        s.db.path,
        "SELECT id FROM items ORDER BY label DESC NULLS FIRST, quantity, id",
      ).map((r) => Number(r.id));
      assert.deepEqual(ids, expected);
    },
  );

  await t.step("X-Total-Rows: a filtered count when it visits at most 50,000 rows", async () => {
    const total = async (path: string, method = "GET") => {
      const res = await fetch(`${s.server.origin}${path}`, { method });
      await res.body?.cancel();
      assert.equal(res.status, 200, path);
      return res.headers.get("x-total-rows");
    };
    assert.equal(await total("/export/kinds.csv?i=gt.1"), "3");
    assert.equal(await total("/export/kinds.csv?i=gt.1", "HEAD"), "3");
    assert.equal(await total("/export/items.csv?quantity=lt.100&columns=id"), "300");
    assert.equal(
      await total("/export/items.csv?order=price.desc&after=500.01,2000&columns=id"),
      "1999",
    );
    assert.equal(await total("/export/items.csv?order=price.desc&columns=id&limit=7"), "7");
    // 110,000 rows to check: no count, rather than a count that holds the server.
    assert.equal(await total("/export/big.csv?v=eq.3"), null);
    assert.equal(await total("/export/big.csv?v=eq.3", "HEAD"), null);
    // A limit ends the count early: 10 matches are found within the budget.
    assert.equal(await total("/export/big.csv?v=eq.3&limit=10"), "10");
    // Unfiltered, in any order: the cached count.
    assert.equal(await total("/export/big.csv?order=id.desc"), "110000");
  });

  await t.step("an order no index gives sorts at most 100,000 rows", async () => {
    const refusal =
      'No index gives the order "v", "id", and sorting more than 100000 rows would hold the ' +
      "server; order by id first, or filter the rows down";
    assert.equal(await s.refused("order=v", "big"), refusal);
    assert.equal(await s.refused("order=v&limit=5", "big"), refusal);
    assert.equal(await s.refused("order=v&v=lt.9", "big"), refusal);
    assert.deepEqual(await s.ids("order=v.desc,id&id=lte.100000&limit=3", "big"), [9, 19, 29]);
    assert.deepEqual(
      await s.ids("order=v.desc&id=gt.99990", "big").then((ids) => ids.slice(0, 2)),
      [
        109999,
        109989,
      ],
    );
  });

  await t.step("a view orders and filters, but does not resume", async () => {
    assert.deepEqual(await s.ids("t=like.*e*&order=t.desc", "kinds_v"), [3, 1, 5]);
    assert.match(await s.refused("order=t&after=x", "kinds_v"), /"after" needs an integer key/);
  });

  await t.step(
    "names that are reserved parameters or hold . and , are filtered in groups",
    async () => {
      const rows = async (query: string) =>
        (await (await s.get(`/export/odd_names.csv?${query}`)).text()).split("\r\n").slice(1, -1);
      assert.deepEqual(await rows("and=(limit.eq.2)"), ["2,y.z,q"]);
      assert.deepEqual(await rows("or=(%22we.ird%22.eq.y.z,%22a%2Cb%22.is.null)"), [
        "2,y.z,q",
        "3,x,",
      ]);
      assert.deepEqual(await rows("we.ird=eq.x&order=limit.desc"), ["3,x,", "1,x,p"]);
      assert.deepEqual(await rows("order=%22we.ird%22.desc,%22a%2Cb%22.nullsfirst"), [
        "2,y.z,q",
        "3,x,",
        "1,x,p",
      ]);
      // At the top level `limit` is the row limit, never a filter.
      assert.match(
        await s.refused("limit=eq.2", "odd_names"),
        /"limit" must be a non-negative integer/,
      );
    },
  );

  await t.step("CSV and JSON carry the same filtered rows", async () => {
    const q = "columns=id,t&t=is.notnull&order=t.desc";
    const csv: { id: string }[] = parse(await (await s.get(`/export/kinds.csv?${q}`)).text(), {
      columns: true,
    });
    const json = await (await s.get(`/export/kinds.json?${q}`)).json();
    assert.deepEqual(csv.map((r: { id: string }) => Number(r.id)), [3, 1, 6, 2, 5]);
    assert.deepEqual(json.map((r: { t: string }) => r.t), [
      "cherry pie",
      "apple",
      'a,b"c',
      "Banana",
      "50% off_sale",
    ]);
  });

  await t.step(
    "bad filters are 400 naming the column, its type, or the valid choices",
    async () => {
      const problem = async (query: string) => {
        const res = await s.get(`/export/kinds.ndjson?${query}`);
        assert.equal(res.status, 400, query);
        return await res.json();
      };
      const typed = await problem("i=gt.abc");
      assert.equal(
        typed.detail,
        'Column "i" is INTEGER: the value must be a 64-bit integer; got "abc"',
      );
      assert.equal(typed.column, "i");
      assert.equal(typed.columnType, "INTEGER");
      assert.match((await problem("i=gt.1.5")).detail, /"i" is INTEGER/);
      assert.match((await problem("r=lt.x")).detail, /"r" is REAL: the value must be a number/);
      assert.match(
        (await problem("b=eq.!!")).detail,
        /"b" is BLOB: the value must be standard base64/,
      );
      assert.match((await problem("i=eq.99999999999999999999")).detail, /64-bit integer/);
      const unknown = await problem("nope=eq.1");
      assert.match(
        unknown.detail,
        /^Unknown column "nope" to filter by; valid columns: id, i, r, t, b, u/,
      );
      assert.deepEqual(unknown.valid, ["id", "i", "r", "t", "b", "u"]);
      const op = await problem("i=between.1");
      assert.match(
        op.detail,
        /operator of eq, neq, gt, gte, lt, lte, like, ilike, in, is; got "between.1"/,
      );
      assert.deepEqual(op.valid, [
        "eq",
        "neq",
        "gt",
        "gte",
        "lt",
        "lte",
        "like",
        "ilike",
        "in",
        "is",
      ]);
      assert.match((await problem("i=eq")).detail, /\[not\.\]operator\.value/);
      assert.match(
        (await problem("i=like.1*")).detail,
        /"like" needs a text column; "i" is INTEGER/,
      );
      assert.match((await problem("i=is.nothing")).detail, /takes null or notnull/);
      assert.match((await problem("i=in.1,2")).detail, /takes a list/);
      assert.match((await problem("t=in.(%22a)")).detail, /unclosed double quote/);
      assert.match((await problem("or=i.eq.1")).detail, /"or" group must be/);
      assert.match((await problem("or=(i.eq.1,and(t.eq.x))")).detail, /nested groups/);
      assert.match((await problem("or=(i.eq.1)&or=(i.eq.2)")).detail, /"or" may be given once/);
      assert.match((await problem("order=nope")).detail, /"order" names unknown column "nope"/);
      assert.match((await problem("order=i,i.desc")).detail, /names "i" twice/);
      assert.match((await problem("order=i.up")).detail, /unknown column "i.up"/);
      assert.match((await problem("order=i.asc.desc")).detail, /at most one of each pair/);
      assert.match((await problem("order=")).detail, /empty column name/);
      assert.match((await problem("order=i&order=r")).detail, /"order" may be given once/);
      assert.match(
        (await problem(`t=like.${"x".repeat(257)}`)).detail,
        /pattern is at most 256 characters/,
      );
      assert.match(
        (await problem("i=gt.1&i=gt.2&r=gt.1&u=is.null&order=t,b,u")).detail,
        /At most 6 filters and order columns/,
      );
    },
  );
});
