/**
 * Prepared exports from PostgreSQL: the same bytes as the live export and as
 * the same job on SQLite, and a cancelled job's query released at once
 * (skipped, with the reason printed, when PostgreSQL is not installed).
 */

import assert from "node:assert/strict";
import { makeExportDb } from "../support/export_fixture.ts";
import { waitFor } from "../support/http.ts";
import {
  bytesOf,
  dataFolder,
  gunzip,
  type Job,
  postJob,
  runJob,
  sha256Field,
  storedJobs,
  waitForJob,
} from "../support/jobs_fixture.ts";
import { spawnSluice } from "../support/sluice_process.ts";
import { sluiceBackends, startPgCluster } from "../support/postgres.ts";
import { makePgExportDb } from "../support/postgres_fixture.ts";
import { startTestServer } from "../support/server.ts";

const ROWS = 5000;
const cluster = await startPgCluster("jobs_postgres_test");
const ignore = cluster === undefined;

Deno.test({
  name: "jobs on PostgreSQL: every format is the live export and the SQLite job, byte for byte",
  ignore,
  async fn() {
    const url = await makePgExportDb(cluster!, ROWS);
    await using file = await makeExportDb(ROWS, false);
    await using pg = await startTestServer(["--database-url", url, "--db-pool-size", "3"]);
    await using lite = await startTestServer(["--db", file.path]);
    for (const format of ["ndjson", "csv", "json"]) {
      for (const gzip of [false, true]) {
        const spec = { table: "items", format, gzip, columns: ["id", "note", "price"] };
        const fromPg = await runJob(pg.origin, spec);
        const fromLite = await runJob(lite.origin, spec);
        assert.equal(fromPg.state, "done", fromPg.error);
        assert.equal(fromPg.rows, ROWS);
        const pgBytes = await bytesOf(pg.origin, fromPg.result.url);
        const plain = gzip ? await gunzip(pgBytes) : pgBytes;
        assert.deepEqual(
          plain,
          await bytesOf(pg.origin, `/export/items.${format}?columns=id,note,price`),
        );
        assert.deepEqual(pgBytes, await bytesOf(lite.origin, fromLite.result.url));
        assert.equal(fromPg.result.digest, fromLite.result.digest);
      }
    }
  },
});

Deno.test({
  name: "DELETE of a running PostgreSQL job releases its query at once (pg_stat_activity)",
  ignore,
  async fn() {
    const url = await makePgExportDb(cluster!, 10);
    await using pg = await startTestServer(["--database-url", url, "--db-pool-size", "3"]);
    const sql = cluster!.client(url);
    try {
      // `slow` takes 20 ms a row after its first 1000: about 80 s in all.
      const job = await (await postJob(pg.origin, { table: "slow", format: "csv" })).json();
      assert.ok(
        await waitFor(async () => (await sluiceBackends(sql)).includes("active"), 30_000),
        "the job's query runs",
      );
      const res = await fetch(`${pg.origin}/jobs/${job.id}`, { method: "DELETE" });
      assert.equal(res.status, 204);
      // Released at once: well before the query would have ended on its own.
      assert.ok(
        await waitFor(async () => !(await sluiceBackends(sql)).includes("active"), 10_000),
        `still active: ${await sluiceBackends(sql)}`,
      );
      const cancelled = await waitForJob(pg.origin, job.id, ["cancelled"]);
      assert.ok(cancelled.rows < 5000, `${cancelled.rows} rows`);
    } finally {
      await sql.end();
    }
  },
});

Deno.test({
  name:
    "a PostgreSQL job killed with SIGKILL resumes on restart, byte-identical to the live export",
  ignore,
  sanitizeResources: false,
  async fn() {
    const rows = 200_000;
    const url = await makePgExportDb(cluster!, rows, false);
    await using data = await dataFolder();
    await using media = await makeExportDb(1, false);
    const args = ["--port", "0", "--database-url", url, "--data-dir", data.relative];
    args.push("--jobs-checkpoint", "0.05", "--media-dir", media.dir);
    let job: Job;
    {
      await using first = spawnSluice(args);
      const origin = await first.origin();
      job = await (await postJob(origin, { table: "items", format: "ndjson" })).json();
      assert.ok(
        await waitFor(() => storedJobs(data.absolute).get(job.id)?.checkpoint != null, 60_000),
        "the job checkpoints",
      );
      first.child.kill("SIGKILL");
      await first.exitWithin(20_000);
    }
    const checkpoint = JSON.parse(storedJobs(data.absolute).get(job.id)!.checkpoint!);
    await using second = spawnSluice(args);
    const origin = await second.origin();
    const [, row] = await second.waitForLine(new RegExp(`job ${job.id} resumes after row (\\d+)`));
    assert.equal(Number(row), checkpoint.rows);
    const done = await waitForJob(origin, job.id);
    assert.equal(done.rows, rows);
    const result = await bytesOf(origin, done.result.url);
    assert.deepEqual(result, await bytesOf(origin, "/export/items.ndjson"));
    assert.equal(done.result.digest, await sha256Field(result));
  },
});
