/**
 * What a hostile client can do to the logs and to the status: an over-long
 * name is a 404 (not a 500 with a stack trace), and no request can add a
 * line or a record of its own to the log, in text or JSON.
 */
import assert from "node:assert/strict";
import { Router } from "../../lib/http/router.ts";
import { InFlight } from "../../lib/server/in_flight.ts";
import { Metrics } from "../../lib/server/metrics.ts";
import { createHandler } from "../../lib/server/request_pipeline.ts";
import { StallWatch } from "../../lib/server/stall_watch.ts";
import { StreamSlots } from "../../lib/server/stream_slots.ts";
import { makeTempTree, startTestServer } from "../support/server.ts";

const LONG = "a".repeat(300);
// A newline, then a whole forged JSON record, then a name too long for the file system.
const FORGED = "%0A%7B%22forged%22%3Atrue%7D%0D%1B%5B31m%C2%85" + LONG;

/** Every line is one line, and in JSON mode one object. */
function assertOneLineEach(logs: string[], format: "text" | "json") {
  for (const line of logs) {
    const raw = ["\n", "\r", "\x1b", "\x85", "\u2028", "\u2029"].filter((c) => line.includes(c));
    assert.deepEqual(raw, [], JSON.stringify(line));
    if (format === "json") assert.equal(typeof JSON.parse(line), "object", line);
    assert.doesNotMatch(line, /^\{"forged"/);
  }
}

for (const format of ["text", "json"] as const) {
  Deno.test(`a path segment over 255 bytes is 404 and logs one ${format} line`, async () => {
    const dir = await makeTempTree({ "a.txt": "a\n" });
    try {
      await using server = await startTestServer(["--media-dir", dir, "--log-format", format]);
      const paths = [
        `/media/${LONG}`,
        `/media/${FORGED}`,
        `/stream-video/${FORGED}`,
        `/ui/${LONG}.js`,
      ];
      for (const path of paths) {
        const res = await fetch(`${server.origin}${path}`);
        assert.equal(res.status, 404, path);
        assert.deepEqual(await res.json(), {
          type: "about:blank",
          title: "Not Found",
          status: 404,
          detail: "No such file",
        });
      }
      // Twenty 250-byte names: each fits, the whole path does not (PATH_MAX).
      const deep = `/media/${Array.from({ length: 20 }, () => "b".repeat(250)).join("/")}`;
      const res = await fetch(`${server.origin}${deep}`);
      assert.equal(res.status, 404);
      await res.body?.cancel();
      await server.waitForLog(/bbbb/);
      assert.equal(server.logs.length, 5, server.logs.join("\n"));
      assertOneLineEach(server.logs, format);
      assert.ok(server.logs.every((line) => !/error:|"stack"/.test(line)));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

/** A pipeline on a real socket whose one route fails with a hostile message. */
async function withFailingRoute(
  format: "text" | "json",
  test: (origin: string, logs: string[]) => Promise<void>,
) {
  const logs: string[] = [];
  const handler = createHandler({
    router: new Router([{
      name: "boom",
      methods: ["GET"],
      pathname: "/boom/:what",
      handler: (_req, params) => {
        throw new Error(`cannot read "${decodeURIComponent(params.what!)}"`);
      },
    }]),
    health: { draining: false },
    compression: undefined,
    metrics: new Metrics(),
    slots: new StreamSlots(0, 0),
    stallWatch: new StallWatch(0),
    inFlight: new InFlight(),
    log: (line) => logs.push(line),
    logFormat: format,
    clientIpHeader: "",
    maxStreams: 0,
    rateLimit: 0,
    rateLimitAfter: 0,
  });
  await using server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, handler);
  await test(`http://127.0.0.1:${server.addr.port}`, logs);
}

Deno.test("an unexpected error is one JSON record with its stack as a field", async () => {
  await withFailingRoute("json", async (origin, logs) => {
    const res = await fetch(`${origin}/boom/x%0A%7B%22forged%22%3Atrue%7D`, {
      headers: { "x-request-id": "boom-1" },
    });
    assert.equal(res.status, 500);
    await res.body?.cancel();
    for (let i = 0; i < 100 && logs.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(logs.length, 2, logs.join("\n"));
    assertOneLineEach(logs, "json");
    const error = JSON.parse(logs[0]);
    assert.deepEqual(Object.keys(error), ["time", "request_id", "error", "stack"]);
    assert.equal(error.request_id, "boom-1");
    assert.equal(error.error, 'cannot read "x\n{"forged":true}"');
    assert.match(error.stack, /^Error: cannot read "x\n\{"forged":true\}"\n\s+at /);
    assert.equal(JSON.parse(logs[1]).status, 500);
  });
});

Deno.test("an unexpected error is one text line with its stack escaped", async () => {
  await withFailingRoute("text", async (origin, logs) => {
    const res = await fetch(`${origin}/boom/x%0Dy%E2%80%A8z`, {
      headers: { "x-request-id": "boom-2" },
    });
    assert.equal(res.status, 500);
    await res.body?.cancel();
    for (let i = 0; i < 100 && logs.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(logs.length, 2, logs.join("\n"));
    assertOneLineEach(logs, "text");
    assert.match(logs[0], /^\S+Z boom-2 error: Error: cannot read "x\\ry\\u2028z"\\n\s+at /);
  });
});
