import assert from "node:assert/strict";
import { DEFAULT_CHUNK_SIZE, fileRangeStream } from "../../../lib/files/file_stream.ts";
import { assertClosed, openTempFile } from "../../support/temp_file.ts";

const DATA = Uint8Array.from({ length: 1000 }, (_, i) => i % 251);

/** Opens a temp copy of `data`; the file and its folder go away with `await using`. */
const openData = (data: Uint8Array = DATA) => openTempFile(data);

const concat = (chunks: Uint8Array[]) => new Uint8Array(chunks.flatMap((c) => [...c]));

Deno.test("fileRangeStream() streams a whole file and closes it", async () => {
  await using f = await openData();
  const chunks = await Array.fromAsync(fileRangeStream(f.file, { end: 999 }));
  assert.deepEqual(concat(chunks), DATA);
  assertClosed(f.file);
});

Deno.test("fileRangeStream() without an end reads to the end of the file", async () => {
  await using f = await openData();
  const chunks = await Array.fromAsync(fileRangeStream(f.file, { start: 990 }));
  assert.deepEqual(concat(chunks), DATA.slice(990));
  assertClosed(f.file);
});

Deno.test("fileRangeStream() streams exactly start..end, in chunkSize pieces", async () => {
  await using f = await openData();
  const chunks = await Array.fromAsync(
    fileRangeStream(f.file, { start: 10, end: 30, chunkSize: 8 }),
  );
  assert.deepEqual(chunks.map((c) => c.byteLength), [8, 8, 5]);
  assert.deepEqual(concat(chunks), DATA.slice(10, 31));
  assertClosed(f.file);
});

Deno.test("fileRangeStream() sends one byte for start == end", async () => {
  await using f = await openData();
  const chunks = await Array.fromAsync(fileRangeStream(f.file, { start: 999, end: 999 }));
  assert.deepEqual(concat(chunks), DATA.slice(999));
});

Deno.test("fileRangeStream() of an empty file ends at once", async () => {
  await using f = await openData(new Uint8Array(0));
  assert.deepEqual(await Array.fromAsync(fileRangeStream(f.file, { end: -1 })), []);
  assertClosed(f.file);
});

Deno.test("fileRangeStream() uses 256 KiB reads by default", async () => {
  const big = new Uint8Array(DEFAULT_CHUNK_SIZE + 10).fill(7);
  await using f = await openData(big);
  const chunks = await Array.fromAsync(fileRangeStream(f.file, { end: big.length - 1 }));
  assert.equal(DEFAULT_CHUNK_SIZE, 256 * 1024);
  assert.deepEqual(chunks.map((c) => c.byteLength), [DEFAULT_CHUNK_SIZE, 10]);
});

Deno.test("fileRangeStream() reads nothing before it is asked, and cancel closes the file", async () => {
  await using f = await openData();
  const body = fileRangeStream(f.file, { start: 500, end: 999 });
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(await f.file.seek(0, Deno.SeekMode.Current), 0, "read or sought before a pull");
  await body.cancel();
  assertClosed(f.file);
});

Deno.test("fileRangeStream() closes the file when the reader cancels mid-way", async () => {
  await using f = await openData();
  const reader = fileRangeStream(f.file, { end: 999, chunkSize: 100 }).getReader();
  const first = await reader.read();
  assert.deepEqual(first.value, DATA.slice(0, 100));
  await reader.cancel("client gone");
  assertClosed(f.file);
});

Deno.test("fileRangeStream() fails, not ends short, when the file is shorter than the span", async () => {
  await using f = await openData();
  const reader = fileRangeStream(f.file, { start: 900, end: 1999 }).getReader();
  const first = await reader.read();
  assert.deepEqual(first.value, DATA.slice(900));
  await assert.rejects(reader.read(), { message: "The file ended before the requested range" });
  assertClosed(f.file);
});

Deno.test("fileRangeStream() fails when the file is closed under it", async () => {
  await using f = await openData();
  const reader = fileRangeStream(f.file, { end: 999, chunkSize: 100 }).getReader();
  await reader.read();
  f.file.close(); // Someone closed it under the stream: the next read fails.
  await assert.rejects(reader.read(), Deno.errors.BadResource);
});

Deno.test("fileRangeStream() closes the file itself when a read fails", async () => {
  // A folder opens like a file, but read(2) on it fails (EISDIR): a real read
  // error on a handle that only the stream may close.
  const dir = await Deno.makeTempDir({ prefix: "sluice-test-" });
  try {
    const file = await Deno.open(dir);
    const reader = fileRangeStream(file, { end: 999 }).getReader();
    await assert.rejects(reader.read(), (error: Error) => /directory/i.test(error.message));
    assertClosed(file);
  } finally {
    await Deno.remove(dir);
  }
});
