import assert from "node:assert/strict";
import { makeExportDb } from "../support/export_fixture.ts";
import { streamDataRoutes } from "../../routes/stream_data.ts";
import { routeFetch } from "../support/route_fetch.ts";
import { startTestServer } from "../support/server.ts";

const line = (i: number) => `This is data row number ${i}\n`;
const lines = (n: number) => Array.from({ length: n }, (_, i) => line(i)).join("");

async function startServer(extra: string[] = []) {
  const db = await makeExportDb(1, false);
  const server = await startTestServer(["--db", db.path, ...extra]);
  return {
    server,
    async [Symbol.asyncDispose]() {
      await server[Symbol.asyncDispose]();
      await db[Symbol.asyncDispose]();
    },
  };
}

Deno.test("GET /stream-data sends the seed's 100000 lines by default", async () => {
  await using s = await startServer();
  const res = await fetch(`${s.server.origin}/stream-data`, {
    headers: { "accept-encoding": "identity" },
  });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-type"), "text/plain; charset=utf-8");
  assert.equal(res.headers.get("cache-control"), "no-store");
  assert.equal(res.headers.get("x-accel-buffering"), "no");
  assert.equal(res.headers.get("x-total-rows"), "100000");
  assert.equal(await res.text(), lines(100_000));
  await s.server.waitForLog(/GET \/stream-data 200 2988890B .* complete$/);
});

Deno.test("GET /stream-data?rows=N sends exactly N lines, from 0", async () => {
  // The route called directly (its default --max-stream-rows), compressed as the pipeline would.
  const fetch = routeFetch(streamDataRoutes({ maxRows: 10_000_000 }), {});
  for (const rows of [0, 1, 3, 2500]) {
    const res = await fetch(`/stream-data?rows=${rows}`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("x-total-rows"), String(rows));
    assert.equal(await res.text(), lines(rows));
  }
  const head = await fetch(`/stream-data?rows=7`, { method: "HEAD" });
  assert.equal(head.status, 200);
  assert.equal(head.headers.get("x-total-rows"), "7");
  assert.equal(await head.text(), "");
});

Deno.test("GET /stream-data rejects a rows that is not an integer in range", async () => {
  // --max-stream-rows 1000, the route called directly.
  const fetch = routeFetch(streamDataRoutes({ maxRows: 1000 }), {});
  const ok = await fetch(`/stream-data?rows=1000`);
  assert.equal((await ok.text()).split("\n").length, 1001);
  for (const raw of ["1001", "-1", "1.5", "1e3", "", "abc", " 5", "0x10", "99999999999999999999"]) {
    const res = await fetch(`/stream-data?rows=${encodeURIComponent(raw)}`);
    assert.equal(res.status, 400, raw);
    assert.equal(res.headers.get("content-type"), "application/problem+json");
    assert.deepEqual(await res.json(), {
      type: "about:blank",
      title: "Bad Request",
      status: 400,
      detail: `"rows" must be an integer from 0 to 1000; got ${JSON.stringify(raw)}`,
    });
  }
});

Deno.test("GET /stream-data stops producing when the client goes away", async () => {
  await using s = await startServer();
  const controller = new AbortController();
  const res = await fetch(`${s.server.origin}/stream-data?rows=10000000`, {
    signal: controller.signal,
  });
  const reader = res.body!.getReader();
  const first = new TextDecoder().decode((await reader.read()).value);
  assert.ok(first.startsWith(line(0) + line(1)));
  controller.abort();
  await reader.closed.catch(() => {});
  const logged = await s.server.waitForLog(/GET \/stream-data\?rows=10000000 200 \d+B .* aborted$/);
  const bytes = Number(/ (\d+)B /.exec(logged)![1]);
  // Far from the 330 MB the whole answer would be.
  assert.ok(bytes < 64 * 1024 * 1024, `${bytes} bytes sent`);
});
