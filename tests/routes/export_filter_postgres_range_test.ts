/**
 * Values of the right form that PostgreSQL still refuses for their type (out
 * of its range): a 400 naming the column, its type and PostgreSQL's reason,
 * never a database error (they were 500 with the error in the log), and the
 * connection is fine for the next export. Skipped, with the reason printed,
 * when PostgreSQL is not installed.
 */

import assert from "node:assert/strict";
import { startPgCluster } from "../support/postgres.ts";
import { makePgExportDb } from "../support/postgres_fixture.ts";
import { startTestServer } from "../support/server.ts";

const cluster = await startPgCluster("export_filter_postgres_range_test");

/** [query on `kinds`, what the 400's detail says]. */
const OUT_OF_RANGE: [string, RegExp][] = [
  ["num=eq.1e1000000", /^Column "num" is numeric: PostgreSQL cannot read "1e1000000" as one \(/],
  ["num=lt.1e-1000000", /"num" is numeric: .*"1e-1000000"/],
  ["day=eq.0000-01-01", /^Column "day" is date: PostgreSQL cannot read "0000-01-01" as one \(/],
  ["day=in.(2026-01-01,99999999-01-01)", /"day" is date: .*"99999999-01-01".*out of range/],
  ["stamp=gt.294277-01-01T00:00:00Z", /"stamp" is timestamp with time zone: .*out of range/],
  ["stamp=eq.2026-01-01T24:30:00Z", /"stamp" is timestamp with time zone: .*out of range/],
  ["stamp=eq.2026-01-01T12:00:00%2B16", /"stamp" is timestamp with time zone: .*displacement/],
  ["real4=eq.1e39", /^Column "real4" is real: PostgreSQL cannot read "1e\+39" as one \(/],
  ["real4=gt.1e-50", /"real4" is real: .*out of range/],
  ["order=num&after=1e1000000,1", /"num" is numeric: .*"1e1000000"/],
  ["order=day&after=0000-01-01,1", /"day" is date: .*"0000-01-01"/],
  ["order=stamp.desc&after=2026-01-01T24:30:00Z,1", /"stamp" is timestamp with time zone/],
];

Deno.test({
  name: "values out of PostgreSQL's range for their type are 400 naming the column, not 500",
  ignore: cluster === undefined,
  async fn() {
    const url = await makePgExportDb(cluster!, 1);
    await using server = await startTestServer(["--database-url", url, "--db-pool-size", "1"]);
    const get = (query: string) =>
      fetch(`${server.origin}/export/kinds.ndjson?columns=id&${query}`);
    for (const [query, detail] of OUT_OF_RANGE) {
      const res = await get(query);
      const body = await res.json();
      assert.equal(res.status, 400, `${query}: ${JSON.stringify(body)}`);
      assert.match(body.detail, detail, query);
      assert.equal(typeof body.column, "string", query);
    }
    // In range, the same columns filter as before (one pooled connection: it was given back clean).
    for (
      const [query, ids] of [
        ["num=gt.1e3", '{"id":1}\n'],
        ["day=gte.2026-01-01", '{"id":1}\n'],
        ["real4=lt.3.4e38&order=real4", '{"id":2}\n{"id":1}\n'],
        ["stamp=lt.2026-01-01T12:00:00%2B15:59", '{"id":2}\n'],
      ] as const
    ) {
      const res = await get(query);
      assert.equal(await res.text(), ids, query);
    }
    assert.equal(server.logs.filter((l) => /PostgresError/.test(l)).join("\n"), "");
  },
});
