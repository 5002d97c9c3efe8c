import assert from "node:assert/strict";
import { makeExportDb, openHandlesTo } from "../support/export_fixture.ts";
import { waitFor } from "../support/http.ts";
import { startTestServer } from "../support/server.ts";
import {
  bytesOf,
  getJob,
  gunzip,
  jobsServer,
  postJob,
  runJob,
  sha256Field,
  waitForJob,
} from "../support/jobs_fixture.ts";

const ROWS = 3000;

for (const format of ["ndjson", "csv", "json"]) {
  for (const gzip of [false, true]) {
    Deno.test(`a ${format}${gzip ? ".gz" : ""} job's result is the live export, byte for byte`, async () => {
      await using s = await jobsServer(ROWS);
      const job = await runJob(s.origin, { table: "items", format, gzip, columns: ["id", "note"] });
      assert.equal(job.state, "done");
      assert.equal(job.rows, ROWS);
      assert.equal(job.totalRows, ROWS);
      const live = await bytesOf(s.origin, `/export/items.${format}?columns=id,note`);
      const res = await fetch(`${s.origin}${job.result.url}`);
      assert.equal(res.status, 200);
      const file = new Uint8Array(await res.arrayBuffer());
      assert.equal(res.headers.get("repr-digest"), await sha256Field(file));
      assert.equal(job.result.digest, res.headers.get("repr-digest"));
      assert.equal(job.result.size, file.byteLength);
      assert.equal(res.headers.get("content-length"), String(file.byteLength));
      assert.equal(
        res.headers.get("content-disposition"),
        `attachment; filename="items.${format}${gzip ? ".gz" : ""}"`,
      );
      if (gzip) {
        assert.equal(res.headers.get("content-type"), "application/gzip");
        assert.deepEqual(await gunzip(file), live);
      } else {
        assert.deepEqual(file, live);
        assert.equal(job.bytes, live.byteLength);
      }
    });
  }
}

Deno.test("a job's limit, after and a view without a key work as the live export's", async () => {
  await using s = await jobsServer(ROWS);
  const part = await runJob(s.origin, { table: "items", format: "csv", after: 100, limit: 50 });
  assert.deepEqual(
    await bytesOf(s.origin, part.result.url),
    await bytesOf(s.origin, "/export/items.csv?after=100&limit=50"),
  );
  assert.equal(part.rows, 50);
  const types = await runJob(s.origin, { table: "types", format: "ndjson" });
  assert.deepEqual(
    await bytesOf(s.origin, types.result.url),
    await bytesOf(s.origin, "/export/types.ndjson"),
  );
  const pairs = await runJob(s.origin, { table: "pairs", format: "json" });
  assert.deepEqual(
    await bytesOf(s.origin, pairs.result.url),
    await bytesOf(s.origin, "/export/pairs.json"),
  );
  assert.equal(pairs.totalRows, 3);
  // Filters (a query string or an object), order and a resume token, as the live export takes them.
  const live = "/export/items.csv?label=is.null&quantity=gt.500&order=quantity.desc&after=999,2997";
  for (
    const filters of ["label=is.null&quantity=gt.500", { label: "is.null", quantity: "gt.500" }]
  ) {
    const filtered = await runJob(s.origin, {
      table: "items",
      format: "csv",
      filters,
      order: "quantity.desc",
      after: "999,2997",
    });
    assert.equal(filtered.state, "done");
    assert.deepEqual(await bytesOf(s.origin, filtered.result.url), await bytesOf(s.origin, live));
    assert.ok(filtered.rows > 100, String(filtered.rows));
  }
  const bad = await postJob(s.origin, { table: "items", filters: "limit=5" });
  assert.equal(bad.status, 400);
  assert.match((await bad.json()).detail, /"filters" holds "limit"/);
  const badOrder = await postJob(s.origin, { table: "items", order: "nope" });
  assert.equal(badOrder.status, 400);
  assert.match((await badOrder.json()).detail, /"order" names unknown column "nope"/);
});

