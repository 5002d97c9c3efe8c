import assert from "node:assert/strict";
import { startTestServer } from "../support/server.ts";

Deno.test("GET /healthz answers 200 {status: ok}", async () => {
  await using server = await startTestServer();
  const res = await fetch(`${server.origin}/healthz`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-type"), "application/json");
  assert.equal(res.headers.get("cache-control"), "no-store");
  assert.deepEqual(await res.json(), { status: "ok" });
  const line = await server.waitForLog(/GET \/healthz 200 15B/);
  assert.match(line, / complete$/);
});

Deno.test("unknown path is 404 and wrong method is 405 with Allow", async () => {
  await using server = await startTestServer();
  const missing = await fetch(`${server.origin}/nope`);
  assert.equal(missing.status, 404);
  assert.equal(missing.headers.get("content-type"), "application/problem+json");
  assert.deepEqual(await missing.json(), {
    type: "about:blank",
    title: "Not Found",
    status: 404,
    detail: "Nothing is served at this path",
  });
  const post = await fetch(`${server.origin}/healthz`, { method: "POST", body: "x" });
  assert.equal(post.status, 405);
  assert.equal(post.headers.get("allow"), "GET, HEAD");
  assert.equal((await post.json()).detail, "POST is not allowed here; use GET, HEAD");
});
