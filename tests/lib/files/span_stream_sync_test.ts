import assert from "node:assert/strict";
import { FileChangedError } from "../../../lib/files/file_identity.ts";
import { readSpanSync } from "../../../lib/files/read_span_sync.ts";
import { spanStreamSync } from "../../../lib/files/span_stream_sync.ts";
import { openTempFile } from "../../support/temp_file.ts";

const text = (chunks: Uint8Array[]) => chunks.map((c) => new TextDecoder().decode(c));

Deno.test("spanStreamSync() streams exactly the span, one chunk per pull", async () => {
  await using f = await openTempFile("0123456789");
  const info = f.file.statSync();
  const reads: [number, number][] = [];
  const body = spanStreamSync(
    (start, length) => {
      reads.push([start, length]);
      return readSpanSync(f.file, start, length, info);
    },
    2,
    8,
    3,
  );
  assert.deepEqual(text(await Array.fromAsync(body)), ["234", "567", "8"]);
  assert.deepEqual(reads, [[2, 3], [5, 3], [8, 1]]);
});

Deno.test("spanStreamSync() reads the first chunk at once: a changed file throws before a body exists", async () => {
  await using f = await openTempFile("0123456789");
  const stale = { ...f.file.statSync(), mtime: new Date(0) };
  assert.throws(
    () => spanStreamSync((start, length) => readSpanSync(f.file, start, length, stale), 0, 9, 4),
    FileChangedError,
  );
});

Deno.test("spanStreamSync() errors the body when the file changes after the first chunk", async () => {
  await using f = await openTempFile("0123456789");
  const info = f.file.statSync();
  let calls = 0;
  const body = spanStreamSync(
    (start, length) => {
      if (++calls === 2) throw new FileChangedError();
      return readSpanSync(f.file, start, length, info);
    },
    0,
    9,
    4,
  );
  const reader = body.getReader();
  assert.equal(text([(await reader.read()).value!])[0], "0123");
  await assert.rejects(reader.read(), FileChangedError);
});

Deno.test("spanStreamSync() may be cancelled before and during reading", async () => {
  await using f = await openTempFile("0123456789");
  const info = f.file.statSync();
  const read = (start: number, length: number) => readSpanSync(f.file, start, length, info);
  await spanStreamSync(read, 0, 9, 4).cancel();
  const reader = spanStreamSync(read, 0, 9, 4).getReader();
  await reader.read();
  await reader.cancel();
});
