/**
 * With access control on, a job belongs to the token that made them: another
 * token (without `*`) sees no trace of it, and a token limited to some tables
 * cannot export others through a job.
 */

import assert from "node:assert/strict";
import { startAccessServer } from "../support/access_fixture.ts";

Deno.test("jobs belong to the token that made them; others get 404, * sees all", async () => {
  await using s = await startAccessServer();
  const call = (path: string, token: "jobber" | "jobber2" | "all", init: RequestInit = {}) =>
    fetch(`${s.server.origin}${path}`, {
      ...init,
      headers: { accept: "application/json", ...s.auth(token), ...init.headers },
    });
  const made = await call("/jobs", "jobber", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ table: "plain", format: "csv" }),
  });
  assert.equal(made.status, 202);
  const { id } = await made.json();
  let job: { state: string; result?: { url: string } } = { state: "queued" };
  for (let i = 0; i < 100 && job.state !== "done"; i++) {
    await new Promise((r) => setTimeout(r, 100));
    job = await (await call(`/jobs/${id}`, "jobber")).json();
  }
  assert.equal(job.state, "done");
  const result = await call(job.result!.url, "jobber");
  assert.equal(await result.text(), "name\r\nfirst\r\nsecond\r\n");

  for (const path of [`/jobs/${id}`, `/jobs/${id}/result`, `/jobs/${id}/events`]) {
    const other = await call(path, "jobber2");
    assert.equal(other.status, 404, path);
    assert.equal((await other.json()).detail, `No job "${id}"`);
  }
  // Links: the owner may have one (and it works with no token); another token may not.
  const sign = (token: "jobber" | "jobber2") =>
    call("/sign", token, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ paths: [job.result!.url, `/jobs/${id}/events`] }),
    });
  const theirs = await sign("jobber2");
  assert.equal(theirs.status, 403);
  assert.equal(
    (await theirs.json()).detail,
    `Cannot sign ${JSON.stringify(job.result!.url)}: this token may not GET it`,
  );
  const own = await sign("jobber");
  assert.equal(own.status, 200);
  const { links } = await own.json();
  const linked = await fetch(`${s.server.origin}${links[0].url}`);
  assert.equal(await linked.text(), "name\r\nfirst\r\nsecond\r\n");
  const removed = await call(`/jobs/${id}`, "jobber2", { method: "DELETE" });
  assert.equal(removed.status, 404);
  await removed.body?.cancel();
  const ids = async (token: "jobber" | "jobber2" | "all") =>
    (await (await call("/jobs", token)).json()).jobs.map((j: { id: string }) => j.id);
  assert.deepEqual(await ids("jobber2"), []);
  assert.deepEqual(await ids("jobber"), [id]);
  assert.deepEqual(await ids("all"), [id]);
  const seen = await call(`/jobs/${id}`, "all");
  assert.equal((await seen.json()).state, "done");

  const elsewhere = await call("/jobs", "jobber", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ table: "items", format: "csv" }),
  });
  assert.equal(elsewhere.status, 403);
  assert.equal((await elsewhere.json()).detail, 'The token "jobber" has no export:items scope');
});
