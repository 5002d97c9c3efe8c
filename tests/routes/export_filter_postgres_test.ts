/**
 * Filters, orders and resume tokens with `--database-url` (issue 15): the
 * same bytes as SQLite for the same data and query, PostgreSQL's own types
 * (timestamps, numeric, boolean, uuid, bytea), and values PostgreSQL would
 * refuse answered with 400 before any SQL runs, never a database error.
 * Skipped, with the reason printed, when PostgreSQL is not installed.
 */

import assert from "node:assert/strict";
import { resumeTokenOf } from "../support/export_fixture.ts";
import { startPgCluster } from "../support/postgres.ts";
import { sqliteBesidePostgres } from "../support/postgres_fixture.ts";

const ROWS = 3000;
const cluster = await startPgCluster("export_filter_postgres_test");
const ignore = cluster === undefined;

/**
 * Queries on the demo's items: an integer (id, quantity), a real (price),
 * text (value, created_at, note with CR/LF and non-ASCII) and a column with
 * NULLs (label); price = (id % 10000) × 0.25 + 0.01.
 */
const SAME: string[] = [
  "price=gt.700",
  "price=lt.100&order=price",
  "price=lte.100.01&order=price.desc",
  "price=gte.10&price=lt.10.5&order=price.desc,quantity",
  "quantity=in.(1,2,3,500)",
  "quantity=not.in.(1,2)&quantity=lt.10",
  "quantity=eq.7&order=label.nullsfirst",
  "label=is.null&order=quantity.desc",
  "label=not.is.null&label=like.label-1*",
  "label=is.notnull&order=label.desc,price",
  "note=like.*café*&limit=20",
  "note=like.*%0D%0A*&order=note.desc&limit=30",
  "note=ilike.*PLAIN NOTE 1*",
  "note=ilike.*CAFÉ*",
  "note=like.*%25*",
  "note=like.*_*",
  "value=gte.item_2990",
  "value=in.(item_1,item_2,%22item_3%22)",
  "value=neq.item_1&value=lt.item_11",
  "or=(quantity.lt.10,label.is.null)&order=price.desc,id&limit=200",
  "and=(quantity.gt.990,label.eq.label-5)",
  "created_at=gte.2026-01-02T23:00:00Z&order=created_at.desc",
  "id=not.in.(1,2)&limit=10&order=label.nullsfirst",
  "id=gt.2990&order=id.desc",
  "id=lte.5&after=2",
  "quantity=lt.300&order=quantity,label.nullsfirst,note.desc&limit=100",
];

Deno.test({
  name: "filters and orders export the same bytes from PostgreSQL as from SQLite",
  ignore,
  async fn() {
    await using s = await sqliteBesidePostgres(cluster!, ROWS);
    for (const query of SAME) {
      for (const format of ["ndjson", "csv"]) {
        const path = `/export/items.${format}?${query}`;
        const [pg, lite] = await Promise.all([s.getPg(path), s.getLite(path)]);
        const [pgBody, liteBody] = await Promise.all([pg.text(), lite.text()]);
        assert.equal(lite.status, 200, `${path}: ${liteBody}`);
        assert.equal(pg.status, 200, `${path}: ${pgBody}`);
        assert.equal(pgBody, liteBody, path);
        // PostgreSQL counts every export in its snapshot; SQLite only when the count visits at
        // most 50,000 rows. Where both count, they agree, and they match the rows sent.
        const rows = format === "ndjson"
          ? pgBody.split("\n").length - 1
          : Number(pg.headers.get("x-total-rows"));
        assert.equal(pg.headers.get("x-total-rows"), String(rows), path);
        const counted = lite.headers.get("x-total-rows");
        if (counted !== null) assert.equal(counted, String(rows), path);
      }
    }
    // Not everything above is empty: the comparisons compared rows.
    const some = await (await s.getPg("/export/items.ndjson?price=lt.100&order=price")).text();
    assert.equal(some.split("\n").length - 1, 399); // ids 1–399
  },
});

