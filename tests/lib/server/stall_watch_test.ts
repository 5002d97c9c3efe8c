import assert from "node:assert/strict";
import { StallWatch } from "../../../lib/server/stall_watch.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

Deno.test("StallWatch calls onStall once a body waits past the timeout, not while busy", async () => {
  const watch = new StallWatch(100);
  let stalled = 0;
  let busyStalled = 0;
  const waiting = watch.track(() => stalled++);
  const busy = watch.track(() => busyStalled++);
  waiting.waiting();
  busy.busy();
  for (let i = 0; i < 40 && stalled === 0; i++) await sleep(10);
  assert.equal(stalled, 1);
  assert.equal(busyStalled, 0);
  assert.equal(watch.size, 1); // the stalled one is no longer tracked
  busy.stop();
  assert.equal(watch.size, 0); // and the sweep timer is gone, or the op sanitizer would fail
});

Deno.test("StallWatch with timeout 0 tracks nothing", () => {
  const watch = new StallWatch(0);
  const t = watch.track(() => assert.fail("no stall expected"));
  t.waiting();
  t.stop();
  assert.equal(watch.size, 0);
});