Deno.test("POST /jobs answers 202 with Location and the job; GET /jobs lists newest first", async () => {
  await using s = await jobsServer(ROWS);
  const res = await postJob(s.origin, { table: "items", format: "csv" });
  assert.equal(res.status, 202);
  const job = await res.json();
  assert.equal(res.headers.get("location"), `/jobs/${job.id}`);
  assert.match(job.id, /^[0-9a-f-]{36}$/);
  assert.equal(job.table, "items");
  assert.equal(job.events, `/jobs/${job.id}/events`);
  await waitForJob(s.origin, job.id);
  const second = await runJob(s.origin, { table: "types", format: "ndjson" });
  const list = await (await fetch(`${s.origin}/jobs`)).json();
  assert.deepEqual(list.jobs.map((j: { id: string }) => j.id), [second.id, job.id]);
  const html = await fetch(`${s.origin}/jobs`, { headers: { accept: "text/html" } });
  assert.equal(html.headers.get("content-type"), "text/html; charset=utf-8");
  const page = await html.text();
  assert.ok(page.includes(`href="/jobs/${job.id}/result"`), page);
  assert.ok(page.includes(">items.csv</a>"), page);
});

Deno.test("an HTML form post makes the same job and goes on to the list", async () => {
  await using s = await jobsServer(ROWS);
  const res = await fetch(`${s.origin}/jobs`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", accept: "text/html" },
    body: "table=items&format=csv&columns=id%2Cnote&limit=10&after=&gzip=on",
    redirect: "manual",
  });
  assert.equal(res.status, 303);
  assert.equal(res.headers.get("location"), "/jobs");
  await res.body?.cancel();
  const [job] = (await (await fetch(`${s.origin}/jobs`)).json()).jobs;
  assert.deepEqual([job.columns, job.limit, job.after, job.gzip], [["id", "note"], 10, null, true]);
  const done = await waitForJob(s.origin, job.id);
  assert.equal(
    new TextDecoder().decode(await gunzip(await bytesOf(s.origin, done.result.url))),
    new TextDecoder().decode(await bytesOf(s.origin, "/export/items.csv?columns=id,note&limit=10")),
  );
});

Deno.test("POST /jobs validates as the live export does: 400, 404, 413, 415", async () => {
  await using s = await jobsServer(10);
  const cases: [unknown, number, RegExp][] = [
    [{ table: "nope" }, 404, /No table or view "nope"; valid tables: .*items/],
    [{ table: "items", columns: ["id", "bogus"] }, 400, /unknown column "bogus".*valid columns/],
    [{ table: "items", format: "xml" }, 400, /"format" must be ndjson, csv or json; got "xml"/],
    [{ table: "items", limit: -1 }, 400, /"limit" must be a non-negative integer; got "-1"/],
    [{ table: "items", after: "x" }, 400, /"after" must be a 64-bit integer id; got "x"/],
    [{ table: "flaky", after: 3 }, 400, /"after" needs an integer key/],
    [{ table: "items", gzip: "yes" }, 400, /"gzip" must be 0 or 1; got "yes"/],
    [{ table: "items", colour: 1 }, 400, /Unknown field "colour"; valid fields: table, format/],
    [{}, 400, /"table" must be a table or view name/],
    ["[1]", 400, /must be a JSON object/],
    ["{", 400, /The body is not JSON/],
  ];
  for (const [body, status, message] of cases) {
    const res = await postJob(s.origin, body);
    const problem = await res.json();
    assert.equal(res.status, status, JSON.stringify(body));
    assert.equal(res.headers.get("content-type"), "application/problem+json");
    assert.match(problem.detail, message);
  }
  const big = await postJob(s.origin, { table: "items", pad: "x".repeat(20_000) });
  assert.equal(big.status, 413);
  assert.match((await big.json()).detail, /at most 16384 bytes/);
  const text = await fetch(`${s.origin}/jobs`, { method: "POST", body: "table=items" });
  assert.equal(text.status, 415);
  assert.equal(
    text.headers.get("accept-post"),
    "application/json, application/x-www-form-urlencoded",
  );
  await text.body?.cancel();
  assert.deepEqual((await (await fetch(`${s.origin}/jobs`)).json()).jobs, []);
});