Deno.test({
  name: "resume tokens on PostgreSQL: pieces joined with ?after= equal the whole, for three orders",
  ignore,
  async fn() {
    await using s = await sqliteBesidePostgres(cluster!, ROWS);
    const orders: [string, string[]][] = [
      ["order=price.desc", ["price", "id"]],
      ["order=label.desc,quantity", ["label", "quantity", "id"]],
      ["order=quantity,label.nullsfirst,note.desc", ["quantity", "label", "note", "id"]],
    ];
    for (const [order, columns] of orders) {
      const q = `${order}&quantity=lt.800`;
      const whole = await (await s.getPg(`/export/items.ndjson?${q}`)).text();
      assert.equal(whole, await (await s.getLite(`/export/items.ndjson?${q}`)).text(), order);
      assert.ok(whole.split("\n").length > 2000, order);
      let joined = "";
      let after: string | undefined;
      for (let i = 0; i < 20; i++) {
        const from = after === undefined ? "" : `&after=${encodeURIComponent(after)}`;
        const res = await s.getPg(`/export/items.ndjson?${q}&limit=700${from}`);
        const piece = await res.text();
        assert.equal(res.status, 200, `${order}${from}: ${piece}`);
        if (piece === "") break;
        joined += piece;
        const lines = piece.trimEnd().split("\n");
        const last = JSON.parse(lines[lines.length - 1]);
        // The key and order columns are exported, so the token comes from the row itself.
        after = resumeTokenOf(last, columns);
      }
      assert.equal(joined, whole, order);
    }
  },
});

/** [query, ids] on the fixture's `kinds` table (rows 1 and 2 hold values, row 3 NULLs). */
const KINDS: [string, number[]][] = [
  ["stamp=gt.2000-01-01T00:00:00Z", [1]],
  ["stamp=lt.2000-01-01", [2]],
  ["stamp=eq.1999-12-31T23:59:59.5Z", [2]],
  ["stamp=eq.2026-01-01 12:00:00%2B00", [1]],
  ["stamp=gte.-infinity", [1, 2]],
  ["stamp=is.null", [3]],
  ["stamp=not.is.null&order=stamp.desc", [1, 2]],
  ["day=gte.2026-01-01", [1]],
  ["day=in.(1999-12-31,2026-01-01)", [1, 2]],
  ["num=eq.12345678901234567890.50", [1]],
  ["num=eq.12345678901234567890.5", [1]],
  ["num=gt.12345678901234567890.49", [1]],
  ["num=lt.1", [2]],
  ["flag=eq.true", [1]],
  ["flag=not.eq.true", [2]],
  ["uid=eq.a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", [1]],
  ["big=eq.9223372036854775807", [1]],
  ["big=lt.0", [2]],
  ["small=gte.-1&small=lt.0", [2]],
  ["real4=eq.1.5", [1]],
  ["real4=lt.0", [2]],
  // Row 3's dbl is NaN, which PostgreSQL sorts above every number (SQLite stores NaN as NULL).
  ["dbl=gte.Infinity", [1, 3]],
  ["dbl=lt.Infinity", [2]],
  ["dbl=eq.-Infinity", [2]],
  ["note=eq.x%22y", [1]],
  ["note=eq.", [2]],
  ["note=like.x*", [1]],
  ["code=eq.ab", [1]],
  ["bytes=eq.AP8Q", [1]],
  ["bytes=eq.", [2]],
  ["order=stamp.desc", [3, 1, 2]],
  ["order=num", [2, 1, 3]],
  ["order=day.desc&after=2026-01-01,1", [2]],
  ["order=stamp&after=1999-12-31 23:59:59.5%2B00,2", [1, 3]],
  ["order=num.nullsfirst&after=null,3", [2, 1]],
  ["order=uid&after=00000000-0000-0000-0000-000000000000,2", [1, 3]],
  ["order=flag.desc&after=true,1", [2]],
];

