/**
 * selectSql() on a real PostgreSQL (skipped, with the reason, without one):
 * the cursor an export declares uses the demo's index on price for a filter
 * and order on price, and the primary key for the key's order and resumes
 * (issue 15), as `EXPLAIN DECLARE` shows.
 */

import assert from "node:assert/strict";
import { describePgTable, selectSql } from "../../../../lib/export/postgres/postgres_catalog.ts";
import { parseRowSelection } from "../../../../lib/export/row_selection.ts";
import { startPgCluster } from "../../../support/postgres.ts";
import { makePgExportDb } from "../../../support/postgres_fixture.ts";

const cluster = await startPgCluster("postgres_catalog_test");

Deno.test({
  name: "selectSql() cursors use the price index and the primary key (EXPLAIN DECLARE)",
  ignore: cluster === undefined,
  async fn() {
    // Enough rows that a scan of the whole table costs more than the index.
    const url = await makePgExportDb(cluster!, 50_000, false);
    const sql = cluster!.client(url);
    try {
      const relation = await describePgTable(sql, "items");
      const plan = async (query: string) => {
        const params = new URLSearchParams(query);
        const selection = parseRowSelection(
          { params, order: params.get("order"), after: params.get("after") },
          relation.info,
        );
        const { sql: select, params: values } = selectSql(relation, {
          table: "items",
          columns: relation.info.columns,
          key: "id",
          ...selection,
        });
        return await sql.begin(async (tx) => {
          const rows = await tx.unsafe(`EXPLAIN DECLARE c NO SCROLL CURSOR FOR ${select}`, values);
          return rows.map((r) => r["QUERY PLAN"] as string).join("\n");
        });
      };
      const price = await plan("price=lt.10&order=price");
      assert.match(price, /Index Scan using items_price on items/, price);
      assert.match(price, /Index Cond: \(price < /, price);
      const resumed = await plan("price=lt.100&order=price.desc&after=50.01,200");
      assert.match(resumed, /Index Scan Backward using items_price on items/, resumed);
      assert.match(resumed, /Index Cond: \(\(price < .*\) AND \(price <= /, resumed);
      const key = await plan("after=40000");
      assert.match(key, /Index Scan using items_pkey on items/, key);
      assert.match(key, /Index Cond: \(\(id >= .*\) AND \(id > /, key);
      const filtered = await plan("quantity=lt.100");
      assert.match(filtered, /Index Scan using items_pkey on items/, filtered);
      assert.match(filtered, /Filter: \(quantity < /, filtered);
    } finally {
      await sql.end();
    }
  },
});
