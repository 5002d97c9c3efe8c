import assert from "node:assert/strict";
import { FailureCounter } from "../../../lib/access/failure_counter.ts";

Deno.test("FailureCounter blocks an address past the limit until its minute ends", () => {
  const counter = new FailureCounter(2);
  counter.fail("a", 1000);
  assert.equal(counter.blockedFor("a", 1000), 0);
  counter.fail("a", 2000);
  assert.equal(counter.blockedFor("a", 2000), 59);
  assert.equal(counter.blockedFor("b", 2000), 0);
  assert.equal(counter.blockedFor("a", 60_999), 1);
  assert.equal(counter.blockedFor("a", 61_000), 0);
  // A new window starts from nothing.
  counter.fail("a", 61_000);
  assert.equal(counter.blockedFor("a", 61_000), 0);
});

Deno.test("FailureCounter(0) never blocks, and a flood of addresses stays bounded", () => {
  const off = new FailureCounter(0);
  for (let i = 0; i < 100; i++) off.fail("a", 0);
  assert.equal(off.blockedFor("a", 0), 0);
  const counter = new FailureCounter(1);
  for (let i = 0; i < 20_000; i++) counter.fail(`10.0.${i >> 8}.${i & 255}`, 0);
  // The newest are remembered, the oldest forgotten.
  assert.ok(counter.blockedFor("10.0.78.31", 0) > 0);
  assert.equal(counter.blockedFor("10.0.0.0", 0), 0);
});