Deno.test({
  name: "PostgreSQL types filter and order: timestamps, dates, numeric, boolean, uuid, bytea",
  ignore,
  async fn() {
    await using s = await sqliteBesidePostgres(cluster!, 1);
    for (const [query, ids] of KINDS) {
      const res = await s.getPg(`/export/kinds.ndjson?columns=id&${query}`);
      const body = await res.text();
      assert.equal(res.status, 200, `${query}: ${body}`);
      const got = body.split("\n").filter((l) => l !== "").map((l) => JSON.parse(l).id);
      assert.deepEqual(got, ids, query);
    }
  },
});

/** [query, what the 400's detail says] on `kinds`: PostgreSQL never sees these values. */
const REFUSED: [string, RegExp][] = [
  ["stamp=gt.yesterday", /"stamp" is timestamp with time zone: the value must be a timestamp/],
  ["stamp=gt.2026-02-30", /"stamp" is timestamp with time zone: .*got "2026-02-30"/],
  ["stamp=eq.2026-01-01T25:00:00", /"stamp" is timestamp with time zone/],
  ["day=eq.2026-13-01", /"day" is date: the value must be a date/],
  ["day=in.(2026-01-01,soon)", /"day" is date: .*got "soon"/],
  ["num=eq.abc", /"num" is numeric: the value must be a decimal number/],
  ["num=eq.1;SELECT 1", /"num" is numeric/],
  ["flag=eq.maybe", /"flag" is boolean: the value must be true or false/],
  ["uid=eq.xyz", /"uid" is uuid: the value must be a UUID/],
  ["big=eq.1.5", /"big" is bigint: the value must be a 64-bit integer/],
  ["small=eq.x", /"small" is smallint/],
  ["dbl=eq.x", /"dbl" is double precision: the value must be a number/],
  ["bytes=eq.%%%", /"bytes" is bytea: the value must be standard base64/],
  ["note=eq.a%00b", /"note" is character varying\(20\): PostgreSQL text cannot hold NUL/],
  ["note=like.*%00*", /PostgreSQL text cannot hold NUL/],
  ["doc=eq.x", /"doc" is jsonb: it cannot be filtered on here/],
  ["tags=is.null", /"tags" is text\[\]: it cannot be filtered on here/],
  ["order=doc", /"doc" is jsonb: it cannot be ordered by here/],
  ["stamp=like.2026*", /stamp/],
  ["order=stamp&after=notatime,1", /"stamp" is timestamp with time zone/],
  ["order=num&after=1e,1", /"num" is numeric/],
  ["order=id&after=1;DROP TABLE kinds", /"id" is integer: the value must be a 64-bit integer/],
];

Deno.test({
  name: "values PostgreSQL would refuse are 400 naming the column and type; injections stay values",
  ignore,
  async fn() {
    await using s = await sqliteBesidePostgres(cluster!, 1);
    for (const [query, detail] of REFUSED) {
      const res = await s.getPg(`/export/kinds.ndjson?${query}`);
      const body = await res.json();
      assert.equal(res.status, 400, `${query}: ${JSON.stringify(body)}`);
      assert.match(body.detail, detail, query);
    }
    // Injection attempts in values are compared as values; in names and operators, refused.
    const attempts = [
      "note=eq.';DROP TABLE kinds;--",
      "note=in.(x,%22y'); DROP TABLE kinds; --%22)",
      "note=like.*' OR '1'='1*",
      "code=eq.a' OR 'a'='a",
    ];
    for (const query of attempts) {
      const res = await s.getPg(`/export/kinds.ndjson?${query}`);
      assert.equal(res.status, 200, query);
      assert.equal(await res.text(), "", query);
    }
    for (const query of ["%22note;DROP TABLE kinds%22=eq.1", "note=drop.x", "order=note;DROP"]) {
      const res = await s.getPg(`/export/kinds.ndjson?${query}`);
      assert.equal(res.status, 400, query);
      await res.body?.cancel();
    }
    const still = await s.getPg("/export/kinds.ndjson?columns=id");
    assert.equal(await still.text(), '{"id":1}\n{"id":2}\n{"id":3}\n');
  },
});
