/**
 * `GET /media/{file}?follow` over a real socket, as plain bytes: the file,
 * then what a writer appends while the client follows; where to start
 * (`from`); refusals; HEAD; a client that leaves.
 */

import assert from "node:assert/strict";
import { openFdsBelow, waitFor } from "../support/http.ts";
import { readFollow } from "../support/follow_reader.ts";
import { makeTempTree, startTestServer } from "../support/server.ts";

async function append(path: string, text: string): Promise<void> {
  await Deno.writeTextFile(path, text, { append: true });
}

Deno.test("?follow: sends the file, then each line a writer appends, as it is appended", async () => {
  const dir = await makeTempTree({ "app.log": "one\ntwo\n" });
  try {
    await using server = await startTestServer(["--media-dir", dir]);
    const res = await fetch(`${server.origin}/media/app.log?follow`, {
      headers: { "accept-encoding": "gzip, br" },
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "text/plain; charset=utf-8");
    assert.equal(res.headers.get("cache-control"), "no-store, no-transform");
    assert.equal(res.headers.get("x-accel-buffering"), "no");
    assert.equal(res.headers.get("content-encoding"), null, "never compressed");
    assert.equal(res.headers.get("content-length"), null);
    assert.equal(res.headers.get("etag"), null);
    await using body = readFollow(res);
    let expected = "one\ntwo\n";
    await body.until((t) => t === expected);
    // Each line must arrive before the next is written: the writer waits for
    // the client, so nothing can be batched up at the end.
    for (let i = 1; i <= 20; i++) {
      await append(`${dir}/app.log`, `line ${i}\n`);
      expected += `line ${i}\n`;
      await body.until((t) => t === expected);
    }
    // A line written in two parts arrives as its parts.
    await append(`${dir}/app.log`, "half");
    await body.until((t) => t === expected + "half");
    await append(`${dir}/app.log`, " and half\n");
    await body.until((t) => t === expected + "half and half\n");
    assert.equal(body.ended, "open");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("?follow&from=-N starts at the last N bytes, from=N at byte N", async () => {
  const cases = [["-4", "789\n"], ["3", "3456789\n"], ["-100", "0123456789\n"], ["11", ""]];
  const dir = await makeTempTree(
    Object.fromEntries(cases.map((_, i) => [`app${i}.log`, "0123456789\n"])),
  );
  try {
    await using server = await startTestServer(["--media-dir", dir]);
    for (const [i, [from, first]] of cases.entries()) {
      const res = await fetch(`${server.origin}/media/app${i}.log?follow&from=${from}`);
      assert.equal(res.status, 200);
      await using body = readFollow(res);
      await body.until((t) => t === first);
      await append(`${dir}/app${i}.log`, `after ${from}\n`);
      await body.until((t) => t === `${first}after ${from}\n`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("?follow refuses what it cannot follow, with a problem each", async () => {
  const dir = await makeTempTree({
    "app.log": "abc\n",
    "sub/x.log": "x\n",
    ".hidden.log": "SECRET\n",
  });
  try {
    // A FIFO would block the open until a writer came; outside links are not there.
    await new Deno.Command("mkfifo", { args: [`${dir}/pipe.log`] }).output();
    await Deno.symlink("/dev/zero", `${dir}/zero.log`);
    await using server = await startTestServer(["--media-dir", dir]);
    const cases: [string, number, string][] = [
      ["/media/pipe.log?follow", 404, "No such file"],
      ["/media/zero.log?follow", 404, "No such file"],
      ["/media/app.log?follow&from=99", 416, "from=99 is past the end (4 bytes)"],
      [
        "/media/app.log?follow&from=abc",
        400,
        'from must be N (an offset) or -N (the last N bytes), not "abc"',
      ],
      [
        "/media/app.log?follow&from=--1",
        400,
        'from must be N (an offset) or -N (the last N bytes), not "--1"',
      ],
      [
        `/media/app.log?follow&from=${"9".repeat(60)}`,
        400,
        `from must be N (an offset) or -N (the last N bytes), not "${"9".repeat(40)}..."`,
      ],
      ["/media/sub?follow", 400, "A folder cannot be followed; name a file"],
      ["/media/missing.log?follow", 404, "No such file"],
      ["/media/.hidden.log?follow", 404, "No such file"],
      ["/media/%2e%2e/etc/passwd?follow", 404, "Nothing is served at this path"],
      ["/media/app.log/?follow", 404, "No such file"],
    ];
    for (const [path, status, detail] of cases) {
      const res = await fetch(`${server.origin}${path}`);
      assert.equal(res.status, status, path);
      assert.equal(res.headers.get("content-type"), "application/problem+json", path);
      assert.equal((await res.json()).detail, detail, path);
    }
    const res = await fetch(`${server.origin}/media/app.log?follow&from=99`);
    assert.equal(res.headers.get("content-range"), "bytes */4");
    await res.body?.cancel();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("HEAD ?follow gives the headers and opens nothing", async () => {
  const dir = await makeTempTree({ "app.log": "abc\n" });
  try {
    await using server = await startTestServer(["--media-dir", dir]);
    const res = await fetch(`${server.origin}/media/app.log?follow`, { method: "HEAD" });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "text/plain; charset=utf-8");
    assert.equal(res.headers.get("x-accel-buffering"), "no");
    assert.equal(await res.text(), "");
    assert.equal(await openFdsBelow(dir), 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("?follow: a client that leaves closes the file and its watch at once, with no write needed", async () => {
  const dir = await makeTempTree({ "app.log": "abc\n" });
  try {
    await using server = await startTestServer(["--media-dir", dir]);
    for (let i = 0; i < 3; i++) {
      const aborter = new AbortController();
      const res = await fetch(`${server.origin}/media/app.log?follow`, { signal: aborter.signal });
      const body = readFollow(res);
      await body.until((t) => t === "abc\n");
      assert.equal(await openFdsBelow(dir), 1);
      aborter.abort();
      await body.cancel();
      // Nothing is appended: the follower must notice the leaving while it waits.
      assert.ok(await waitFor(async () => (await openFdsBelow(dir)) === 0), "the file stays open");
      await server.waitForLog(new RegExp(`GET /media/app.log\\?follow 200 4B .* aborted`));
      server.logs.length = 0;
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
