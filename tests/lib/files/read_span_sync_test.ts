import assert from "node:assert/strict";
import { FileChangedError, FileEndedError } from "../../../lib/files/file_identity.ts";
import { readSpanSync } from "../../../lib/files/read_span_sync.ts";
import { openTempFile } from "../../support/temp_file.ts";

Deno.test("readSpanSync() reads exactly the span and leaves the file open", async () => {
  await using f = await openTempFile("0123456789");
  const info = f.file.statSync();
  assert.equal(new TextDecoder().decode(readSpanSync(f.file, 3, 4, info)), "3456");
  assert.equal(new TextDecoder().decode(readSpanSync(f.file, 0, 2, info)), "01");
});

Deno.test("readSpanSync() fails when the file is shorter than the span", async () => {
  await using f = await openTempFile("0123456789");
  assert.throws(() => readSpanSync(f.file, 8, 4, f.file.statSync()), FileEndedError);
});

Deno.test("readSpanSync() fails when the file no longer matches the stat the headers came from", async () => {
  await using f = await openTempFile("0123456789");
  const info = f.file.statSync();
  assert.throws(
    () => readSpanSync(f.file, 0, 4, { ...info, mtime: new Date(0) }),
    FileChangedError,
  );
  assert.throws(
    () => readSpanSync(f.file, 0, 4, { ...info, ino: info.ino! + 1 }),
    FileChangedError,
  );
});
