import assert from "node:assert/strict";
import { Throttle } from "../../../lib/server/throttle.ts";

Deno.test("Throttle lets the burst through, then paces to the rate", () => {
  // The throttle's clock starts in its constructor, somewhere in [before, start].
  const before = performance.now();
  const t = new Throttle({ bytesPerSecond: 1000, burst: 500 });
  const start = performance.now();
  assert.equal(t.delayMs(500, start), 0);
  // 1500 bytes sent = 1000 past the burst = due 1 s after the throttle began.
  const delay = t.delayMs(1500, start);
  assert.ok(delay <= 1000 && delay >= 1000 - (start - before), `${delay} ms`);
  assert.equal(t.delayMs(1500, start + 2000), 0);
  assert.equal(t.maxPiece, 1024);
  assert.equal(new Throttle({ bytesPerSecond: 2 * 1024 * 1024 }).maxPiece, 209715);
});
