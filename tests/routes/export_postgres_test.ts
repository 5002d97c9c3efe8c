/**
 * Exports with `--database-url`: the same routes, formats and checks as the
 * SQLite exports, against a throwaway PostgreSQL cluster (skipped, with the
 * reason printed, when PostgreSQL is not installed).
 */

import assert from "node:assert/strict";
import { startPgCluster } from "../support/postgres.ts";
import { sqliteBesidePostgres } from "../support/postgres_fixture.ts";

const ROWS = 5000;
const cluster = await startPgCluster("export_postgres_test");
const ignore = cluster === undefined;

const SAME_HEADERS = [
  "content-type",
  "content-disposition",
  "x-total-rows",
  "cache-control",
  "x-accel-buffering",
  "access-control-expose-headers",
  "vary",
];

Deno.test({
  name: "every format and query option exports the same bytes from PostgreSQL as from SQLite",
  ignore,
  async fn() {
    await using s = await sqliteBesidePostgres(cluster!, ROWS);
    const paths = [
      "/export/items.ndjson",
      "/export/items.csv",
      "/export/items.json",
      "/export/items.csv?bom=1",
      "/export/items.ndjson?columns=note,id&after=4000&limit=3",
      "/export/items.csv?columns=value&after=4998",
      "/export/items.json?after=9999",
      "/export/items.json?limit=0",
      "/export/items.ndjson?after=-5&limit=2",
      "/export/items?format=csv",
      "/export-data",
    ];
    for (const path of paths) {
      const [pg, lite] = await Promise.all([s.getPg(path), s.getLite(path)]);
      assert.equal(pg.status, 200, path);
      for (const name of SAME_HEADERS) {
        assert.equal(pg.headers.get(name), lite.headers.get(name), `${path} ${name}`);
      }
      const [pgBody, liteBody] = await Promise.all([pg.arrayBuffer(), lite.arrayBuffer()]);
      assert.ok(liteBody.byteLength > 0, path);
      assert.deepEqual(new Uint8Array(pgBody), new Uint8Array(liteBody), path);
    }
    const whole = await (await s.getPg("/export/items.ndjson")).text();
    assert.equal(whole.split("\n").length, ROWS + 1);
    assert.equal(
      whole.split("\n")[2],
      '{"id":3,"value":"item_3","created_at":"2026-01-01T00:03:00Z","quantity":757,' +
        '"price":0.76,"note":"café, 東京 ☕ 🚀 3\\r\\nend","label":null}',
    );
  },
});

Deno.test({
  name: "keyset resume from PostgreSQL: pieces joined with ?after equal the whole export",
  ignore,
  async fn() {
    await using s = await sqliteBesidePostgres(cluster!, 3000);
    const whole = await (await s.getPg("/export/items.csv?columns=id,note")).text();
    let joined = "id,note\r\n";
    let after: string | undefined;
    for (let piece = 0; piece < 100; piece++) {
      const query = `columns=id,note&limit=777${after === undefined ? "" : `&after=${after}`}`;
      const res = await s.getPg(`/export/items.ndjson?${query}`);
      const lines = (await res.text()).split("\n").filter((l) => l !== "");
      if (lines.length === 0) break;
      for (const line of lines) {
        const { id, note } = JSON.parse(line);
        joined += `${id},${/[",\r\n]/.test(note) ? `"${note.replaceAll('"', '""')}"` : note}\r\n`;
        after = String(id);
      }
    }
    assert.equal(joined, whole);
  },
});

Deno.test({
  name: "PostgreSQL types export as documented: BigInt-safe integers, floats, bytes, text casts",
  ignore,
  async fn() {
    await using s = await sqliteBesidePostgres(cluster!, 1);
    const ndjson = await (await s.getPg("/export/kinds.ndjson")).text();
    assert.equal(
      ndjson,
      [
        '{"id":1,"big":"9223372036854775807","small":32767,"real4":1.5,"dbl":"Infinity",' +
        '"num":"12345678901234567890.50","flag":true,"bytes":{"$base64":true,"encoded":"AP8Q"},' +
        '"stamp":"2026-01-01 12:00:00+00","day":"2026-01-01","doc":"{\\"a\\": [1, 2]}",' +
        '"tags":"{a,\\"b c\\"}","uid":"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11","note":"x\\"y",' +
        '"code":"ab "}',
        '{"id":2,"big":"-9223372036854775808","small":-1,"real4":-0.25,"dbl":"-Infinity",' +
        '"num":"0.1","flag":false,"bytes":{"$base64":true,"encoded":""},' +
        '"stamp":"1999-12-31 23:59:59.5+00","day":"1999-12-31","doc":"[]","tags":"{}",' +
        '"uid":"00000000-0000-0000-0000-000000000000","note":"","code":"   "}',
        '{"id":3,"big":null,"small":null,"real4":null,"dbl":null,"num":null,"flag":null,' +
        '"bytes":null,"stamp":null,"day":null,"doc":"null","tags":null,"uid":null,"note":null,' +
        '"code":null}',
        "",
      ].join("\n"),
    );
    const csv = await (await s.getPg("/export/kinds.csv?columns=id,dbl,flag,bytes,doc,note"))
      .text();
    assert.equal(
      csv,
      "id,dbl,flag,bytes,doc,note\r\n" +
        '1,Infinity,true,AP8Q,"{""a"": [1, 2]}","x""y"\r\n' +
        '2,-Infinity,false,,[],""\r\n' +
        "3,NaN,,,null,\r\n",
    );
  },
});

