import assert from "node:assert/strict";
import { perClientCap, type Slot, StreamSlots } from "../../../lib/server/stream_slots.ts";

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

Deno.test("perClientCap: auto is a sixteenth of --max-streams, at least 1; a number is kept", () => {
  assert.equal(perClientCap(256, "auto"), 16);
  assert.equal(perClientCap(1000, "auto"), 62);
  assert.equal(perClientCap(8, "auto"), 1);
  assert.equal(perClientCap(0, "auto"), 0);
  assert.equal(perClientCap(256, 5), 5);
  assert.equal(new StreamSlots(64, "auto").perClient, 4);
});

Deno.test("StreamSlots counts an IPv6 /64 as one client", () => {
  const slots = new StreamSlots(10, 2);
  assert.equal(typeof slots.acquire("2001:db8:1:2::1"), "object");
  assert.equal(typeof slots.acquire("2001:db8:1:2::2"), "object");
  assert.equal(slots.acquire("2001:db8:1:2:ffff::3"), "client-full");
  assert.equal(typeof slots.acquire("2001:db8:1:3::1"), "object"); // the next /64
});

Deno.test("StreamSlots asks for room when full and admits when it was made", () => {
  const held: Slot[] = [];
  let asked = 0;
  let room = true;
  const slots = new StreamSlots(2, 0, {
    makeRoom: () => {
      asked++;
      if (!room) return false;
      held.shift()!.release();
      return true;
    },
  });
  held.push(slots.acquire("a") as Slot, slots.acquire("b") as Slot);
  const c = slots.acquire("c");
  assert.equal(typeof c, "object");
  assert.equal(asked, 1);
  assert.equal(slots.active, 2);
  room = false;
  assert.equal(slots.acquire("d"), "server-full");
  assert.equal(asked, 2);
  // A client at its own cap is refused without cutting anyone else.
  const capped = new StreamSlots(1, 1, { makeRoom: () => assert.fail("asked for room") });
  capped.acquire("a");
  assert.equal(capped.acquire("a"), "client-full");
});