Deno.test("Idempotency-Key: the same body returns the same job (200), another is 422", async () => {
  await using s = await jobsServer(10);
  const key = { "idempotency-key": "order-42" };
  const first = await postJob(s.origin, { table: "items", format: "csv" }, key);
  assert.equal(first.status, 202);
  const job = await first.json();
  const again = await postJob(s.origin, { format: "csv", table: "items" }, key);
  assert.equal(again.status, 200);
  assert.equal((await again.json()).id, job.id);
  assert.equal(again.headers.get("location"), `/jobs/${job.id}`);
  const other = await postJob(s.origin, { table: "items", format: "json" }, key);
  assert.equal(other.status, 422);
  assert.match(
    (await other.json()).detail,
    /Idempotency-Key "order-42" was used for another request/,
  );
  const bad = await postJob(s.origin, { table: "items" }, { "idempotency-key": "a b" });
  assert.equal(bad.status, 400);
  await bad.body?.cancel();
  await waitForJob(s.origin, job.id);
  assert.equal((await (await fetch(`${s.origin}/jobs`)).json()).jobs.length, 1);
});

Deno.test("GET /jobs/{id}/result: Range, If-Range, If-None-Match and HEAD like a media file", async () => {
  await using s = await jobsServer(ROWS);
  const job = await runJob(s.origin, { table: "items", format: "csv" });
  const whole = await bytesOf(s.origin, job.result.url);
  const url = `${s.origin}${job.result.url}`;
  const head = await fetch(url, { method: "HEAD" });
  assert.equal(head.status, 200);
  assert.equal(head.headers.get("content-length"), String(whole.byteLength));
  assert.equal(head.headers.get("repr-digest"), job.result.digest);
  const etag = head.headers.get("etag")!;
  const part = await fetch(url, { headers: { range: "bytes=100-199", "if-range": etag } });
  assert.equal(part.status, 206);
  assert.equal(part.headers.get("content-range"), `bytes 100-199/${whole.byteLength}`);
  assert.equal(part.headers.get("repr-digest"), job.result.digest);
  assert.deepEqual(new Uint8Array(await part.arrayBuffer()), whole.subarray(100, 200));
  const stale = await fetch(url, { headers: { range: "bytes=0-9", "if-range": '"other"' } });
  assert.equal(stale.status, 200);
  await stale.body?.cancel();
  const cached = await fetch(url, { headers: { "if-none-match": etag } });
  assert.equal(cached.status, 304);
  const failed = await fetch(url, { headers: { "if-match": '"other"' } });
  assert.equal(failed.status, 412);
  await failed.body?.cancel();
  // Results are never compressed on the way: Repr-Digest is of the file's bytes.
  const gz = await fetch(url, { headers: { "accept-encoding": "gzip" } });
  assert.equal(gz.headers.get("content-encoding"), null);
  assert.deepEqual(new Uint8Array(await gz.arrayBuffer()), whole);
});

