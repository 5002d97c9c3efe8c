import assert from "node:assert/strict";
import { primedIteratorStream } from "../../../lib/streams/iterator_stream.ts";

const decoder = new TextDecoder();

async function chunksOf(stream: ReadableStream<Uint8Array>): Promise<string[]> {
  return (await Array.fromAsync(stream)).map((c) => decoder.decode(c));
}

/** A generator that counts what it produced and whether its `finally` ran. */
function counted(items: number, item = "0123456789") {
  const state = { produced: 0, finished: 0 };
  function* source() {
    try {
      for (let i = 0; i < items; i++) {
        state.produced++;
        yield item;
      }
    } finally {
      state.finished++;
    }
  }
  return { state, source };
}

Deno.test("primedIteratorStream() gathers small items into chunks of chunkSize", async () => {
  const { source } = counted(1000);
  const chunks = await chunksOf(await primedIteratorStream(source(), { chunkSize: 1024 }));
  // 103 items of 10 bytes reach 1024; 1000 items make 9 full chunks and a rest.
  assert.deepEqual(chunks.map((c) => c.length), [...Array(9).fill(1030), 730]);
  assert.equal(chunks.join(""), "0123456789".repeat(1000));
});

Deno.test("primedIteratorStream() keeps strings and bytes in order and encodes UTF-8", async () => {
  const bytes = new Uint8Array([0x41, 0x42]);
  const stream = await primedIteratorStream(["é", bytes, "☕", "", new Uint8Array(0), "z"], {
    chunkSize: 4,
  });
  const all = new Uint8Array(await new Response(stream).arrayBuffer());
  assert.deepEqual([...all], [0xc3, 0xa9, 0x41, 0x42, 0xe2, 0x98, 0x95, 0x7a]);
});

Deno.test("primedIteratorStream() of an empty source closes with no chunk", async () => {
  assert.deepEqual(await chunksOf(await primedIteratorStream([])), []);
  assert.deepEqual(await chunksOf(await primedIteratorStream([])), []);
});

Deno.test("primedIteratorStream() produces no more than one chunk ahead of a slow reader", async () => {
  const { state, source } = counted(100_000);
  const stream = await primedIteratorStream(source(), { chunkSize: 100 });
  const reader = stream.getReader();
  for (let read = 1; read <= 20; read++) {
    await reader.read();
    // Give a producer that runs ahead every chance to do so.
    await new Promise((r) => setTimeout(r, 5));
    // 10 items per chunk: the chunks read, plus at most one being made.
    assert.ok(state.produced <= (read + 1) * 10, `${state.produced} items after ${read} reads`);
  }
  await reader.cancel();
  assert.equal(state.finished, 1);
  assert.ok(state.produced < 300);
});

Deno.test("primedIteratorStream() cancel runs the source's finally, every time (200 aborts)", async () => {
  const { state, source } = counted(1_000_000);
  for (let i = 0; i < 200; i++) {
    const reader = (await primedIteratorStream(source(), { chunkSize: 1024 })).getReader();
    const first = await reader.read();
    assert.equal(first.value?.byteLength, 1030);
    await reader.cancel(new Error("client gone"));
  }
  assert.equal(state.finished, 200);
  assert.ok(state.produced <= 200 * 103 * 2, `${state.produced} items produced`);
});

Deno.test("primedIteratorStream() cancel calls return() of an async iterator blocked in next()", async () => {
  let finished = 0;
  let release!: () => void;
  const blocked = new Promise<void>((r) => release = r);
  async function* source() {
    try {
      yield "first";
      await blocked;
      yield "never read";
    } finally {
      finished++;
    }
  }
  const reader = (await primedIteratorStream(source(), { lingerMs: 5 })).getReader();
  assert.equal(decoder.decode((await reader.read()).value), "first");
  const cancelled = reader.cancel();
  release();
  await cancelled;
  assert.equal(finished, 1);
});

Deno.test("primedIteratorStream() sends what an async source has when it stalls (lingerMs)", async () => {
  let release!: () => void;
  const blocked = new Promise<void>((r) => release = r);
  async function* source() {
    yield "a";
    yield "b";
    await blocked;
    yield "c";
  }
  const reader = (await primedIteratorStream(source(), { chunkSize: 1024, lingerMs: 5 }))
    .getReader();
  // "a" and "b" come out while the source is still waiting for `blocked`.
  assert.equal(decoder.decode((await reader.read()).value), "ab");
  release();
  assert.equal(decoder.decode((await reader.read()).value), "c");
  assert.equal((await reader.read()).done, true);
});

