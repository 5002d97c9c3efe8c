import assert from "node:assert/strict";
import { type Slot, StreamSlots } from "../../../lib/server/stream_slots.ts";

Deno.test("StreamSlots refuses past the total and per-client caps and frees on release", () => {
  const slots = new StreamSlots(3, 2);
  const a1 = slots.acquire("a") as Slot;
  const a2 = slots.acquire("a") as Slot;
  assert.equal(slots.acquire("a"), "client-full");
  const b1 = slots.acquire("b") as Slot;
  assert.equal(slots.acquire("c"), "server-full");
  assert.equal(slots.active, 3);
  a1.release();
  a1.release(); // a second release is a no-op
  assert.equal(slots.active, 2);
  const a3 = slots.acquire("a");
  assert.equal(typeof a3, "object");
  assert.equal(slots.acquire("c"), "server-full");
  for (const s of [a2, b1, a3 as Slot]) s.release();
  assert.equal(slots.active, 0);
});

Deno.test("StreamSlots with 0 caps never refuses", () => {
  const slots = new StreamSlots(0, 0);
  for (let i = 0; i < 100; i++) assert.equal(typeof slots.acquire("a"), "object");
  assert.equal(slots.active, 100);
});
