import assert from "node:assert/strict";
import { CoalesceStream } from "../../../lib/streams/coalesce_stream.ts";

const bytes = (text: string) => new TextEncoder().encode(text);
const text = (chunks: Uint8Array[]) => chunks.map((c) => new TextDecoder().decode(c));

Deno.test("CoalesceStream gathers small chunks up to its batch size", async () => {
  const source = ReadableStream.from(["ab", "cd", "ef", "gh", "i"].map(bytes));
  const out = await Array.fromAsync(source.pipeThrough(new CoalesceStream({ bytes: 4 })));
  assert.deepEqual(text(out), ["abcd", "efgh", "i"]);
});

Deno.test("CoalesceStream passes a chunk of batch size through without a copy", async () => {
  const big = bytes("0123456789");
  const source = ReadableStream.from([big, bytes("x")]);
  const out = await Array.fromAsync(source.pipeThrough(new CoalesceStream({ bytes: 8 })));
  assert.equal(out[0], big);
  assert.deepEqual(text(out), ["0123456789", "x"]);
});

Deno.test("CoalesceStream sends what it has when the source pauses", async () => {
  let resume!: () => void;
  const paused = new Promise<void>((r) => resume = r);
  let step = 0;
  const source = new ReadableStream<Uint8Array>({
    async pull(c) {
      if (step++ === 0) return c.enqueue(bytes("first\n"));
      await paused;
      c.enqueue(bytes("second\n"));
      c.close();
    },
  });
  const reader = source.pipeThrough(new CoalesceStream({ bytes: 1024, delay: 5 })).getReader();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const first = await Promise.race([
    reader.read(),
    new Promise<"stuck">((r) => timer = setTimeout(() => r("stuck"), 5000)),
  ]);
  clearTimeout(timer);
  resume();
  assert.notEqual(first, "stuck", "the first line waited for the second");
  assert.deepEqual(text([(first as ReadableStreamReadResult<Uint8Array>).value!]), ["first\n"]);
  const rest = await reader.read();
  assert.deepEqual(text([rest.value!]), ["second\n"]);
  assert.equal((await reader.read()).done, true);
});

Deno.test("CoalesceStream cancelled with bytes waiting leaves no timer behind", async () => {
  let cancelled: unknown;
  const source = new ReadableStream<Uint8Array>({
    start(c) {
      c.enqueue(bytes("waiting"));
    },
    cancel(reason) {
      cancelled = reason;
    },
  });
  const reader = source.pipeThrough(new CoalesceStream({ bytes: 1024, delay: 60_000 }))
    .getReader();
  const read = reader.read(); // A waiting reader lets the chunk into the batch.
  await new Promise((r) => setTimeout(r, 10));
  await reader.cancel("client gone");
  assert.deepEqual(await read, { done: true, value: undefined });
  // The pipe passes the cancel on to the source in a later task.
  for (let i = 0; i < 100 && cancelled === undefined; i++) {
    await new Promise((r) => setTimeout(r, 1));
  }
  assert.equal(cancelled, "client gone");
});

Deno.test("CoalesceStream rejects a batch size below 1 and a negative delay", () => {
  assert.throws(() => new CoalesceStream({ bytes: 0 }), RangeError);
  assert.throws(() => new CoalesceStream({ delay: -1 }), RangeError);
});
