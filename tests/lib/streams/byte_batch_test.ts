import assert from "node:assert/strict";
import { ByteBatch } from "../../../lib/streams/byte_batch.ts";

const bytes = (...values: number[]) => new Uint8Array(values);

Deno.test("ByteBatch hands back the whole batch once it reaches its size", () => {
  const batch = new ByteBatch({ bytes: 4 });
  assert.equal(batch.add(bytes(1, 2)), undefined);
  assert.equal(batch.add(bytes()), undefined, "an empty chunk adds nothing");
  assert.equal(batch.size, 2);
  assert.deepEqual(batch.add(bytes(3, 4, 5)), bytes(1, 2, 3, 4, 5));
  assert.equal(batch.size, 0);
  assert.equal(batch.take(), undefined);
});

Deno.test("ByteBatch passes a batch of one chunk on without a copy", () => {
  const batch = new ByteBatch({ bytes: 4 });
  const big = bytes(1, 2, 3, 4, 5, 6);
  assert.equal(batch.add(big), big);
  const small = bytes(7);
  batch.add(small);
  assert.equal(batch.take(), small);
});

Deno.test("ByteBatch gives a batch that waited its delay to onTimeout, once", async () => {
  const out: Uint8Array[] = [];
  const batch = new ByteBatch({ bytes: 100, delay: 5, onTimeout: (c) => out.push(c) });
  batch.add(bytes(1));
  batch.add(bytes(2));
  // Bounded wait for the timer: a busy machine runs it late, never early.
  for (let i = 0; i < 200 && out.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(out, [bytes(1, 2)]);
  assert.equal(batch.size, 0);
});

Deno.test("ByteBatch: take() stops the timer, so nothing fires after it", async () => {
  const out: Uint8Array[] = [];
  const batch = new ByteBatch({ bytes: 100, delay: 1, onTimeout: (c) => out.push(c) });
  batch.add(bytes(1));
  assert.deepEqual(batch.take(), bytes(1));
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(out, []);
});

Deno.test("ByteBatch refuses a size below 1 and a negative delay", () => {
  assert.throws(() => new ByteBatch({ bytes: 0 }), RangeError);
  assert.throws(() => new ByteBatch({ bytes: 1, delay: -1 }), RangeError);
});
