import assert from "node:assert/strict";
import { jobsServer, postJob, runJob, waitForJob } from "../support/jobs_fixture.ts";

/** One parsed SSE event. */
interface Event {
  id?: string;
  event?: string;
  data?: string;
  comment?: string;
}

/** Reads a whole event stream (bounded) into events. */
async function readEvents(res: Response, max = 10_000): Promise<Event[]> {
  const text = await res.text();
  const events: Event[] = [];
  for (const block of text.split("\n\n").slice(0, max)) {
    if (block === "") continue;
    const event: Event = {};
    for (const line of block.split("\n")) {
      if (line.startsWith(":")) event.comment = line.slice(1).trim();
      const [, field, value] = /^(\w+): ?(.*)$/.exec(line) ?? [];
      if (field === "id" || field === "event" || field === "data") event[field] = value;
    }
    events.push(event);
  }
  return events;
}

Deno.test("GET /jobs/{id}/events: progress at most every 250 ms, ids that grow, a final done", async () => {
  await using s = await jobsServer(10);
  // Long enough for several progress events, whatever the machine's speed.
  const job = await (await postJob(s.origin, { table: "endless", format: "csv", limit: 3_000_000 }))
    .json();
  const res = await fetch(`${s.origin}/jobs/${job.id}/events`, {
    headers: { "accept-encoding": "gzip" },
  });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-type"), "text/event-stream; charset=utf-8");
  assert.equal(res.headers.get("content-encoding"), null);
  assert.equal(res.headers.get("x-accel-buffering"), "no");
  assert.equal(res.headers.get("cache-control"), "no-cache, no-transform");
  const events = await readEvents(res);
  const data = events.filter((e) => e.data !== undefined);
  const last = data.at(-1)!;
  assert.equal(last.event, "done");
  const final = JSON.parse(last.data!);
  assert.equal(final.rows, 3_000_000);
  assert.equal(final.result.url, `/jobs/${job.id}/result`);
  const progress = data.filter((e) => e.event === "progress").map((e) => JSON.parse(e.data!));
  assert.ok(progress.length >= 1, `${progress.length} progress events`);
  for (let i = 1; i < progress.length; i++) assert.ok(progress[i].rows >= progress[i - 1].rows);
  const ids = data.map((e) => Number(e.id));
  for (let i = 1; i < ids.length; i++) assert.ok(ids[i] > ids[i - 1], `${ids}`);
  // Paced: the job took (finished - started) ms, and events came no faster than every 250 ms
  // (the first and the final one are extra).
  const ms = Date.parse(final.finished) - Date.parse(final.started);
  assert.ok(progress.length <= Math.ceil(ms / 250) + 2, `${progress.length} events in ${ms} ms`);
});

Deno.test("Last-Event-ID resumes the events; after the final one the answer is 204", async () => {
  await using s = await jobsServer(100);
  const job = await runJob(s.origin, { table: "items", format: "csv" });
  const first = await readEvents(await fetch(`${s.origin}/jobs/${job.id}/events`));
  const done = first.find((e) => e.event === "done")!;
  assert.equal(JSON.parse(done.data!).state, "done");
  const older = await readEvents(
    await fetch(`${s.origin}/jobs/${job.id}/events`, {
      headers: { "last-event-id": String(Number(done.id) - 1) },
    }),
  );
  assert.deepEqual(older.filter((e) => e.data).map((e) => [e.id, e.event]), [[done.id, "done"]]);
  const seen = await fetch(`${s.origin}/jobs/${job.id}/events`, {
    headers: { "last-event-id": done.id! },
  });
  assert.equal(seen.status, 204);
  assert.equal(await seen.text(), "");
});

Deno.test("a queued job's stream shows it start; a cancelled one ends with cancelled", async () => {
  await using s = await jobsServer(10, ["--jobs-concurrency", "1"]);
  const running = await (await postJob(s.origin, { table: "endless", format: "ndjson" })).json();
  const queued = await (await postJob(s.origin, { table: "items", format: "csv" })).json();
  const stream = fetch(`${s.origin}/jobs/${queued.id}/events`).then(readEvents);
  await fetch(`${s.origin}/jobs/${queued.id}`, { method: "DELETE" });
  const events = (await stream).filter((e) => e.data !== undefined);
  assert.equal(JSON.parse(events[0].data!).state, "queued");
  assert.equal(events.at(-1)!.event, "cancelled");
  await fetch(`${s.origin}/jobs/${running.id}`, { method: "DELETE" });
  await waitForJob(s.origin, running.id, ["cancelled"]);
});

Deno.test("HEAD /jobs/{id}/events answers the headers at once, with no body", async () => {
  await using s = await jobsServer(10, ["--jobs-concurrency", "1"]);
  const running = await (await postJob(s.origin, { table: "endless", format: "ndjson" })).json();
  const res = await fetch(`${s.origin}/jobs/${running.id}/events`, { method: "HEAD" });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-type"), "text/event-stream; charset=utf-8");
  assert.equal(await res.text(), "");
  await fetch(`${s.origin}/jobs/${running.id}`, { method: "DELETE" });
});