Deno.test("primedIteratorStream() rejects when the source fails before its first chunk", async () => {
  let finished = 0;
  function* source() {
    try {
      yield "partial row data";
      throw new Error("database is locked");
    } finally {
      finished++;
    }
  }
  await assert.rejects(primedIteratorStream(source()), { message: "database is locked" });
  assert.equal(finished, 1);
});

Deno.test("primedIteratorStream() has produced its first chunk before it resolves", async () => {
  const { state, source } = counted(1000);
  const stream = await primedIteratorStream(source(), { chunkSize: 100 });
  assert.equal(state.produced, 10);
  const chunks = await chunksOf(stream);
  assert.equal(chunks.join(""), "0123456789".repeat(1000));
  assert.equal(state.finished, 1);
});

Deno.test("primedIteratorStream() sends the final record and then fails after a mid-stream error", async () => {
  function* source() {
    for (let i = 0; i < 25; i++) yield `${i}\n`;
    throw new Error("disk I/O error");
  }
  const stream = await primedIteratorStream(source(), {
    chunkSize: 20,
    errorDelayMs: 0,
    finalRecord: (error) => `{"$error":${JSON.stringify((error as Error).message)}}\n`,
  });
  const reader = stream.getReader();
  let text = "";
  const failure = await (async () => {
    for (let i = 0; i < 100; i++) {
      const { done, value } = await reader.read();
      if (done) return undefined;
      text += decoder.decode(value);
    }
  })().catch((error) => error);
  assert.equal((failure as Error)?.message, "disk I/O error");
  const lines = text.split("\n");
  assert.deepEqual(lines.slice(0, 25), Array.from({ length: 25 }, (_, i) => String(i)));
  assert.deepEqual(lines.slice(25), ['{"$error":"disk I/O error"}', ""]);
});

Deno.test("primedIteratorStream() without a final record delivers what it had, then fails", async () => {
  function* source() {
    yield "a".repeat(30);
    yield "b";
    throw new TypeError("bad value");
  }
  const reader = (await primedIteratorStream(source(), { chunkSize: 20, errorDelayMs: 0 }))
    .getReader();
  assert.equal(decoder.decode((await reader.read()).value), "a".repeat(30));
  assert.equal(decoder.decode((await reader.read()).value), "b");
  await assert.rejects(reader.read(), { name: "TypeError", message: "bad value" });
});

Deno.test("primedIteratorStream() lets timers run while a sync source is read without pause", async () => {
  // A reader that never waits for I/O: only the stream's own time slices let
  // the event loop turn.
  let counter = 0;
  function* busy() {
    for (;;) {
      counter++;
      yield "x".repeat(64);
    }
  }
  const reader = (await primedIteratorStream(busy(), { chunkSize: 4096, sliceMs: 10 })).getReader();
  let fired = false;
  const timer = setTimeout(() => fired = true, 0);
  // Reads until the timer has run: a stream that never yields to the event
  // loop would keep it waiting through all 200,000 reads (12.8M items).
  let reads = 0;
  while (!fired && reads < 200_000) {
    await reader.read();
    reads++;
  }
  const firedWhileReading = fired;
  clearTimeout(timer);
  await reader.cancel();
  assert.ok(firedWhileReading, `the timer did not run during ${reads} reads`);
  // Each read got a whole chunk (64 items of 64 bytes): the source was read flat out.
  assert.ok(reads > 0 && counter >= 64 * reads, `${counter} items in ${reads} reads`);
});

Deno.test("primedIteratorStream() through a real socket: a paused client holds the producer back", async () => {
  const item = "y".repeat(1023) + "\n";
  const state = { produced: 0, finished: false };
  function* source() {
    try {
      for (let i = 0; i < 1_000_000; i++) { // 1 GiB if nothing held it back
        state.produced++;
        yield item;
      }
    } finally {
      state.finished = true;
    }
  }
  await using server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async () => new Response(await primedIteratorStream(source())),
  );
  const res = await fetch(`http://127.0.0.1:${server.addr.port}/`);
  const reader = res.body!.getReader();
  let received = 0;
  received += (await reader.read()).value!.byteLength;
  // Stop reading: socket buffers fill, then the server stops pulling.
  let before = -1;
  for (let i = 0; i < 50 && state.produced !== before; i++) {
    before = state.produced;
    await new Promise((r) => setTimeout(r, 100));
  }
  const ahead = state.produced * item.length - received;
  // What the kernel buffers on loopback plus one chunk: a few MiB, never the GiB.
  assert.ok(ahead < 32 * 1024 * 1024, `producer ${ahead} bytes ahead of the client`);
  assert.ok(state.produced < 100_000);
  await reader.cancel();
  for (let i = 0; i < 100 && !state.finished; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(state.finished, true);
});
