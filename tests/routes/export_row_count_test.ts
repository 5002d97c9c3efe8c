/**
 * Issue 11 item 1: an export never ends as a success with other rows than it
 * announced. The cause (keyset paging over a key that may hold NULLs) and the
 * class (any export whose rows differ from its `X-Total-Rows`), through a
 * real socket.
 */

import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { parse } from "csv-parse/sync";
import { makeExportDb, queryRows, readUntilFailure } from "../support/export_fixture.ts";
import { startTestServer } from "../support/server.ts";
import { startPgCluster } from "../support/postgres.ts";
import { makePgExportDb } from "../support/postgres_fixture.ts";

const cluster = await startPgCluster("export_row_count_test");

const IDENTITY = { "accept-encoding": "identity" };

/** `INTEGER PRIMARY KEY DESC` is no rowid alias: 1,200 NULL keys, then the keys 1 to 300. */
const NULL_KEYS = `
CREATE TABLE nullkey (id INTEGER PRIMARY KEY DESC, v TEXT);
WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 1200)
  INSERT INTO nullkey SELECT NULL, 'null ' || i FROM c;
WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 300)
  INSERT INTO nullkey SELECT i, 'key ' || i FROM c;`;

Deno.test("an INTEGER PRIMARY KEY DESC table with 1,200 NULL keys exports all its rows, by rowid", async () => {
  await using db = await makeExportDb(10, false);
  {
    using write = new DatabaseSync(db.path);
    write.exec(NULL_KEYS);
  }
  await using server = await startTestServer(["--db", db.path]);
  const expected = queryRows(db.path, "SELECT id, v FROM nullkey ORDER BY rowid");
  assert.equal(expected.length, 1500);

  const res = await fetch(`${server.origin}/export/nullkey.ndjson`, { headers: IDENTITY });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("x-total-rows"), "1500");
  const lines = (await res.text()).split("\n");
  assert.equal(lines.pop(), "");
  assert.deepEqual(lines.map((l) => JSON.parse(l)), expected.map((row) => ({ ...row })));

  const csv = await fetch(`${server.origin}/export/nullkey.csv`, { headers: IDENTITY });
  assert.equal(csv.headers.get("x-total-rows"), "1500");
  const records = parse(await csv.text(), { columns: true }) as { id: string; v: string }[];
  assert.deepEqual(records, expected.map((r) => ({ id: String(r.id ?? ""), v: r.v })));

  // Resuming goes by the rowid too: NULL keys are not skipped.
  const index = await (await fetch(`${server.origin}/export/`, {
    headers: { accept: "application/json" },
  })).json();
  assert.equal(index.tables.find((t: { name: string }) => t.name === "nullkey").key, "rowid");
  const part = await fetch(`${server.origin}/export/nullkey.ndjson?after=1199&limit=3`);
  assert.equal(part.headers.get("x-total-rows"), "3");
  assert.equal(
    await part.text(),
    '{"id":null,"v":"null 1200"}\n{"id":1,"v":"key 1"}\n{"id":2,"v":"key 2"}\n',
  );
});

Deno.test("an export whose rows differ from its X-Total-Rows fails the transfer, with the $error record", async () => {
  // The database file is replaced under the running server (as a deploy that
  // swaps in a new dump would): the announced count comes from the old file,
  // the rows from the new one.
  await using db = await makeExportDb(5000, false);
  await using smaller = await makeExportDb(3000, false);
  await using server = await startTestServer(["--db", db.path]);
  const before = await fetch(`${server.origin}/export/items.ndjson`, { method: "HEAD" });
  assert.equal(before.headers.get("x-total-rows"), "5000");
  await Deno.rename(smaller.path, db.path);

  // All columns: more than the first write, so the status is sent before the end.
  const res = await fetch(`${server.origin}/export/items.ndjson`, { headers: IDENTITY });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("x-total-rows"), "5000");
  const { text, error } = await readUntilFailure(res.body!);
  assert.ok(error !== undefined, "the transfer must fail, not end cleanly");
  const lines = text.split("\n");
  assert.equal(lines.pop(), "");
  const record = JSON.parse(lines.pop()!);
  assert.deepEqual(
    lines.map((l) => JSON.parse(l).id),
    Array.from({ length: 3000 }, (_, i) => i + 1),
  );
  assert.deepEqual(record, {
    $error: {
      type: "about:blank",
      status: 500,
      title: "Internal Server Error",
      detail: "X-Total-Rows announced 5000 rows, but the export read 3000 " +
        "(the rows changed meanwhile, or some were skipped). Resume with ?after=3000.",
      rows: 3000,
      after: 3000,
    },
  });

  // CSV has no record: the transfer fails after the rows.
  const csv = await fetch(`${server.origin}/export/items.csv`, { headers: IDENTITY });
  assert.equal(csv.status, 200);
  const cut = await readUntilFailure(csv.body!);
  assert.ok(cut.error !== undefined, "the CSV transfer must fail too");
  const records = parse(cut.text, { columns: true }) as { id: string }[];
  assert.deepEqual(records.map((r) => Number(r.id)), Array.from({ length: 3000 }, (_, i) => i + 1));
});

Deno.test({
  name: "PostgreSQL: a nullable UNIQUE integer is no key; 1,200 NULLs and 300 keys all export",
  ignore: cluster === undefined,
  async fn() {
    const url = await makePgExportDb(cluster!, 10, false);
    const sql = cluster!.client(url);
    try {
      await sql.unsafe(`CREATE TABLE nullkey (id integer UNIQUE, v text);
        INSERT INTO nullkey SELECT NULL, 'null ' || g FROM generate_series(1, 1200) g;
        INSERT INTO nullkey SELECT g, 'key ' || g FROM generate_series(1, 300) g;`);
    } finally {
      await sql.end();
    }
    await using server = await startTestServer(["--database-url", url]);
    const res = await fetch(`${server.origin}/export/nullkey.ndjson`, { headers: IDENTITY });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("x-total-rows"), "1500");
    const rows = (await res.text()).trimEnd().split("\n").map((l) => JSON.parse(l));
    assert.equal(rows.length, 1500);
    assert.equal(rows.filter((r) => r.id === null).length, 1200);
    assert.deepEqual(
      rows.filter((r) => r.id !== null).map((r) => r.v).sort(),
      Array.from({ length: 300 }, (_, i) => `key ${i + 1}`).sort(),
    );
    const after = await fetch(`${server.origin}/export/nullkey.ndjson?after=1`);
    assert.equal(after.status, 400);
    assert.match((await after.json()).detail, /"after" needs an integer key/);
  },
});
