import assert from "node:assert/strict";
import { lineWriter } from "../../../lib/streams/line_writer.ts";

const decoder = new TextDecoder();

Deno.test("lineWriter() batches lines into one write after the delay", async () => {
  const writes: string[] = [];
  const out = lineWriter((bytes) => {
    writes.push(decoder.decode(bytes));
  }, 10);
  out.write("a");
  out.write("b");
  assert.deepEqual(writes, []);
  await new Promise((r) => setTimeout(r, 30));
  assert.deepEqual(writes, ["a\nb\n"]);
});

Deno.test("lineWriter() writes at once past 64 KiB, and flush() empties it", () => {
  const writes: string[] = [];
  const out = lineWriter((bytes) => {
    writes.push(decoder.decode(bytes));
    return bytes.byteLength;
  });
  const long = "x".repeat(65536);
  out.write(long);
  assert.deepEqual(writes, [long + "\n"]);
  out.write("tail");
  out.flush();
  assert.deepEqual(writes, [long + "\n", "tail\n"]);
  out.flush(); // nothing queued: no write, and no timer left behind
  assert.equal(writes.length, 2);
});

Deno.test("lineWriter() finishes a short write", () => {
  const chunks: string[] = [];
  const out = lineWriter((bytes) => {
    const n = Math.min(3, bytes.byteLength);
    chunks.push(decoder.decode(bytes.subarray(0, n)));
    return n;
  });
  out.write("hello");
  out.flush();
  assert.equal(chunks.join(""), "hello\n");
});
