/**
 * Files that change, vanish or turn into symlinks while Sluice serves them
 * (the open-file cache and the identity check on every read), and the fds it
 * keeps for them.
 */
import assert from "node:assert/strict";
import { openFdsBelow, waitFor } from "../support/http.ts";
import { makeTempTree, startTestServer } from "../support/server.ts";
import { startSluice } from "../support/sluice_process.ts";

const MiB = 1024 * 1024;

async function tree(files: Record<string, string | Uint8Array>) {
  const dir = await Deno.realPath(await makeTempTree(files));
  return { dir, [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }) };
}

async function get(url: string, headers: HeadersInit = {}) {
  const res = await fetch(url, { headers });
  return { status: res.status, etag: res.headers.get("etag"), body: await res.text() };
}

Deno.test("a file rewritten in place is served fresh, with a new ETag, on the next request", async () => {
  await using media = await tree({ "a.txt": "version 1\n" });
  await using server = await startTestServer(["--media-dir", media.dir]);
  const first = await get(`${server.origin}/media/a.txt`);
  assert.deepEqual([first.status, first.body], [200, "version 1\n"]);
  await Deno.writeTextFile(`${media.dir}/a.txt`, "version 2\n");
  await Deno.utime(`${media.dir}/a.txt`, 1, 1_000_000);
  const second = await get(`${server.origin}/media/a.txt`);
  assert.deepEqual([second.status, second.body], [200, "version 2\n"]);
  assert.notEqual(second.etag, first.etag);
  const range = await get(`${server.origin}/media/a.txt`, { range: "bytes=8-8" });
  assert.deepEqual([range.status, range.body], [206, "2"]);
});

Deno.test("a deleted file is 404 on the next request, and its cached fd is closed", async () => {
  await using media = await tree({ "a.txt": "here\n" });
  await using server = await startTestServer(["--media-dir", media.dir]);
  assert.equal((await get(`${server.origin}/media/a.txt`)).body, "here\n");
  await Deno.remove(`${media.dir}/a.txt`);
  const gone = await get(`${server.origin}/media/a.txt`);
  assert.equal(gone.status, 404);
  assert.equal(await openFdsBelow(media.dir), 0);
});

Deno.test("a file swapped for a symlink leading outside never serves outside bytes, small or streamed", async () => {
  const big = new Uint8Array(MiB).fill(0x61);
  await using media = await tree({ "small.txt": "inside\n", "big.bin": big });
  await using outside = await tree({ "secret.txt": "SECRET\n", "secret.bin": new Uint8Array(MiB) });
  await using server = await startTestServer(["--media-dir", media.dir]);
  assert.equal((await get(`${server.origin}/media/small.txt`)).body, "inside\n");
  assert.equal((await get(`${server.origin}/media/big.bin`)).body.length, MiB);
  for (const [name, target] of [["small.txt", "secret.txt"], ["big.bin", "secret.bin"]]) {
    await Deno.remove(`${media.dir}/${name}`);
    await Deno.symlink(`${outside.dir}/${target}`, `${media.dir}/${name}`);
  }
  // At once (within the cache's validity window) and after it.
  for (const wait of [0, 1100]) {
    await new Promise((r) => setTimeout(r, wait));
    for (const name of ["small.txt", "big.bin"]) {
      const res = await get(`${server.origin}/media/${name}`);
      assert.equal(res.status, 404, `${name} after ${wait} ms: ${res.body.slice(0, 40)}`);
      assert.ok(!res.body.includes("SECRET"));
    }
  }
});

/** Runs a command as root without the capabilities that let root read any file. */
const UNPRIVILEGED = ["setpriv", "--bounding-set=-dac_override,-dac_read_search", "--"];

/**
 * How to start a server that file modes bind: as we are when they bind us,
 * else (root) through {@linkcode UNPRIVILEGED}; undefined when neither works.
 */
async function modeBoundServer(): Promise<string[] | undefined> {
  await using probe = await tree({ "p.txt": "x" });
  await Deno.chmod(`${probe.dir}/p.txt`, 0o000);
  try {
    await Deno.readTextFile(`${probe.dir}/p.txt`);
  } catch (error) {
    if (error instanceof Deno.errors.PermissionDenied) return [];
    throw error;
  }
  try {
    const cat = await new Deno.Command(UNPRIVILEGED[0], {
      args: [...UNPRIVILEGED.slice(1), "cat", `${probe.dir}/p.txt`],
      stdout: "null",
      stderr: "null",
    }).output();
    return cat.success ? undefined : UNPRIVILEGED;
  } catch {
    return undefined; // No setpriv.
  }
}

const wrapper = await modeBoundServer();
if (wrapper === undefined) {
  console.log("permission tests ignored: root, and setpriv cannot drop CAP_DAC_OVERRIDE here");
}

