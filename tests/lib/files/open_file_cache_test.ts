import assert from "node:assert/strict";
import { FileChangedError } from "../../../lib/files/file_identity.ts";
import { HttpError } from "../../../lib/http/http_error.ts";
import { OpenFileCache } from "../../../lib/files/open_file_cache.ts";
import { openFdsBelow } from "../../support/http.ts";
import { makeTempTree } from "../../support/server.ts";

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

async function tree(files: Record<string, string>) {
  const dir = await Deno.realPath(await makeTempTree(files));
  return { dir, [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }) };
}

async function assert404(promise: Promise<unknown>) {
  await assert.rejects(promise, (error) => error instanceof HttpError && error.status === 404);
}

Deno.test("OpenFileCache never holds more fds than maxEntries over 1,000 reads of 200 files", async () => {
  const files: Record<string, string> = {};
  for (let i = 0; i < 200; i++) files[`f${i}.txt`] = `file ${i}\n`;
  await using media = await tree(files);
  using cache = new OpenFileCache(media.dir, { maxEntries: 50 });
  for (let i = 0; i < 1000; i++) {
    const n = (i * 7) % 200;
    const found = await cache.lookup([`f${n}.txt`]);
    assert.equal(text(found.readSync(0, found.info.size)), `file ${n}\n`);
    assert.ok(cache.openFds <= 50, `${cache.openFds} fds cached`);
  }
  assert.equal(cache.size, 50);
  assert.equal(await openFdsBelow(media.dir), 50);
  cache.clear();
  assert.equal(await openFdsBelow(media.dir), 0);
});

Deno.test("OpenFileCache shares one fd between lookups of the same file", async () => {
  await using media = await tree({ "a.txt": "abcdefghij" });
  using cache = new OpenFileCache(media.dir);
  const one = await cache.lookup(["a.txt"]);
  const two = await cache.lookup(["a.txt"]);
  // Interleaved reads at different offsets: each seek+read pair is synchronous.
  assert.equal(text(one.readSync(5, 3)), "fgh");
  assert.equal(text(two.readSync(0, 2)), "ab");
  assert.equal(text(one.readSync(8, 2)), "ij");
  assert.equal(await openFdsBelow(media.dir), 1);
});

Deno.test("OpenFileCache with maxEntries 0 caches nothing and keeps no fd", async () => {
  await using media = await tree({ "a.txt": "abc" });
  using cache = new OpenFileCache(media.dir, { maxEntries: 0 });
  const found = await cache.lookup(["a.txt"]);
  assert.equal(text(found.readSync(0, 3)), "abc");
  assert.equal(cache.size, 0);
  assert.equal(await openFdsBelow(media.dir), 0);
});

Deno.test("OpenFileCache: a file rewritten in place fails the read, and a new lookup has the new version", async () => {
  await using media = await tree({ "a.txt": "old!" });
  using cache = new OpenFileCache(media.dir);
  const first = await cache.lookup(["a.txt"]);
  assert.equal(text(first.readSync(0, 4)), "old!");
  await Deno.writeTextFile(`${media.dir}/a.txt`, "new!");
  await Deno.utime(`${media.dir}/a.txt`, 1, 1_000_000); // Surely another mtime.
  assert.throws(() => first.readSync(0, 4), FileChangedError);
  const second = await cache.lookup(["a.txt"]);
  assert.notEqual(second, first);
  assert.equal(text(second.readSync(0, 4)), "new!");
  assert.equal(second.info.mtime?.getTime(), 1_000_000_000);
});

Deno.test("OpenFileCache: a deleted file fails the read and is then 404", async () => {
  await using media = await tree({ "a.txt": "abc" });
  using cache = new OpenFileCache(media.dir);
  const found = await cache.lookup(["a.txt"]);
  assert.equal(text(found.readSync(0, 3)), "abc");
  await Deno.remove(`${media.dir}/a.txt`);
  assert.throws(() => found.readSync(0, 3), FileChangedError);
  await assert404(cache.lookup(["a.txt"]));
  assert.equal(await openFdsBelow(media.dir), 0);
});

Deno.test("OpenFileCache: a file swapped for a symlink leading outside is never read, and 404 after the validity window", async () => {
  await using media = await tree({ "a.txt": "inside" });
  await using outside = await tree({ "secret.txt": "SECRET" });
  using cache = new OpenFileCache(media.dir, { validMs: 50 });
  const found = await cache.lookup(["a.txt"]);
  assert.equal(text(found.readSync(0, 6)), "inside");
  await Deno.remove(`${media.dir}/a.txt`);
  await Deno.symlink(`${outside.dir}/secret.txt`, `${media.dir}/a.txt`);
  // Within the window the entry is still found, but its inode is gone: no read.
  const stale = await cache.lookup(["a.txt"]);
  assert.throws(() => stale.readSync(0, 6), FileChangedError);
  await new Promise((r) => setTimeout(r, 60));
  await assert404(cache.lookup(["a.txt"]));
});

Deno.test("OpenFileCache: a stat-only lookup is rechecked after the validity window", async () => {
  await using media = await tree({ "a.txt": "abc" });
  using cache = new OpenFileCache(media.dir, { validMs: 50 });
  const first = await cache.lookup(["a.txt"]);
  await Deno.writeTextFile(`${media.dir}/b.txt`, "longer");
  await Deno.rename(`${media.dir}/b.txt`, `${media.dir}/a.txt`);
  assert.equal(await cache.lookup(["a.txt"]), first, "trusted within the window");
  await new Promise((r) => setTimeout(r, 60));
  const fresh = await cache.lookup(["a.txt"]);
  assert.equal(fresh.info.size, 6);
  assert.equal(text(fresh.readSync(0, 6)), "longer");
});

Deno.test("OpenFileCache closes entries unused for inactiveMs", async () => {
  await using media = await tree({ "a.txt": "abc", "b.txt": "def" });
  using cache = new OpenFileCache(media.dir, { inactiveMs: 50 });
  (await cache.lookup(["a.txt"])).readSync(0, 3);
  (await cache.lookup(["b.txt"])).readSync(0, 3);
  assert.equal(await openFdsBelow(media.dir), 2);
  // The sweep runs inactiveMs after the last use; a busy machine runs it late,
  // so wait for it (up to 10 s) instead of for a fixed time.
  for (let i = 0; i < 200 && await openFdsBelow(media.dir) > 0; i++) {
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal(await openFdsBelow(media.dir), 0);
  assert.equal(cache.size, 0);
});