Deno.test("the result is 409 while the job runs; DELETE cancels at once, then deletes", async () => {
  await using s = await jobsServer(10, ["--jobs-concurrency", "1"]);
  const idleHandles = await openHandlesTo(s.db.path);
  const running = await (await postJob(s.origin, { table: "endless", format: "ndjson" })).json();
  const queued = await (await postJob(s.origin, { table: "items", format: "csv" })).json();
  assert.equal((await getJob(s.origin, queued.id)).state, "queued");
  const early = await fetch(`${s.origin}/jobs/${running.id}/result`);
  assert.equal(early.status, 409);
  const problem = await early.json();
  assert.match(problem.detail, /is (queued|running); its result is not ready/);
  const cancelQueued = await fetch(`${s.origin}/jobs/${queued.id}`, { method: "DELETE" });
  assert.equal(cancelQueued.status, 204);
  assert.equal((await getJob(s.origin, queued.id)).state, "cancelled");
  assert.equal((await getJob(s.origin, running.id)).state, "running");
  assert.equal(
    await openHandlesTo(s.db.path),
    idleHandles + 1,
    "the job reads on a connection of its own",
  );
  const cancel = await fetch(`${s.origin}/jobs/${running.id}`, { method: "DELETE" });
  assert.equal(cancel.status, 204);
  // Released by the time DELETE answers: the reader's connection is closed.
  assert.equal(await openHandlesTo(s.db.path), idleHandles);
  const cancelled = await getJob(s.origin, running.id);
  assert.equal(cancelled.state, "cancelled");
  assert.ok(cancelled.rows < 1e9, `${cancelled.rows} rows`);
  // No part file is left, and nothing holds the database.
  assert.deepEqual([...Deno.readDirSync(`${s.server.config.dataDir}/jobs`)], []);
  const gone = await fetch(`${s.origin}/jobs/${running.id}`, { method: "DELETE" });
  assert.equal(gone.status, 204);
  const missing = await fetch(`${s.origin}/jobs/${running.id}`);
  assert.equal(missing.status, 404);
  await missing.body?.cancel();
});

Deno.test("DELETE of a done job removes its file; unknown ids are 404", async () => {
  await using s = await jobsServer(10);
  const job = await runJob(s.origin, { table: "items", format: "csv" });
  const dir = `${s.server.config.dataDir}/jobs`;
  assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), [`${job.id}.csv`]);
  assert.equal((await fetch(`${s.origin}/jobs/${job.id}`, { method: "DELETE" })).status, 204);
  assert.deepEqual([...Deno.readDirSync(dir)], []);
  for (
    const path of [`/jobs/${job.id}`, `/jobs/${job.id}/result`, "/jobs/..%2f", "/jobs/x/events"]
  ) {
    const res = await fetch(`${s.origin}${path}`);
    assert.equal(res.status, 404, path);
    await res.body?.cancel();
  }
});

Deno.test("--jobs-ttl: a finished job expires, its file is removed and it answers 410", async () => {
  await using s = await jobsServer(10, ["--jobs-ttl", "0.2"]);
  const job = await runJob(s.origin, { table: "items", format: "csv" });
  await new Promise((r) => setTimeout(r, 300));
  for (const path of [`/jobs/${job.id}`, `/jobs/${job.id}/result`]) {
    const res = await fetch(`${s.origin}${path}`);
    assert.equal(res.status, 410, path);
    assert.match((await res.json()).detail, /finished more than --jobs-ttl ago/);
  }
  // The file is removed in the background of the request that found the job expired.
  const dir = `${s.server.config.dataDir}/jobs`;
  assert.ok(await waitFor(() => [...Deno.readDirSync(dir)].length === 0), "the file is removed");
});

Deno.test("--jobs-max-bytes: a job that would pass it fails; new jobs get 507 while full", async () => {
  let quota: number;
  {
    await using measure = await jobsServer(ROWS);
    quota = (await bytesOf(measure.origin, "/export/items.csv?limit=100")).byteLength;
  }
  await using s = await jobsServer(ROWS, ["--jobs-max-bytes", String(quota)]);
  const big = await runJob(s.origin, { table: "items", format: "csv" });
  assert.equal(big.state, "failed");
  assert.equal(big.error, `The result would pass the quota of ${quota} bytes for prepared results`);
  assert.deepEqual([...Deno.readDirSync(`${s.server.config.dataDir}/jobs`)], []);
  const fits = await runJob(s.origin, { table: "items", format: "csv", limit: 100 });
  assert.equal(fits.state, "done");
  assert.equal(fits.result.size, quota);
  const full = await postJob(s.origin, { table: "items", format: "csv", limit: 1 });
  assert.equal(full.status, 507);
  assert.match((await full.json()).detail, /use the whole quota of \d+ bytes; delete some/);
  assert.equal((await fetch(`${s.origin}/jobs/${fits.id}`, { method: "DELETE" })).status, 204);
  const again = await postJob(s.origin, { table: "items", format: "csv", limit: 1 });
  assert.equal(again.status, 202);
  await waitForJob(s.origin, (await again.json()).id);
});

