/**
 * followFile() and FileWakeups on real files: the rotation race, wake-ups by
 * watch and by poll, and the end of a deleted file.
 */

import assert from "node:assert/strict";
import { type FollowEvent, followFile } from "../../../lib/files/follow_file.ts";
import { FileWakeups } from "../../../lib/files/follow_wakeup.ts";
import { openFdsBelow } from "../../support/http.ts";
import { makeTempTree } from "../../support/server.ts";

const text = (e: FollowEvent) =>
  e.kind === "data" ? `data@${e.offset}:${new TextDecoder().decode(e.bytes)}` : e.kind;

Deno.test("followFile() sends bytes written to the old file during the rotation check first, and leaks no fd", async () => {
  const dir = await makeTempTree({ "app.log": "old\n" });
  const path = `${dir}/app.log`;
  try {
    const stop = new AbortController();
    using wakeup = new FileWakeups({ mode: "poll", pollMs: 5 }).wakeup([path]);
    let checks = 0;
    const events = followFile(await Deno.open(path), {
      signal: stop.signal,
      wakeup,
      resolve: async () => {
        // The first time the follower is caught up: the writer rotates, and the
        // old file gets one more line while the follower is looking at the name.
        if (checks++ === 0) {
          await Deno.rename(path, `${path}.1`);
          await Deno.writeTextFile(path, "new\n");
          await Deno.writeTextFile(`${path}.1`, "late\n", { append: true });
        }
        return path;
      },
    });
    const seen: string[] = [];
    for await (const event of events) {
      seen.push(text(event));
      if (seen.length === 4) break;
    }
    assert.deepEqual(seen, ["data@0:old\n", "data@4:late\n", "rotated", "data@0:new\n"]);
    assert.equal(await openFdsBelow(dir), 0, "the generator's return closed its file");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("followFile() ends with gone once the name has been missing for goneAfterMs", async () => {
  const dir = await makeTempTree({ "app.log": "a\n" });
  const path = `${dir}/app.log`;
  try {
    using wakeup = new FileWakeups().wakeup([path]);
    const events = followFile(await Deno.open(path), {
      signal: new AbortController().signal,
      wakeup,
      goneAfterMs: 50,
      resolve: async () => {
        try {
          return await Deno.realPath(path);
        } catch {
          return undefined;
        }
      },
    });
    const seen: string[] = [];
    for await (const event of events) {
      seen.push(text(event));
      if (seen.length === 1) await Deno.remove(path);
      assert.ok(seen.length < 10);
    }
    assert.deepEqual(seen, ["data@0:a\n", "gone"]);
    assert.equal(await openFdsBelow(dir), 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("FileWakeups: a watch wakes a waiter on an append long before its timer; one watch per folder", async () => {
  const dir = await makeTempTree({ "a.log": "", "b.log": "" });
  try {
    const wakeups = new FileWakeups({ backstopMs: 60_000 });
    using a = wakeups.wakeup([`${dir}/a.log`]);
    using b = wakeups.wakeup([`${dir}/b.log`]);
    assert.equal(wakeups.watched, 1, "both share the folder's watch");
    const stop = new AbortController();
    const started = performance.now();
    const waited = a.wait(60_000, stop.signal);
    await Deno.writeTextFile(`${dir}/a.log`, "x\n", { append: true });
    await waited;
    // Only a wide bound: the timer was 60 s, so finishing at all proves the watch woke it.
    assert.ok(performance.now() - started < 30_000);
    // b saw nothing of a's file: its wait runs until its (short) timer.
    await b.wait(20, stop.signal);
    a[Symbol.dispose]();
    b[Symbol.dispose]();
    assert.equal(wakeups.watched, 0, "the watch is closed with its last follower");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("FileWakeups in poll mode waits at most pollMs, and an abort ends a wait at once", async () => {
  const wakeups = new FileWakeups({ mode: "poll", pollMs: 10 });
  using w = wakeups.wakeup(["/nonexistent/x.log"]);
  assert.equal(wakeups.watched, 0);
  const stop = new AbortController();
  await w.wait(60_000, stop.signal);
  const pending = w.wait(60_000, stop.signal);
  stop.abort();
  await pending;
});

Deno.test("followFile() never follows a name swapped for a symlink after it was resolved (the race behind a flaky containment test)", async () => {
  const dir = await makeTempTree({ "media/app.log": "one\n", "outside.txt": "SECRET\n" });
  const path = `${dir}/media/app.log`;
  try {
    const stop = new AbortController();
    using wakeup = new FileWakeups({ mode: "poll", pollMs: 5 }).wakeup([path]);
    let checks = 0;
    const events = followFile(await Deno.open(path), {
      signal: stop.signal,
      wakeup,
      goneAfterMs: 50,
      resolve: async () => {
        // The name is checked (inside the folder), then swapped for a symlink
        // leading outside before the follower looks at it: what a rotation
        // racing an attacker's swap looks like.
        if (checks++ === 0) {
          await Deno.rename(path, `${path}.1`);
          await Deno.symlink(`${dir}/outside.txt`, path);
          return path;
        }
        return undefined; // from then on, the lookup sees the symlink leads outside
      },
    });
    const seen: string[] = [];
    for await (const event of events) {
      seen.push(text(event));
      if (seen.length === 10) break;
    }
    assert.deepEqual(seen, ["data@0:one\n", "gone"]);
    assert.equal(await openFdsBelow(dir), 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
