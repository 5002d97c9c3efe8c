/**
 * `?follow` across what log writers do to files: truncation (copytruncate),
 * rotation (rename, then a new file under the name), deletion; and a binary
 * file, which cannot be restarted in its own bytes.
 */

import assert from "node:assert/strict";
import { openFdsBelow, waitFor } from "../support/http.ts";
import { readFollow } from "../support/follow_reader.ts";
import { makeTempTree, startTestServer } from "../support/server.ts";

const SSE = { accept: "text/event-stream" };

Deno.test("?follow: truncation and rotation are told in the stream, and following goes on from the new start", async () => {
  const dir = await makeTempTree({ "app.log": "one\ntwo\n" });
  const log = `${dir}/app.log`;
  try {
    await using server = await startTestServer(["--media-dir", dir]);
    await using plain = readFollow(await fetch(`${server.origin}/media/app.log?follow`));
    await using sse = readFollow(
      await fetch(`${server.origin}/media/app.log?follow`, { headers: SSE }),
    );
    await plain.until((t) => t === "one\ntwo\n");
    await sse.until((t) => t.endsWith("data: two\n\n"));

    await Deno.truncate(log, 0);
    // Seen before the next write (one that outgrew the old size first would go unnoticed).
    await plain.until((t) => t.includes("truncated"));
    await sse.until((t) => t.includes("truncated"));
    await Deno.writeTextFile(log, "three\n", { append: true });
    await plain.until((t) => t.endsWith("three\n"));
    await sse.until((t) => t.endsWith("data: three\n\n"));

    // logrotate's default: rename, then create the name anew.
    await Deno.rename(log, `${log}.1`);
    await Deno.writeTextFile(`${log}.1`, "last words of the old file\n", { append: true });
    await Deno.writeTextFile(log, "fresh\n");
    await plain.until((t) => t.endsWith("fresh\n"));
    await sse.until((t) => t.endsWith("data: fresh\n\n"));

    assert.equal(
      plain.text,
      "one\ntwo\n" +
        "\n==> sluice: app.log was truncated; following from its start <==\n" +
        "three\n" +
        // Written to the old file after the rename, before the new one came: still sent.
        "last words of the old file\n" +
        "\n==> sluice: app.log was replaced; following from its start <==\n" +
        "fresh\n",
    );
    assert.equal(
      sse.text,
      "id: 4\ndata: one\n\n" +
        "id: 8\ndata: two\n\n" +
        'event: truncated\nid: 0\ndata: {"size":0}\n\n' +
        "id: 6\ndata: three\n\n" +
        "id: 33\ndata: last words of the old file\n\n" +
        "event: rotated\nid: 0\ndata: {}\n\n" +
        "id: 6\ndata: fresh\n\n",
    );
    // Only the new file is held open now (the old one was closed at the switch).
    assert.ok(
      await waitFor(async () => (await openFdsBelow(dir)) === 2),
      "two follows, one file each",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("?follow: a deleted file ends the stream cleanly, after its last bytes", async () => {
  const dir = await makeTempTree({ "app.log": "one\n" });
  try {
    await using server = await startTestServer(["--media-dir", dir]);
    await using plain = readFollow(await fetch(`${server.origin}/media/app.log?follow`));
    await using sse = readFollow(
      await fetch(`${server.origin}/media/app.log?follow`, { headers: SSE }),
    );
    await plain.until((t) => t === "one\n");
    await sse.until((t) => t.endsWith("data: one\n\n"));
    await Deno.writeTextFile(`${dir}/app.log`, "a last partial line", { append: true });
    await Deno.remove(`${dir}/app.log`);
    assert.equal(await plain.end(), "clean");
    assert.equal(await sse.end(), "clean");
    assert.equal(
      plain.text,
      "one\na last partial line\n==> sluice: app.log is gone; following ended <==\n",
    );
    assert.equal(
      sse.text,
      "id: 4\ndata: one\n\nid: 23\ndata: a last partial line\n\nevent: gone\ndata: {}\n\n",
    );
    assert.equal(await openFdsBelow(dir), 0);
    await server.waitForLog(/GET \/media\/app\.log\?follow 200 \d+B .* complete/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("?follow: a binary file that is truncated fails the transfer rather than splice", async () => {
  const dir = await makeTempTree({ "rec.bin": new Uint8Array([1, 2, 3, 4]) });
  try {
    await using server = await startTestServer(["--media-dir", dir]);
    const res = await fetch(`${server.origin}/media/rec.bin?follow`);
    assert.equal(res.headers.get("content-type"), "application/octet-stream");
    const reader = res.body!.getReader();
    const first = await reader.read();
    assert.deepEqual(first.value, new Uint8Array([1, 2, 3, 4]));
    await Deno.truncate(`${dir}/rec.bin`, 1);
    await assert.rejects(async () => {
      for (let i = 0; i < 100; i++) if ((await reader.read()).done) return;
    });
    await server.waitForLog(
      /GET \/media\/rec\.bin\?follow 200 4B .* failed .*rec\.bin was truncated; a binary follow cannot restart/,
    );
    assert.ok(await waitFor(async () => (await openFdsBelow(dir)) === 0));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("?follow: a name swapped for a symlink that leads outside is not followed there", async () => {
  const dir = await makeTempTree({ "media/app.log": "one\n", "outside.txt": "SECRET\n" });
  try {
    await using server = await startTestServer(["--media-dir", `${dir}/media`]);
    await using plain = readFollow(await fetch(`${server.origin}/media/app.log?follow`));
    await plain.until((t) => t === "one\n");
    await Deno.rename(`${dir}/media/app.log`, `${dir}/media/app.log.1`);
    await Deno.symlink(`${dir}/outside.txt`, `${dir}/media/app.log`);
    // Outside the folder counts as nothing there: the follow ends as for a deleted file.
    assert.equal(await plain.end(), "clean");
    assert.equal(plain.text, "one\n\n==> sluice: app.log is gone; following ended <==\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