Deno.test({
  name:
    "a file the server may not read is 404, small, ranged or streamed, from the start or once its mode changes",
  ignore: wrapper === undefined,
  async fn() {
    await using media = await tree({
      "a.txt": "readable\n",
      "b.txt": "never readable\n",
      "big.bin": new Uint8Array(MiB).fill(0x61),
    });
    await Deno.chmod(`${media.dir}/b.txt`, 0o000);
    await using server = await startSluice(["--media-dir", media.dir], wrapper);
    assert.equal((await get(`${server.origin}/media/a.txt`)).body, "readable\n");
    assert.equal((await get(`${server.origin}/media/big.bin`)).body.length, MiB);
    const closed = await get(`${server.origin}/media/b.txt`);
    assert.equal(closed.status, 404, closed.body);
    await Deno.chmod(`${media.dir}/a.txt`, 0o000);
    await Deno.chmod(`${media.dir}/big.bin`, 0o000);
    const cases = [["a.txt", {}], ["a.txt", { range: "bytes=0-3" }], ["big.bin", {}]] as const;
    // At once, a cached fd opened while the file was readable may still serve
    // it (as nginx's open_file_cache does; Deno's ctime has whole seconds, so a
    // chmod within the second goes unseen): the old bytes or 404, never a 500.
    for (const [name, headers] of cases) {
      const res = await get(`${server.origin}/media/${name}`, headers);
      assert.ok([200, 206, 404].includes(res.status), `${name}: ${res.status} ${res.body}`);
    }
    // After the validity window the path is opened afresh: 404.
    await new Promise((r) => setTimeout(r, 1100));
    for (const [name, headers] of cases) {
      const res = await get(`${server.origin}/media/${name}`, headers);
      assert.equal(res.status, 404, `${name} ${JSON.stringify(headers)}: ${res.body}`);
      assert.ok(!res.body.includes("readable") && !res.body.includes("aaaa"), res.body);
    }
    assert.doesNotMatch(
      server.output(),
      / error: /,
      "an unreadable file was logged as a server error",
    );
  },
});

Deno.test("1,000 requests over 200 files keep at most --open-file-cache fds, and none after shutdown", async () => {
  const files: Record<string, string> = {};
  for (let i = 0; i < 200; i++) files[`f${i}.txt`] = `file ${i}\n`;
  await using media = await tree(files);
  {
    await using server = await startTestServer([
      "--media-dir",
      media.dir,
      "--open-file-cache",
      "40",
    ]);
    let peak = 0;
    for (let batch = 0; batch < 100; batch++) {
      await Promise.all(Array.from({ length: 10 }, async (_, i) => {
        const n = (batch * 10 + i) * 7 % 200;
        const res = await get(`${server.origin}/media/f${n}.txt`);
        assert.deepEqual([res.status, res.body], [200, `file ${n}\n`]);
      }));
      peak = Math.max(peak, await openFdsBelow(media.dir));
    }
    assert.ok(peak <= 40, `peak ${peak} fds on media files`);
  }
  assert.equal(await openFdsBelow(media.dir), 0);
});

Deno.test("100 aborted streamed ranges leave only the cache's fds open", async () => {
  await using media = await tree({ "small.txt": "small\n" });
  await Deno.writeFile(`${media.dir}/big.bin`, new Uint8Array(0));
  await Deno.truncate(`${media.dir}/big.bin`, 64 * MiB);
  await using server = await startTestServer(["--media-dir", media.dir]);
  await get(`${server.origin}/media/small.txt`);
  const before = await openFdsBelow(media.dir);
  for (let i = 0; i < 100; i++) {
    const controller = new AbortController();
    const res = await fetch(`${server.origin}/media/big.bin`, {
      headers: { range: `bytes=${i * 1000}-` },
      signal: controller.signal,
    });
    assert.equal(res.status, 206);
    const reader = res.body!.getReader();
    assert.ok(((await reader.read()).value?.byteLength ?? 0) > 0);
    controller.abort();
    await reader.read().catch(() => {});
  }
  const closed = await waitFor(async () => await openFdsBelow(media.dir) <= before, 5000);
  assert.ok(closed, `${await openFdsBelow(media.dir)} fds on media files, ${before} before`);
});

Deno.test("a file rewritten in place during a download fails the transfer instead of mixing versions", async () => {
  const size = 32 * MiB;
  await using media = await tree({ "v.bin": new Uint8Array(size).fill(1) });
  await using server = await startTestServer(["--media-dir", media.dir]);
  const res = await fetch(`${server.origin}/media/v.bin`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-length"), String(size));
  const reader = res.body!.getReader();
  let got = (await reader.read()).value!.byteLength;
  // Same size, new bytes, in place (same inode).
  using file = await Deno.open(`${media.dir}/v.bin`, { write: true });
  await file.write(new Uint8Array(MiB).fill(2));
  await Deno.utime(`${media.dir}/v.bin`, 1, 1_000_000);
  let failed = false;
  try {
    for (let i = 0; i < 10_000; i++) {
      const { done, value } = await reader.read();
      if (done) break;
      got += value.byteLength;
    }
  } catch {
    failed = true;
  }
  assert.ok(failed, `the body ended cleanly after ${got} of ${size} bytes`);
  assert.ok(got < size);
  await server.waitForLog(/GET \/media\/v\.bin .* failed/);
});
