import assert from "node:assert/strict";
import { pullStream } from "../../../lib/streams/pull_stream.ts";

/** A generator that records what ran, for the release order checks. */
function recorded(log: string[], fail = false) {
  return (async function* () {
    try {
      log.push("started");
      yield "a";
      if (fail) throw new Error("broken");
      yield "b";
    } finally {
      log.push("finally");
    }
  })();
}

Deno.test("pullStream() sends every chunk, then releases once", async () => {
  const log: string[] = [];
  const chunks = await Array.fromAsync(pullStream(recorded(log), () => log.push("release")));
  assert.deepEqual(chunks, ["a", "b"]);
  assert.deepEqual(log, ["started", "finally", "release"]);
});

Deno.test("pullStream() produces nothing before the first read", async () => {
  const log: string[] = [];
  const body = pullStream(recorded(log), () => log.push("release"));
  await new Promise((r) => setTimeout(r, 5));
  assert.deepEqual(log, []);
  await body.cancel();
  assert.deepEqual(log, ["release"]);
});

Deno.test("pullStream() releases before the reader sees the iterator's error", async () => {
  const log: string[] = [];
  const reader = pullStream(recorded(log, true), () => log.push("release")).getReader();
  assert.deepEqual(await reader.read(), { done: false, value: "a" });
  await assert.rejects(reader.read(), { message: "broken" });
  assert.deepEqual(log, ["started", "finally", "release"]);
});

Deno.test("pullStream() on cancel runs the iterator's finally, then releases once", async () => {
  const log: string[] = [];
  const reader = pullStream(recorded(log), () => log.push("release")).getReader();
  await reader.read();
  await reader.cancel("gone");
  await reader.cancel("again");
  assert.deepEqual(log, ["started", "finally", "release"]);
});
