import assert from "node:assert/strict";
import { closeSync } from "node:fs";
import { FileChangedError, FileEndedError } from "../../../lib/files/file_identity.ts";
import { openFdSync, preadSpanSync } from "../../../lib/files/pread_span_sync.ts";
import { HttpError } from "../../../lib/http/http_error.ts";
import { makeTempTree } from "../../support/server.ts";

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

async function tree(files: Record<string, string>) {
  const dir = await Deno.realPath(await makeTempTree(files));
  return { dir, [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }) };
}

function withFd<T>(path: string, info: Deno.FileInfo, fn: (fd: number) => T): T {
  const fd = openFdSync(path, info);
  try {
    return fn(fd);
  } finally {
    closeSync(fd);
  }
}

Deno.test("preadSpanSync() reads exactly the span at any offset of one shared fd", async () => {
  await using t = await tree({ "a.txt": "0123456789" });
  const path = `${t.dir}/a.txt`;
  const info = Deno.statSync(path);
  withFd(path, info, (fd) => {
    assert.equal(text(preadSpanSync(fd, path, 5, 3, info)), "567");
    assert.equal(text(preadSpanSync(fd, path, 0, 2, info)), "01");
    assert.equal(text(preadSpanSync(fd, path, 8, 2, info)), "89");
  });
});

Deno.test("preadSpanSync() fails when the file is shorter than the span", async () => {
  await using t = await tree({ "a.txt": "0123456789" });
  const path = `${t.dir}/a.txt`;
  const info = Deno.statSync(path);
  withFd(path, info, (fd) => {
    assert.throws(() => preadSpanSync(fd, path, 8, 4, info), FileEndedError);
  });
});

Deno.test("preadSpanSync() fails when the path was rewritten, replaced or deleted", async () => {
  await using t = await tree({ "a.txt": "0123456789", "b.txt": "abcdefghij" });
  const path = `${t.dir}/a.txt`;
  const info = Deno.statSync(path);
  withFd(path, info, (fd) => {
    Deno.utimeSync(path, 1, 1_000_000);
    assert.throws(() => preadSpanSync(fd, path, 0, 4, info), FileChangedError);
  });
  const info2 = Deno.statSync(path);
  withFd(path, info2, (fd) => {
    Deno.renameSync(`${t.dir}/b.txt`, path);
    assert.throws(() => preadSpanSync(fd, path, 0, 4, info2), FileChangedError);
  });
  const info3 = Deno.statSync(path);
  withFd(path, info3, (fd) => {
    Deno.removeSync(path);
    assert.throws(() => preadSpanSync(fd, path, 0, 4, info3), /deleted/);
  });
});

Deno.test("openFdSync() refuses a path that names another file than its stat (a swap for a symlink)", async () => {
  await using t = await tree({ "a.txt": "inside" });
  await using outside = await tree({ "secret.txt": "SECRET" });
  const path = `${t.dir}/a.txt`;
  const info = Deno.statSync(path);
  Deno.removeSync(path);
  Deno.symlinkSync(`${outside.dir}/secret.txt`, path);
  assert.throws(() => openFdSync(path, info), FileChangedError);
});

Deno.test("openFdSync() is 404 for a file that is gone", async () => {
  await using t = await tree({ "a.txt": "here" });
  const path = `${t.dir}/a.txt`;
  const info = Deno.statSync(path);
  Deno.removeSync(path);
  assert.throws(() => openFdSync(path, info), (e) => e instanceof HttpError && e.status === 404);
});

Deno.test("preadSpanSync() fails when the name became a symlink, even to the very same file", async () => {
  await using t = await tree({ "a.txt": "0123456789" });
  const path = `${t.dir}/a.txt`;
  const info = Deno.statSync(path);
  withFd(path, info, (fd) => {
    Deno.renameSync(path, `${t.dir}/b.txt`);
    Deno.symlinkSync(`${t.dir}/b.txt`, path);
    assert.throws(() => preadSpanSync(fd, path, 0, 4, info), FileChangedError);
  });
});
