/**
 * A server with jobs on a fresh export database, and helpers to post jobs and
 * wait for them.
 *
 * @module
 */

import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { fileURLToPath } from "node:url";
import { makeExportDb } from "./export_fixture.ts";
import { waitFor } from "./http.ts";
import { startTestServer } from "./server.ts";

/** A job's JSON, as the server sends it. */
// deno-lint-ignore no-explicit-any
export type Job = Record<string, any>;

/** Posts a job as JSON. */
export function postJob(
  origin: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(`${origin}/jobs`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

/** Reads a job. */
export async function getJob(origin: string, id: string): Promise<Job> {
  const res = await fetch(`${origin}/jobs/${id}`);
  assert.equal(res.status, 200, await res.clone().text());
  return await res.json();
}

/** Waits (bounded) until the job is in one of `states`, and returns it. */
export async function waitForJob(
  origin: string,
  id: string,
  states = ["done", "failed", "cancelled"],
  ms = 60_000,
): Promise<Job> {
  let job: Job = {};
  const reached = await waitFor(async () => {
    job = await getJob(origin, id);
    return states.includes(job.state);
  }, ms);
  assert.ok(reached, `job ${id} is ${job.state}, not ${states.join("/")}, after ${ms} ms`);
  return job;
}

/** Posts a job, expects 202, and waits for it to finish. */
export async function runJob(origin: string, body: unknown): Promise<Job> {
  const res = await postJob(origin, body);
  assert.equal(res.status, 202, await res.clone().text());
  const job = await res.json();
  return await waitForJob(origin, job.id);
}

/** The bytes of a URL, asked for without compression. */
export async function bytesOf(origin: string, path: string): Promise<Uint8Array<ArrayBuffer>> {
  const res = await fetch(`${origin}${path}`, { headers: { "accept-encoding": "identity" } });
  assert.equal(res.status, 200, path);
  return new Uint8Array(await res.arrayBuffer());
}

/** `sha-256=:…:` of some bytes. */
export async function sha256Field(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return `sha-256=:${btoa(String.fromCharCode(...digest))}:`;
}

/** Gunzips (one member). */
export async function gunzip(bytes: Uint8Array<ArrayBuffer>): Promise<Uint8Array> {
  const stream = ReadableStream.from([bytes]).pipeThrough(new DecompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/**
 * `endless`: a view of a billion numbered rows, made as they are read, so a
 * job on it runs as long as a test needs it to (with `limit` it ends).
 */
const ENDLESS = `CREATE VIEW endless AS
  WITH RECURSIVE n(id) AS (SELECT 1 UNION ALL SELECT id + 1 FROM n LIMIT 1000000000)
  SELECT id FROM n`;

/** A server with `rows` demo items, the extra tables, `endless`, and jobs in a temp folder. */
export async function jobsServer(rows: number, args: string[] = []) {
  const db = await makeExportDb(rows);
  const sqlite = new DatabaseSync(db.path);
  try {
    sqlite.exec(ENDLESS);
  } finally {
    sqlite.close();
  }
  const server = await startTestServer(["--db", db.path, ...args]);
  return {
    db,
    origin: server.origin,
    server,
    async [Symbol.asyncDispose]() {
      await server[Symbol.asyncDispose]();
      await db[Symbol.asyncDispose]();
    },
  };
}

const REPO = fileURLToPath(new URL("../..", import.meta.url));

/** A data folder the spawned server may write (its --allow-write is ./data). */
export async function dataFolder() {
  const relative = `data/test-jobs-${crypto.randomUUID()}`;
  await Deno.mkdir(`${REPO}/${relative}`, { recursive: true });
  return {
    relative,
    absolute: `${REPO}/${relative}`,
    [Symbol.asyncDispose]: () => Deno.remove(`${REPO}/${relative}`, { recursive: true }),
  };
}

/** Each job's state and checkpoint, read from jobs.db as a restarted server will. */
export function storedJobs(dir: string): Map<string, { state: string; checkpoint: string | null }> {
  const db = new DatabaseSync(`${dir}/jobs.db`, { readOnly: true });
  try {
    const rows = db.prepare("SELECT id, state, checkpoint FROM jobs").all() as {
      id: string;
      state: string;
      checkpoint: string | null;
    }[];
    return new Map(rows.map((r) => [r.id, r]));
  } finally {
    db.close();
  }
}
