import assert from "node:assert/strict";
import { openExportSource } from "../../../lib/export/open_database.ts";
import { jobEvents } from "../../../lib/jobs/job_events.ts";
import { JobManager } from "../../../lib/jobs/job_manager.ts";
import { readJobSpec } from "../../../lib/jobs/job_spec.ts";
import { makeExportDb } from "../../support/export_fixture.ts";

/** A manager running one job at a time over `rows` demo items, in a temp folder. */
async function manager(rows: number) {
  const db = await makeExportDb(rows, false);
  const source = await openExportSource({
    databaseUrl: "",
    poolSize: 1,
    dbPath: db.path,
    demoRows: 0,
  });
  const jobs = await JobManager.open({
    dataDir: `${db.dir}/data`,
    source,
    concurrency: 1,
    maxBytes: 0,
    ttlSeconds: 0,
    maxQueuedPerOwner: 0,
  });
  const spec = (body: object) =>
    readJobSpec(
      new Request("http://x/jobs", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      }),
      source,
    );
  return {
    jobs,
    spec,
    async [Symbol.asyncDispose]() {
      await jobs.close();
      await source.close();
      await db[Symbol.asyncDispose]();
    },
  };
}

Deno.test("jobEvents() sends a heartbeat comment while nothing changes", async () => {
  await using m = await manager(300_000);
  const { job: running } = m.jobs.create(await m.spec({ table: "items" }), "a");
  const { job: queued } = m.jobs.create(await m.spec({ table: "items", format: "csv" }), "a");
  const stream = jobEvents(m.jobs, queued.id, null, { heartbeatMs: 20 })!;
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  for (let i = 0; i < 100 && !text.includes(": heartbeat\n\n"); i++) {
    text += (await reader.read()).value ?? "";
  }
  assert.match(
    text,
    /^retry: 2000\n\nid: \d+\nevent: progress\ndata: \{"id":"[^"]+","state":"queued"/,
  );
  assert.ok(text.includes(": heartbeat\n\n"), text);
  await reader.cancel();
  await m.jobs.remove(queued.id);
  await m.jobs.remove(running.id);
});

Deno.test("jobEvents() drops a client that leaves its events unread", async () => {
  await using m = await manager(300_000);
  const { job: running } = m.jobs.create(await m.spec({ table: "items" }), "a");
  const { job: queued } = m.jobs.create(await m.spec({ table: "items", format: "csv" }), "a");
  // Nothing reads this stream: its heartbeats pile up, until it is let go.
  const stream = jobEvents(m.jobs, queued.id, null, { heartbeatMs: 1 })!;
  const reader = stream.getReader();
  // Wide: the running job holds the event loop for 20 ms slices, so the 1 ms timer fires less often.
  await new Promise((r) => setTimeout(r, 2000));
  let error: unknown;
  try {
    for (let i = 0; i < 1000; i++) if ((await reader.read()).done) break;
  } catch (e) {
    error = e;
  }
  assert.match(String(error), /read none of its last events/);
  await m.jobs.remove(queued.id);
  await m.jobs.remove(running.id);
});
