/**
 * `?follow` among the server's limits: it holds a `--max-streams` slot, the
 * stall timeout leaves a keeping-up client alone while there is nothing to
 * send, a drain ends it cleanly, and `/metrics` counts it as `media_follow`.
 */

import assert from "node:assert/strict";
import { waitFor } from "../support/http.ts";
import { readFollow } from "../support/follow_reader.ts";
import { parseMetrics, sampleValue } from "../support/prom_text.ts";
import { makeTempTree, startTestServer } from "../support/server.ts";
import { spawnSluice } from "../support/sluice_process.ts";

Deno.test("?follow holds a --max-streams slot until the client leaves", async () => {
  const dir = await makeTempTree({ "app.log": "one\n" });
  try {
    await using server = await startTestServer([
      "--media-dir",
      dir,
      "--max-streams",
      "1",
      "--max-streams-per-client",
      "0",
    ]);
    const body = readFollow(await fetch(`${server.origin}/media/app.log?follow`));
    await body.until((t) => t === "one\n");
    const refused = await fetch(`${server.origin}/media/app.log`);
    assert.equal(refused.status, 503);
    assert.equal((await refused.json()).detail, "The server is sending 1 stream already");
    await body.cancel();
    assert.ok(
      await waitFor(async () => {
        const res = await fetch(`${server.origin}/media/app.log`);
        const text = await res.text();
        return res.status === 200 && text === "one\n";
      }),
      "the slot comes back when the follower leaves",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("?follow of a quiet file outlives the stall timeout while the client keeps up", async () => {
  const dir = await makeTempTree({ "app.log": "one\n" });
  try {
    await using server = await startTestServer(["--media-dir", dir, "--stall-timeout", "0.5"]);
    await using body = readFollow(await fetch(`${server.origin}/media/app.log?follow`));
    await body.until((t) => t === "one\n");
    // Three stall timeouts with nothing to send: the client took everything there was.
    await new Promise((r) => setTimeout(r, 1500));
    await Deno.writeTextFile(`${dir}/app.log`, "two\n", { append: true });
    await body.until((t) => t === "one\ntwo\n");
    assert.equal(body.ended, "open");
    assert.ok(!server.logs.some((l) => l.includes("stall")), server.logs.join("\n"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a drain ends every follow cleanly (not cut off), and /metrics counted them as media_follow", async () => {
  const dir = await makeTempTree({ "app.log": "one\n" });
  try {
    // A drain timeout far longer than any wait below: a cut-off would be an error, not an end.
    const server = await startTestServer(["--media-dir", dir, "--drain-timeout", "60"]);
    try {
      const plain = readFollow(await fetch(`${server.origin}/media/app.log?follow`));
      const sse = readFollow(
        await fetch(`${server.origin}/media/app.log?follow`, {
          headers: { accept: "text/event-stream" },
        }),
      );
      await plain.until((t) => t === "one\n");
      await sse.until((t) => t === "id: 4\ndata: one\n\n");
      const scrape = parseMetrics(await (await fetch(`${server.origin}/metrics`)).text());
      assert.equal(sampleValue(scrape, "sluice_active_streams"), 2);

      // Only a clean end of both lets the drain finish before its 60 s.
      await server[Symbol.asyncDispose]();
      assert.equal(await plain.end(), "clean");
      assert.equal(await sse.end(), "clean");
      assert.equal(plain.text, "one\n");
      assert.equal(sse.text, "id: 4\ndata: one\n\n");
      await server.waitForLog(/GET \/media\/app\.log\?follow 200 4B .* complete/);
      await server.waitForLog(/GET \/media\/app\.log\?follow 200 17B .* complete/);
    } finally {
      await server[Symbol.asyncDispose]();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("/metrics counts follows as the media_follow route", async () => {
  const dir = await makeTempTree({ "app.log": "one\n" });
  try {
    await using server = await startTestServer(["--media-dir", dir]);
    const body = readFollow(await fetch(`${server.origin}/media/app.log?follow`));
    await body.until((t) => t === "one\n");
    await Deno.remove(`${dir}/app.log`);
    assert.equal(await body.end(), "clean");
    await server.waitForLog(/GET \/media\/app\.log\?follow 200/);
    const scrape = parseMetrics(await (await fetch(`${server.origin}/metrics`)).text());
    const route = { route: "media_follow" };
    assert.equal(sampleValue(scrape, "sluice_streams_total", { ...route, outcome: "complete" }), 1);
    assert.equal(
      sampleValue(scrape, "sluice_requests_total", { ...route, method: "GET", status: "200" }),
      1,
    );
    assert.ok(sampleValue(scrape, "sluice_sent_bytes_total", route) > 4);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("SIGTERM: a follow ends cleanly and the process exits 0 without waiting out the drain", async () => {
  const dir = await makeTempTree({ "app.log": "one\n" });
  using client = Deno.createHttpClient({});
  try {
    await using proc = spawnSluice(["--port", "0", "--media-dir", dir, "--drain-timeout", "60"]);
    const origin = await proc.origin();
    const body = readFollow(
      await fetch(`${origin}/media/app.log?follow`, {
        client,
        headers: { accept: "text/event-stream" },
      }),
    );
    await body.until((t) => t === "id: 4\ndata: one\n\n");
    proc.child.kill("SIGTERM");
    // Exiting before the 60 s drain timeout is the proof that the follow ended on its own.
    const status = await proc.exitWithin(30_000);
    assert.equal(status.code, 0);
    assert.equal(await body.end(), "clean");
    assert.equal(body.text, "id: 4\ndata: one\n\n");
    await proc.waitForLine(/GET \/media\/app\.log\?follow 200 17B .* complete/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
