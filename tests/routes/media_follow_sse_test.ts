/**
 * `?follow` with `Accept: text/event-stream`: one event per line with its
 * byte offset as `id`, `Last-Event-ID` resumes with no gap and no repeat,
 * heartbeats on a quiet file, never compressed.
 */

import assert from "node:assert/strict";
import { readFollow } from "../support/follow_reader.ts";
import { makeTempTree, startTestServer } from "../support/server.ts";

const SSE = "text/event-stream";

/** The `data` of each message event, and the last id seen. */
function messages(text: string): { data: string[]; lastId: string | undefined } {
  const data: string[] = [];
  let lastId: string | undefined;
  for (const block of text.split("\n\n")) {
    const fields = block.split("\n");
    const id = fields.find((f) => f.startsWith("id: "));
    if (id !== undefined) lastId = id.slice(4);
    if (fields.some((f) => f.startsWith("event: ")) || fields[0].startsWith(":")) continue;
    const line = fields.find((f) => f.startsWith("data: "));
    if (line !== undefined) data.push(line.slice(6));
  }
  return { data, lastId };
}

Deno.test("SSE ?follow: Last-Event-ID resumes where the client got to, with no gap and no repeat", async () => {
  const dir = await makeTempTree({ "app.log": "" });
  const log = `${dir}/app.log`;
  try {
    await using server = await startTestServer(["--media-dir", dir]);
    const url = `${server.origin}/media/app.log?follow`;
    const res = await fetch(url, { headers: { accept: SSE, "accept-encoding": "gzip, br" } });
    assert.equal(res.headers.get("content-type"), "text/event-stream; charset=utf-8");
    assert.equal(res.headers.get("content-encoding"), null, "SSE is never compressed");
    assert.equal(res.headers.get("x-accel-buffering"), "no");
    assert.equal(res.headers.get("cache-control"), "no-store, no-transform");
    const first = readFollow(res);
    for (let i = 1; i <= 5; i++) await Deno.writeTextFile(log, `line ${i}\n`, { append: true });
    await first.until((t) => messages(t).data.length === 5);
    await first.cancel();
    const { lastId } = messages(first.text);
    assert.equal(lastId, String((await Deno.stat(log)).size));
    // Written while the client was away, one of them in two parts.
    for (let i = 6; i <= 8; i++) await Deno.writeTextFile(log, `line ${i}\n`, { append: true });
    await Deno.writeTextFile(log, "line 9 ", { append: true });

    const again = await fetch(url, { headers: { accept: SSE, "last-event-id": lastId! } });
    await using second = readFollow(again);
    await second.until((t) => messages(t).data.length === 3);
    await Deno.writeTextFile(log, "continued\n", { append: true });
    await second.until((t) => messages(t).data.length === 4);
    const all = [...messages(first.text).data, ...messages(second.text).data];
    assert.deepEqual(
      all,
      [1, 2, 3, 4, 5, 6, 7, 8].map((i) => `line ${i}`).concat("line 9 continued"),
    );
    assert.equal(messages(second.text).lastId, String((await Deno.stat(log)).size));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("SSE ?follow: a resume past the end (the file was truncated meanwhile) starts again, and says so", async () => {
  const dir = await makeTempTree({ "app.log": "new\n" });
  try {
    await using server = await startTestServer(["--media-dir", dir]);
    const res = await fetch(`${server.origin}/media/app.log?follow`, {
      headers: { accept: SSE, "last-event-id": "500" },
    });
    await using body = readFollow(res);
    await body.until((t) => t.includes("data: new"));
    assert.equal(body.text, 'event: truncated\nid: 0\ndata: {"size":4}\n\nid: 4\ndata: new\n\n');
    const bad = await fetch(`${server.origin}/media/app.log?follow`, {
      headers: { accept: SSE, "last-event-id": "abc" },
    });
    assert.equal(bad.status, 400);
    assert.equal(
      (await bad.json()).detail,
      "Last-Event-ID must be a byte offset (the id of an event)",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("SSE ?follow: heartbeats on a quiet file (--follow-heartbeat), lines as UTF-8 text, CRLF and lone CR", async () => {
  const dir = await makeTempTree({ "app.log": "crlf\r\nlone\rcr\nümlaut ñ\n" });
  try {
    await using server = await startTestServer(["--media-dir", dir, "--follow-heartbeat", "0.2"]);
    const res = await fetch(`${server.origin}/media/app.log?follow`, { headers: { accept: SSE } });
    await using body = readFollow(res);
    await body.until((t) => t.split(": heartbeat\n\n").length > 2);
    assert.ok(
      body.text.startsWith(
        "id: 6\ndata: crlf\n\nid: 14\ndata: lone\uFFFDcr\n\nid: 25\ndata: ümlaut ñ\n\n: heartbeat\n\n",
      ),
      body.text,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("SSE ?follow: a line longer than 64 KiB comes in pieces whose ids resume mid-line", async () => {
  const long = "x".repeat(70_000);
  const dir = await makeTempTree({ "app.log": `${long}\nshort\n` });
  try {
    await using server = await startTestServer(["--media-dir", dir]);
    const res = await fetch(`${server.origin}/media/app.log?follow`, { headers: { accept: SSE } });
    await using body = readFollow(res);
    await body.until((t) => t.includes("data: short"));
    assert.equal(
      body.text,
      `id: 65536\ndata: ${"x".repeat(65536)}\n\n` +
        `id: 70001\ndata: ${"x".repeat(70_000 - 65536)}\n\n` +
        "id: 70007\ndata: short\n\n",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
