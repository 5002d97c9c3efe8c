import assert from "node:assert/strict";
import { DEFAULT_CHUNK_SIZE } from "../../../lib/files/file_stream.ts";
import { multipartByteranges } from "../../../lib/files/multipart_byteranges.ts";
import { parseByteranges } from "../../support/http.ts";
import { assertClosed, openTempFile } from "../../support/temp_file.ts";

const decoder = new TextDecoder();

const openText = openTempFile;

async function readAll(body: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(body).arrayBuffer());
}

Deno.test("multipartByteranges() frames each range with CRLF, its type and Content-Range", async () => {
  await using f = await openText("0123456789");
  const m = multipartByteranges(
    f.file,
    [{ start: 0, end: 1 }, { start: 5, end: 7 }],
    "text/plain",
    10,
  );
  const boundary = /^multipart\/byteranges; boundary=([0-9a-f]{32})$/.exec(m.contentType)![1];
  const body = await readAll(m.body);
  assert.equal(
    decoder.decode(body),
    `--${boundary}\r\nContent-Type: text/plain\r\nContent-Range: bytes 0-1/10\r\n\r\n01` +
      `\r\n--${boundary}\r\nContent-Type: text/plain\r\nContent-Range: bytes 5-7/10\r\n\r\n567` +
      `\r\n--${boundary}--\r\n`,
  );
  assert.equal(m.contentLength, body.byteLength);
  assertClosed(f.file);
});

Deno.test("multipartByteranges() keeps the ranges' order and the declared length", async () => {
  await using f = await openText("abcdefghijklmnopqrstuvwxyz");
  const ranges = [{ start: 20, end: 25 }, { start: 0, end: 0 }, { start: 10, end: 12 }];
  const m = multipartByteranges(f.file, ranges, "text/plain; charset=utf-8", 26);
  const body = await readAll(m.body);
  assert.equal(m.contentLength, body.byteLength);
  const parts = parseByteranges(body, m.contentType);
  assert.deepEqual(parts.map((p) => decoder.decode(p.body)), ["uvwxyz", "a", "klm"]);
  assert.deepEqual(parts.map((p) => p.headers), [
    { "content-type": "text/plain; charset=utf-8", "content-range": "bytes 20-25/26" },
    { "content-type": "text/plain; charset=utf-8", "content-range": "bytes 0-0/26" },
    { "content-type": "text/plain; charset=utf-8", "content-range": "bytes 10-12/26" },
  ]);
});

Deno.test("multipartByteranges() reads ranges larger than one chunk exactly", async () => {
  const data = Uint8Array.from({ length: DEFAULT_CHUNK_SIZE * 2 + 17 }, (_, i) => (i * 7) & 255);
  await using f = await openText(data);
  const ranges = [{ start: 3, end: DEFAULT_CHUNK_SIZE + 5 }, {
    start: DEFAULT_CHUNK_SIZE * 2,
    end: data.length - 1,
  }];
  const m = multipartByteranges(f.file, ranges, "application/octet-stream", data.length);
  const body = await readAll(m.body);
  assert.equal(m.contentLength, body.byteLength);
  const parts = parseByteranges(body, m.contentType);
  assert.deepEqual(parts[0].body, data.slice(3, DEFAULT_CHUNK_SIZE + 6));
  assert.deepEqual(parts[1].body, data.slice(DEFAULT_CHUNK_SIZE * 2));
});

Deno.test("multipartByteranges() uses a new boundary for every body", async () => {
  await using f = await openText("0123456789");
  const a = multipartByteranges(
    f.file,
    [{ start: 0, end: 0 }, { start: 2, end: 2 }],
    "text/plain",
    10,
  );
  const b = multipartByteranges(
    f.file,
    [{ start: 0, end: 0 }, { start: 2, end: 2 }],
    "text/plain",
    10,
  );
  assert.notEqual(a.contentType, b.contentType);
  await a.body.cancel();
});

Deno.test("multipartByteranges() closes the file when cancelled before the first read", async () => {
  await using f = await openText("0123456789");
  const m = multipartByteranges(
    f.file,
    [{ start: 0, end: 1 }, { start: 5, end: 6 }],
    "text/plain",
    10,
  );
  await m.body.cancel();
  assertClosed(f.file);
});

Deno.test("multipartByteranges() closes the file when cancelled mid-way", async () => {
  await using f = await openText("0123456789");
  const m = multipartByteranges(
    f.file,
    [{ start: 0, end: 1 }, { start: 5, end: 6 }],
    "text/plain",
    10,
  );
  const reader = m.body.getReader();
  await reader.read();
  await reader.read();
  await reader.cancel("client gone");
  assertClosed(f.file);
});

Deno.test("multipartByteranges() fails, and closes the file, when the file is shorter than a range", async () => {
  await using f = await openText("0123456789");
  const m = multipartByteranges(
    f.file,
    [{ start: 0, end: 1 }, { start: 8, end: 15 }],
    "text/plain",
    16,
  );
  await assert.rejects(readAll(m.body), { message: "The file ended before the requested range" });
  assertClosed(f.file);
});
