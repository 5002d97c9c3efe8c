import assert from "node:assert/strict";
import { fileRangeStream } from "../../../lib/files/file_stream.ts";
import { markReleasable, releaseChunk } from "../../../lib/streams/release_chunk.ts";
import { makeTempTree } from "../../support/server.ts";

Deno.test("releaseChunk() detaches a marked chunk's buffer", () => {
  const chunk = markReleasable(new Uint8Array(1024).subarray(0, 100));
  assert.equal(chunk.byteLength, 100);
  releaseChunk(chunk);
  assert.equal(chunk.buffer.detached, true);
  assert.equal(chunk.byteLength, 0);
  releaseChunk(chunk); // twice is harmless
});

Deno.test("releaseChunk() leaves unmarked chunks alone", () => {
  const shared = new TextEncoder().encode("a constant reused by every response");
  releaseChunk(shared);
  assert.equal(shared.buffer.detached, false);
  assert.equal(new TextDecoder().decode(shared), "a constant reused by every response");
});

Deno.test("fileRangeStream() marks its chunks as releasable", async () => {
  const dir = await makeTempTree({ "a.bin": new Uint8Array(10).fill(1) });
  try {
    const file = await Deno.open(`${dir}/a.bin`);
    const [chunk] = await Array.fromAsync(fileRangeStream(file, { end: 9 }));
    assert.deepEqual(chunk, new Uint8Array(10).fill(1));
    releaseChunk(chunk);
    assert.equal(chunk.buffer.detached, true);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