Deno.test("a client with --jobs-max-queued jobs queued gets 429", async () => {
  await using s = await jobsServer(10, ["--jobs-concurrency", "1", "--jobs-max-queued", "2"]);
  const ids = [];
  for (let i = 0; i < 3; i++) {
    const res = await postJob(s.origin, { table: "endless", format: "ndjson", limit: 1e9 - i });
    assert.equal(res.status, 202);
    ids.push((await res.json()).id);
  }
  const refused = await postJob(s.origin, { table: "items", format: "csv" });
  assert.equal(refused.status, 429);
  assert.equal(refused.headers.get("retry-after"), "10");
  assert.match((await refused.json()).detail, /This client has 2 jobs queued already/);
  for (const id of ids) await fetch(`${s.origin}/jobs/${id}`, { method: "DELETE" });
});

Deno.test("a failing export fails its job with the row count; the file is removed", async () => {
  await using s = await jobsServer(5000);
  const job = await runJob(s.origin, { table: "failing", format: "csv" });
  assert.equal(job.state, "failed");
  assert.match(job.error, /The export failed after 3000 rows; see the server log/);
  assert.deepEqual([...Deno.readDirSync(`${s.server.config.dataDir}/jobs`)], []);
});

Deno.test("GET /metrics counts jobs by state, the queue, and rows and bytes written", async () => {
  await using s = await jobsServer(ROWS);
  const job = await runJob(s.origin, { table: "items", format: "csv" });
  const text = await (await fetch(`${s.origin}/metrics`)).text();
  const value = (sample: string) => {
    const line = text.split("\n").find((l) => l.startsWith(sample + " "));
    assert.ok(line, `${sample} in\n${text}`);
    return Number(line.slice(sample.length + 1));
  };
  assert.equal(value('sluice_jobs{state="done"}'), 1);
  assert.equal(value('sluice_jobs{state="running"}'), 0);
  assert.equal(value("sluice_jobs_queue_length"), 0);
  assert.equal(value("sluice_job_rows_written_total"), ROWS);
  assert.equal(value("sluice_job_bytes_written_total"), job.result.size);
});

Deno.test("an expired job is forgotten (404) after another --jobs-ttl", async () => {
  await using s = await jobsServer(10, ["--jobs-ttl", "0.2"]);
  const job = await runJob(s.origin, { table: "items", format: "csv" });
  const status = async () => {
    const res = await fetch(`${s.origin}/jobs/${job.id}`);
    await res.body?.cancel();
    return res.status;
  };
  assert.ok(await waitFor(async () => (await status()) === 410, 10_000), "410 once expired");
  // The sweep runs every TTL (0.2 s here): it forgets the job 2 TTLs after it finished.
  assert.ok(await waitFor(async () => (await status()) === 404, 10_000), "404 later");
  assert.deepEqual((await (await fetch(`${s.origin}/jobs`)).json()).jobs, []);
});

Deno.test("on start, files in the jobs folder that belong to no job are removed", async () => {
  await using db = await makeExportDb(10, false);
  const dataDir = `${db.dir}/data`;
  await Deno.mkdir(`${dataDir}/jobs`, { recursive: true });
  await Deno.writeTextFile(`${dataDir}/jobs/0d1e2a3b-0000-4000-8000-000000000000.part`, "left");
  {
    await using s = await startTestServer(["--db", db.path, "--data-dir", dataDir]);
    const job = await runJob(s.origin, { table: "items", format: "csv" });
    assert.deepEqual([...Deno.readDirSync(`${dataDir}/jobs`)].map((e) => e.name), [
      `${job.id}.csv`,
    ]);
  }
});
