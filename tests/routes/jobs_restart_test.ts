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

const ROWS = 300_000;

const SPECS = [
  // Filtered and ordered: its checkpoints hold resume tokens (price,id), not bare keys.
  { table: "items", format: "csv", filters: "quantity=lt.900", order: "price.desc" },
  { table: "items", format: "json", gzip: true, columns: ["id", "note", "price"] },
];

/** Starts two jobs and waits until both have checkpointed. */
async function startJobsAndCheckpoint(origin: string, dir: string): Promise<Job[]> {
  const jobs: Job[] = [];
  for (const spec of SPECS) jobs.push(await (await postJob(origin, spec)).json());
  let states: string[] = [];
  const checkpointed = await waitFor(() => {
    const stored = storedJobs(dir);
    states = jobs.map((j) => stored.get(j.id)?.state ?? "?");
    // A job that ended before its first checkpoint would never make one: stop waiting.
    if (states.some((s) => s !== "running" && s !== "queued")) return true;
    return jobs.every((j) => stored.get(j.id)?.checkpoint != null);
  }, 60_000);
  assert.ok(checkpointed, "both jobs checkpoint within 60 s");
  assert.deepEqual(states, ["running", "running"], "both jobs are still running when stopped");
  return jobs;
}

/** After the restart: each job resumed from its checkpoint and equals an uninterrupted run. */
async function assertResumedAndIdentical(
  proc: ReturnType<typeof spawnSluice>,
  origin: string,
  jobs: Job[],
  checkpoints: Map<string, number>,
) {
  for (const job of jobs) {
    const [, row] = await proc.waitForLine(new RegExp(`job ${job.id} resumes after row (\\d+)`));
    assert.equal(Number(row), checkpoints.get(job.id));
    assert.ok(Number(row) > 0 && Number(row) < ROWS, row);
  }
  const [csv, json] = await Promise.all(jobs.map((j) => waitForJob(origin, j.id)));
  assert.equal(csv.state, "done");
  assert.equal(csv.rows, ROWS * 0.9); // quantity cycles through 0-999 evenly
  const csvBytes = await bytesOf(origin, csv.result.url);
  assert.deepEqual(
    csvBytes,
    await bytesOf(origin, "/export/items.csv?quantity=lt.900&order=price.desc"),
  );
  assert.equal(csv.result.digest, await sha256Field(csvBytes));
  assert.equal(json.state, "done");
  const gz = await bytesOf(origin, json.result.url);
  assert.equal(json.result.digest, await sha256Field(gz));
  assert.deepEqual(
    await gunzip(gz),
    await bytesOf(origin, "/export/items.json?columns=id,note,price"),
  );
  // The same job run without interruption makes the same gzip bytes.
  const fresh = await runJob(origin, SPECS[1]);
  assert.equal(fresh.result.digest, json.result.digest);
}

/**
 * Starts two jobs, stops the server with `signal` once both checkpointed, checks
 * the state left in jobs.db, then starts it again and checks the results.
 */
async function stopAndRestart(signal: "SIGKILL" | "SIGTERM", stateLeft: string) {
  await using db = await makeExportDb(ROWS, false);
  await using data = await dataFolder();
  // Checkpoints every 50 ms: the jobs are stopped long before they could finish.
  const args = [
    "--port",
    "0",
    "--db",
    db.path,
    "--data-dir",
    data.relative,
    "--jobs-checkpoint",
    "0.05",
  ];
  args.push("--media-dir", db.dir);
  let jobs: Job[];
  {
    await using first = spawnSluice(args);
    jobs = await startJobsAndCheckpoint(await first.origin(), data.absolute);
    first.child.kill(signal);
    const status = await first.exitWithin(20_000);
    // SIGKILL: killed outright; SIGTERM: drained, exit 0.
    if (signal === "SIGKILL") assert.equal(status.signal, "SIGKILL");
    else assert.equal(status.code, 0);
  }
  const stored = storedJobs(data.absolute);
  const checkpoints = new Map<string, number>();
  for (const job of jobs) {
    assert.equal(stored.get(job.id)?.state, stateLeft);
    checkpoints.set(job.id, JSON.parse(stored.get(job.id)!.checkpoint!).rows);
  }
  await using second = spawnSluice(args);
  await assertResumedAndIdentical(second, await second.origin(), jobs, checkpoints);
}

Deno.test({
  name: "a server killed with SIGKILL mid-job resumes it from its checkpoint, byte-identical",
  sanitizeResources: false,
  fn: () => stopAndRestart("SIGKILL", "running"),
});

Deno.test({
  name: "SIGTERM checkpoints running jobs and stops them; the next start finishes them",
  sanitizeResources: false,
  fn: () => stopAndRestart("SIGTERM", "queued"),
});
