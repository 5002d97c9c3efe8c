/**
 * `?zip` when things go wrong or get big: a file that changes, grows or
 * disappears while the archive is sent fails the transfer; a folder over
 * `--zip-max-entries` gets 413. (ZIP64 is tested in
 * tests/lib/files/zip_stream_test.ts, without a socket.)
 */

import assert from "node:assert/strict";
import { makeTempTree, startTestServer } from "../support/server.ts";

/** Bigger than loopback's socket buffers, so the server waits for the client mid-file. */
const FIRST_SIZE = 64 * 1024 * 1024;

/** Reads a body to its end or its failure; bounded by the body's own length. */
async function drain(res: Response): Promise<{ bytes: number; error?: unknown }> {
  const reader = res.body!.getReader();
  let bytes = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return { bytes };
      bytes += value.byteLength;
    }
  } catch (error) {
    return { bytes, error };
  }
}

const CHANGES: Array<[string, (dir: string) => Promise<void>]> = [
  ["a later file grows", (dir) => Deno.writeTextFile(`${dir}/b.txt`, "more\n", { append: true })],
  ["a later file disappears", (dir) => Deno.remove(`${dir}/b.txt`)],
  ["a later file is replaced", async (dir) => {
    await Deno.writeTextFile(`${dir}/b.new`, "B-later\n");
    await Deno.rename(`${dir}/b.new`, `${dir}/b.txt`);
  }],
  ["the file being sent grows", (dir) => Deno.writeTextFile(`${dir}/a.bin`, "x", { append: true })],
];

for (const [what, change] of CHANGES) {
  Deno.test(`?zip fails the transfer when ${what} mid-archive`, async () => {
    const dir = await makeTempTree({ "b.txt": "B-first\n" });
    try {
      // Sparse: 64 MiB of zeros that take no disk.
      await Deno.writeFile(`${dir}/a.bin`, new Uint8Array(0));
      await Deno.truncate(`${dir}/a.bin`, FIRST_SIZE);
      await using server = await startTestServer(["--media-dir", dir]);
      const res = await fetch(`${server.origin}/media/?zip`);
      assert.equal(res.status, 200);
      const size = Number(res.headers.get("content-length"));
      const reader = res.body!.getReader();
      const first = await reader.read();
      assert.ok(!first.done);
      await change(dir);
      reader.releaseLock();
      const rest = await drain(res);
      assert.ok(rest.error !== undefined, "the body fails rather than ending");
      assert.ok(first.value.byteLength + rest.bytes < size, "and it is short of Content-Length");
      await server.waitForLog(/GET \/media\/\?zip 200 \d+B .* failed/, 10_000);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("?zip past --zip-max-entries is 413 with the count, and the listing offers no ZIP", async () => {
  const dir = await makeTempTree({
    "a.txt": "a",
    "b.txt": "b",
    "sub/c.txt": "c",
    "sub/d.txt": "d",
  });
  try {
    await using server = await startTestServer(["--media-dir", dir, "--zip-max-entries", "3"]);
    const res = await fetch(`${server.origin}/media/?zip`);
    assert.equal(res.status, 413);
    assert.equal(res.headers.get("content-type"), "application/problem+json");
    const problem = await res.json();
    // The folder itself, sub/, and four files.
    assert.equal(
      problem.detail,
      "The folder holds 6 entries; a ZIP holds at most 3 (--zip-max-entries)",
    );
    const small = await fetch(`${server.origin}/media/sub/?zip`, { method: "HEAD" });
    assert.equal(small.status, 200);
    const html = await (await fetch(`${server.origin}/media/`)).text();
    assert.ok(!html.includes("?zip"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
