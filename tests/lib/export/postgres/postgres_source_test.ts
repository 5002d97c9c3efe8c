/**
 * PostgresSource and PostgresReader against a throwaway cluster (skipped,
 * with the reason printed, when PostgreSQL is not installed).
 */

import assert from "node:assert/strict";
import { HttpError } from "../../../../lib/http/http_error.ts";
import { PostgresSource } from "../../../../lib/export/postgres/postgres_source.ts";
import { sluiceBackends, startPgCluster } from "../../../support/postgres.ts";
import { makePgExportDb } from "../../../support/postgres_fixture.ts";

const cluster = await startPgCluster("postgres_source_test");
const ignore = cluster === undefined;

Deno.test({
  name: "PostgresSource reads keyed batches in a snapshot, counted, and releases at the end",
  ignore,
  async fn() {
    const url = await makePgExportDb(cluster!, 1200, false);
    await using source = await PostgresSource.connect(new URL(url), {
      poolSize: 1,
      batchRows: 500,
    });
    const rows = await source.openRows(
      { table: "items", columns: ["value", "label"], key: "id", after: 100n, limit: 1050 },
      { count: true },
    );
    assert.equal(rows.total, 1050);
    // The driver's batches are arrays of a subclass: compare their items.
    const batches = (await Array.fromAsync(rows.batches)).map((b) => [...b]);
    assert.deepEqual(batches.map((b) => b.length), [500, 500, 50]);
    // The key goes after the columns, as a BigInt.
    assert.deepEqual(batches[0][0], ["item_101", "label-4", 101n]);
    assert.deepEqual(batches[2].at(-1), ["item_1150", "label-83", 1150n]);
    // The one connection is free again: a second reader gets it at once.
    const again = await source.openRows({ table: "items", columns: ["id"], key: "id", limit: 1 });
    assert.deepEqual((await Array.fromAsync(again.batches)).map((b) => [...b]), [[[1n, 1n]]]);
  },
});

Deno.test({
  name: "PostgresSource answers 503 when every connection is busy, and serves once one is back",
  ignore,
  async fn() {
    const url = await makePgExportDb(cluster!, 2000, false);
    await using source = await PostgresSource.connect(new URL(url), {
      poolSize: 1,
      acquireTimeoutMs: 100,
    });
    const holding = (await source.openRows({ table: "items", columns: ["id"], key: "id" }))
      .batches.getReader();
    await holding.read();
    await assert.rejects(
      source.openRows({ table: "items", columns: ["id"], key: "id" }),
      (error) => {
        assert.ok(error instanceof HttpError);
        assert.equal(error.status, 503);
        assert.equal(error.message, "All 1 database connection is busy with exports; retry later");
        assert.equal(error.headers.get("retry-after"), "5");
        return true;
      },
    );
    await holding.cancel();
    const next = (await source.openRows({ table: "items", columns: ["id"], key: "id", limit: 2 }))
      .batches.getReader();
    assert.deepEqual([...(await next.read()).value!], [[1n, 1n], [2n, 2n]]);
    await next.cancel();
    const watch = cluster!.client(url);
    try {
      assert.deepEqual(await sluiceBackends(watch), ["idle", "idle"]);
    } finally {
      await watch.end();
    }
  },
});

Deno.test({
  name: "PostgresSource lists only what its user may read, and 404s the rest by name",
  ignore,
  async fn() {
    const url = await makePgExportDb(cluster!, 3);
    const admin = cluster!.client(url);
    try {
      await admin.unsafe(
        "DROP ROLE IF EXISTS reader; CREATE ROLE reader LOGIN; GRANT SELECT ON items, plain TO reader",
      );
    } finally {
      await admin.end();
    }
    const asReader = new URL(url);
    asReader.username = "reader";
    await using source = await PostgresSource.connect(asReader);
    assert.deepEqual(await source.listTables(), [
      { name: "items", type: "table" },
      { name: "plain", type: "table" },
    ]);
    await assert.rejects(source.describeTable("kinds"), {
      name: "HttpError",
      message: 'No table or view "kinds"; valid tables: items, plain',
    });
    assert.deepEqual(await source.describeTable("items"), {
      name: "items",
      type: "table",
      columns: ["id", "value", "created_at", "quantity", "price", "note", "label"],
      key: "id",
      // What filters and orders check values against (issue 15).
      columnInfo: [
        { name: "id", kind: "integer", type: "bigint", notNull: true },
        { name: "value", kind: "text", type: "text", notNull: true },
        { name: "created_at", kind: "text", type: "text", notNull: true },
        { name: "quantity", kind: "integer", type: "bigint", notNull: true },
        { name: "price", kind: "real", type: "double precision", notNull: true },
        { name: "note", kind: "text", type: "text", notNull: true },
        { name: "label", kind: "text", type: "text", notNull: false },
      ],
    });
    assert.equal(await source.countRows("items"), 3);
  },
});