Deno.test({
  name: "PostgreSQL names come from the catalog: quoting, odd names, views, keys, 4xx",
  ignore,
  async fn() {
    await using s = await sqliteBesidePostgres(cluster!, 2);
    const weird = await s.getPg(`/export/${encodeURIComponent('we"ird')}.csv`);
    assert.equal(await weird.text(), 'id,"a ""b"""\r\n1,quoted\r\n');
    const odd = await s.getPg("/export/odd.csv");
    assert.equal(odd.headers.get("content-type"), "application/x-ndjson");
    assert.equal(await odd.text(), '{"id":1,"x":"odd"}\n');
    const small = await s.getPg("/export/small_key.ndjson?after=3");
    assert.equal(small.headers.get("x-total-rows"), "2");
    assert.equal(await small.text(), '{"k":4,"v":"v4"}\n{"k":5,"v":"v5"}\n');
    const view = await s.getPg("/export/recent.csv");
    assert.equal(view.headers.get("x-total-rows"), null);
    assert.equal(await view.text(), "id,note\r\n");
    const plain = await s.getPg("/export/plain.csv");
    assert.equal(plain.headers.get("x-total-rows"), "2");
    assert.equal(await plain.text(), "name\r\nfirst\r\nsecond\r\n");

    const tables = 'kinds, odd.csv, pairs, plain, recent, slow, small_key, we"ird, items'
      .split(", ").sort().join(", ");
    const cases: [string, number, string][] = [
      ["/export/nope.csv", 404, `No table or view "nope"; valid tables: ${tables}`],
      [
        `/export/${encodeURIComponent("items; DROP TABLE items")}`,
        404,
        `No table or view "items; DROP TABLE items"; valid tables: ${tables}`,
      ],
      ["/export/pg_class", 404, `No table or view "pg_class"; valid tables: ${tables}`],
      [
        "/export/items.csv?columns=id,secret",
        400,
        '"columns" names unknown column "secret" for "items"; valid columns: ' +
        "id, value, created_at, quantity, price, note, label",
      ],
      [
        "/export/pairs.csv?after=1",
        400,
        '"after" needs an integer key, and table "pairs" has none',
      ],
      [
        "/export/recent.csv?after=1",
        400,
        '"after" needs an integer key, and view "recent" has none',
      ],
      ["/export/items.csv?after=x", 400, '"after" must be a 64-bit integer id; got "x"'],
    ];
    for (const [path, status, detail] of cases) {
      const res = await s.getPg(path);
      assert.equal(res.status, status, path);
      assert.equal((await res.json()).detail, detail, path);
    }
    const index = await s.getPg("/export/", { accept: "application/json" });
    const listed = (await index.json()).tables.map((t: { name: string; rows: number | null }) => [
      t.name,
      t.rows,
    ]);
    assert.deepEqual(listed, [
      ["items", 2],
      ["kinds", 3],
      ["odd.csv", 1],
      ["pairs", 3],
      ["plain", 2],
      ["recent", null],
      ["slow", null],
      ["small_key", 5],
      ['we"ird', 1],
    ]);
    const head = await fetch(`${s.pg.origin}/export/items.csv?after=1`, { method: "HEAD" });
    assert.equal(head.headers.get("x-total-rows"), "1");
    assert.equal(await head.text(), "");
  },
});

Deno.test({
  name: "/healthz with PostgreSQL reports the database: 200 {status: ok, database: ok}",
  ignore,
  async fn() {
    await using s = await sqliteBesidePostgres(cluster!, 1);
    const res = await fetch(`${s.pg.origin}/healthz`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { status: "ok", database: "ok" });
    const lite = await fetch(`${s.lite.origin}/healthz`);
    assert.deepEqual(await lite.json(), { status: "ok" });
  },
});
