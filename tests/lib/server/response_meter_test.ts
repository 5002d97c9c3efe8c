import assert from "node:assert/strict";
import { markReleasable } from "../../../lib/streams/release_chunk.ts";
import { type BodyEnd, meterResponse } from "../../../lib/server/response_meter.ts";
import { StallWatch } from "../../../lib/server/stall_watch.ts";

const bytes = (...values: number[]) => new Uint8Array(values);

function source(chunks: Uint8Array[], fail?: Error): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream({
    pull(c) {
      if (i < chunks.length) c.enqueue(chunks[i++]);
      else if (fail) c.error(fail);
      else c.close();
    },
  }, { highWaterMark: 0 });
}

Deno.test("meterResponse() reports a complete body once, with its byte count", async () => {
  const ends: BodyEnd[] = [];
  const { response } = meterResponse(
    new Response(source([bytes(1, 2), bytes(3)]), { status: 206, headers: { "x-a": "1" } }),
    (end) => ends.push(end),
  );
  assert.equal(response.status, 206);
  assert.equal(response.headers.get("x-a"), "1");
  assert.deepEqual(new Uint8Array(await response.arrayBuffer()), bytes(1, 2, 3));
  assert.deepEqual(ends, [{ outcome: "complete", bytes: 3, error: undefined }]);
});

Deno.test("meterResponse() reports a cancelled body as aborted with the bytes so far", async () => {
  const ends: BodyEnd[] = [];
  const { response } = meterResponse(
    new Response(source([bytes(1, 2), bytes(3)])),
    (end) => ends.push(end),
  );
  const reader = response.body!.getReader();
  await reader.read();
  await reader.cancel("client gone");
  assert.deepEqual(ends, [{ outcome: "aborted", bytes: 2, error: "client gone" }]);
});

Deno.test("meterResponse() reports a body that errors as failed", async () => {
  const ends: BodyEnd[] = [];
  const boom = new Error("disk gone");
  const { response } = meterResponse(new Response(source([bytes(1)], boom)), (e) => ends.push(e));
  await assert.rejects(response.arrayBuffer());
  assert.deepEqual(ends, [{ outcome: "failed", bytes: 1, error: boom }]);
});

Deno.test("meterResponse() reports a response without a body as complete", async () => {
  const ends: BodyEnd[] = [];
  const { response } = meterResponse(new Response(null, { status: 304 }), (e) => ends.push(e));
  assert.equal(response.status, 304);
  assert.deepEqual(ends, []); // only once the caller has the response
  await Promise.resolve();
  assert.deepEqual(ends, [{ outcome: "complete", bytes: 0, error: undefined }]);
});

Deno.test("meterResponse() abort() fails the body the client is reading", async () => {
  const ends: BodyEnd[] = [];
  const metered = meterResponse(new Response(source([bytes(1), bytes(2)])), (e) => ends.push(e));
  const reader = metered.response.body!.getReader();
  await reader.read();
  const reason = new Error("shutting down");
  metered.abort(reason);
  await assert.rejects(reader.read(), reason);
  assert.deepEqual(ends, [{ outcome: "failed", bytes: 1, error: reason }]);
});

Deno.test("meterResponse() releases a marked chunk once the next one is asked for", async () => {
  const marked = markReleasable(bytes(1, 2, 3));
  const plain = bytes(4, 5);
  const last = markReleasable(bytes(6));
  const { response } = meterResponse(new Response(source([marked, plain, last])), () => {});
  const reader = response.body!.getReader();
  assert.deepEqual((await reader.read()).value, bytes(1, 2, 3));
  assert.equal(marked.buffer.detached, false, "released before the next read");
  assert.deepEqual((await reader.read()).value, bytes(4, 5));
  assert.equal(marked.buffer.detached, true);
  assert.deepEqual((await reader.read()).value, bytes(6));
  assert.equal((await reader.read()).done, true);
  assert.equal(last.buffer.detached, true);
  assert.equal(plain.buffer.detached, false, "an unmarked chunk was released");
});

Deno.test("meterResponse() hands a client small pieces after it kept a write waiting, byte-exact", async () => {
  // 8 s timeout: a wait of 0.8 s or more is long; pieces are 3,000 bytes (3 KB/s × T/8).
  const watch = new StallWatch(8_000);
  const first = Uint8Array.from({ length: 10_000 }, (_, i) => i % 251);
  const second = Uint8Array.from({ length: 10_000 }, (_, i) => (i * 7) % 251);
  const ends: BodyEnd[] = [];
  const { response } = meterResponse(
    new Response(source([first, second, bytes(9)])),
    (end) => ends.push(end),
    { stallWatch: watch },
  );
  const reader = response.body!.getReader();
  const sizes: number[] = [];
  const got: Uint8Array[] = [];
  for (let i = 0; i < 20; i++) {
    const { done, value } = await reader.read();
    if (done) break;
    sizes.push(value.byteLength);
    got.push(value.slice());
    // A slow client: the first chunk is kept waiting for 0.9 s.
    if (i === 0) await new Promise((r) => setTimeout(r, 900));
  }
  // One small piece after the long wait; taken at once, the rest goes whole again.
  assert.deepEqual(sizes, [10_000, 3_000, 7_000, 1]);
  const all = new Uint8Array(sizes.reduce((a, b) => a + b));
  let at = 0;
  for (const part of got) all.set(part, (at += part.byteLength) - part.byteLength);
  const want = new Uint8Array(20_001);
  want.set(first);
  want.set(second, 10_000);
  want[20_000] = 9;
  assert.deepEqual(all, want);
  assert.deepEqual(ends, [{ outcome: "complete", bytes: 20_001, error: undefined }]);
  assert.equal(watch.size, 0);
});
