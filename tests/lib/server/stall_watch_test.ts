import assert from "node:assert/strict";
import { REFERENCE_RATE, type StallReason, StallWatch } from "../../../lib/server/stall_watch.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

Deno.test("StallWatch calls onStall once a body waits past the timeout, not while busy", async () => {
  const watch = new StallWatch(100);
  const stalled: StallReason[] = [];
  let busyStalled = 0;
  const waiting = watch.track((_ms, reason) => stalled.push(reason));
  const busy = watch.track(() => busyStalled++);
  waiting.waiting(1);
  busy.busy();
  for (let i = 0; i < 40 && stalled.length === 0; i++) await sleep(10);
  assert.deepEqual(stalled, ["stalled"]);
  assert.equal(busyStalled, 0);
  assert.equal(watch.size, 1); // the stalled one is no longer tracked
  busy.stop();
  assert.equal(watch.size, 0); // and the sweep timer is gone, or the op sanitizer would fail
});

Deno.test("StallWatch.allowanceMs: the run at the reference rate, between the timeout and 3x it", () => {
  const watch = new StallWatch(60_000);
  assert.equal(watch.allowanceMs(0), 60_000);
  assert.equal(watch.allowanceMs(REFERENCE_RATE * 30), 60_000);
  assert.equal(watch.allowanceMs(REFERENCE_RATE * 100), 100_000);
  assert.equal(watch.allowanceMs(300_000), 100_000);
  assert.equal(watch.allowanceMs(1_400_000), 180_000); // a third of a 4 MiB send buffer
  assert.equal(watch.allowanceMs(REFERENCE_RATE * 1000), 180_000);
});

Deno.test("StallWatch gives a wait after a long run more time, and counts only the run since the last pause", async () => {
  // 100 ms timeout: the allowance runs from 100 to 300 ms; a 600-byte run earns 200 ms.
  const watch = new StallWatch(100);
  const cut: number[] = [];
  const long = watch.track((ms) => cut.push(ms));
  long.waiting(600); // the first run: 600 bytes before any pause
  const started = performance.now();
  await sleep(150);
  assert.equal(cut.length, 0, "cut before its allowance");
  for (let i = 0; i < 100 && cut.length === 0; i++) await sleep(10);
  const waited = performance.now() - started;
  assert.equal(cut.length, 1);
  assert.ok(waited >= 200 && cut[0] >= 200, `cut after ${waited} ms`);

  // After a pause, only the bytes since it count: 100 bytes earn no extra time.
  const short = watch.track((ms) => cut.push(ms));
  short.waiting(5_000);
  await sleep(60); // a pause (at least a tenth of the timeout): the run ends
  short.busy();
  short.waiting(5_100);
  const again = performance.now();
  for (let i = 0; i < 100 && cut.length === 1; i++) await sleep(10);
  assert.equal(cut.length, 2);
  assert.ok(performance.now() - again < 200 + 100, "the old run still counted");
  assert.equal(watch.size, 0);
});

Deno.test("StallWatch.evictLongest cuts the body that waited longest, only past the minimum", async () => {
  const watch = new StallWatch(60_000);
  const cut: string[] = [];
  const first = watch.track((_ms, reason) => cut.push(`first ${reason}`));
  const second = watch.track((_ms, reason) => cut.push(`second ${reason}`));
  const reading = watch.track(() => cut.push("reading"));
  first.waiting(10);
  await sleep(30);
  second.waiting(10);
  reading.busy();
  assert.equal(watch.evictLongest(10_000), false); // nobody waited 10 s
  assert.equal(watch.evictLongest(20), true);
  assert.deepEqual(cut, ["first evicted"]);
  assert.equal(watch.evictLongest(0), true);
  assert.equal(watch.evictLongest(0), false); // the reading one is never evicted
  assert.deepEqual(cut, ["first evicted", "second evicted"]);
  reading.stop();
  assert.equal(watch.size, 0);
});

Deno.test("StallWatch with timeout 0 cuts nothing by time but can still evict", () => {
  const watch = new StallWatch(0);
  const cut: string[] = [];
  const t = watch.track((_ms, reason) => cut.push(reason));
  t.waiting(1);
  assert.equal(watch.evictLongest(0), true);
  assert.deepEqual(cut, ["evicted"]);
  t.stop();
  assert.equal(watch.size, 0);
});
