/**
 * `GET /media/{folder}/?zip` over a real socket: the archive's bytes, checked
 * by the external tools where installed; resumed and parallel range downloads;
 * validators and the listing's link.
 */

import assert from "node:assert/strict";
import { makeMediaApp } from "../support/media_app.ts";
import { FIXTURE_MTIME, makeMediaFixture } from "../support/media_fixture.ts";
import { startTestServer } from "../support/server.ts";
import { runTool, TESTERS } from "../support/zip_tools.ts";

/** What the media fixture's ZIP holds, in archive order (sorted by UTF-8 bytes). */
const NAMES = [
  "media/",
  "media/<b>&'\".txt",
  "media/blob.xyz123",
  "media/clip.mp4",
  "media/docs/",
  "media/docs/deep/",
  "media/docs/deep/er/",
  "media/docs/deep/er/big.bin",
  "media/docs/guide.txt",
  "media/empty.txt",
  "media/inner-link.txt",
  "media/notes.txt",
  "media/with space.txt",
  "media/ümlaut ñame.txt",
];
/** Three chunks and a bit: ranges and chunk edges fall inside it. */
const BIG = Uint8Array.from({ length: 800_000 }, (_, i) => (i * 7 + (i >> 8)) % 256);

/** Adds nested folders holding a bigger file, and a FIFO that must be left out, to `media`. */
async function addZipFiles(media: string) {
  await Deno.mkdir(`${media}/docs/deep/er`, { recursive: true });
  await Deno.writeFile(`${media}/docs/deep/er/big.bin`, BIG);
  await new Deno.Command("mkfifo", { args: [`${media}/docs/pipe`] }).output();
  for (const p of ["docs/deep/er/big.bin", "docs/deep/er", "docs/deep", "docs", "."]) {
    await Deno.utime(`${media}/${p}`, FIXTURE_MTIME, FIXTURE_MTIME);
  }
}

/** The media fixture with {@linkcode addZipFiles}. */
async function zipFixture() {
  const fx = await makeMediaFixture();
  await addZipFiles(fx.media);
  return fx;
}

async function bytesOf(res: Response): Promise<Uint8Array> {
  return new Uint8Array(await res.arrayBuffer());
}

Deno.test("GET /media/?zip: one stored archive the external tools accept, with exact headers", async () => {
  await using fx = await zipFixture();
  await using server = await startTestServer(["--media-dir", fx.media]);
  const res = await fetch(`${server.origin}/media/?zip`);
  assert.equal(res.status, 200);
  const zip = await bytesOf(res);
  assert.equal(res.headers.get("content-length"), String(zip.byteLength));
  assert.equal(res.headers.get("content-type"), "application/zip");
  assert.equal(res.headers.get("content-disposition"), "attachment; filename=media.zip");
  assert.equal(res.headers.get("accept-ranges"), "bytes");
  assert.equal(res.headers.get("cache-control"), "no-cache");
  assert.equal(res.headers.get("last-modified"), FIXTURE_MTIME.toUTCString());
  assert.match(res.headers.get("etag")!, /^"zip-[0-9a-f]{32}"$/);
  assert.equal(res.headers.get("content-encoding"), null);
  // Stored, not compressed: the file's bytes appear as they are.
  assert.ok(new TextDecoder().decode(zip).includes("hello, sluice\n"));
  for (const secret of ["SECRET", "EVIL", "OUTSIDE"]) {
    assert.ok(!new TextDecoder().decode(zip).includes(secret), `leaked ${secret}`);
  }

  const archive = await Deno.makeTempFile({ suffix: ".zip" });
  try {
    await Deno.writeFile(archive, zip);
    for (const tool of TESTERS) {
      const out = await runTool(tool, archive);
      if (out === undefined) continue;
      assert.equal(out.code, 0, `${tool.name}: ${out.stdout}${out.stderr}`);
      if (tool.name === "python3") {
        const { bad, entries } = JSON.parse(out.stdout);
        assert.equal(bad, null);
        assert.deepEqual(entries.map((e: unknown[]) => e[0]), NAMES);
        const big = entries.find((e: unknown[]) => e[0] === "media/docs/deep/er/big.bin");
        assert.equal(big[1], BIG.byteLength);
        // MS-DOS time, in UTC, to the even second.
        assert.deepEqual(big[3], [2024, 1, 2, 3, 4, 4]);
      }
      if (tool.name === "bsdtar") {
        const listed = out.stdout.trim().split("\n").map((l) =>
          l.split(/ {1,}/).slice(8).join(" ")
        );
        assert.deepEqual(listed, NAMES, "bsdtar lists every name, UTF-8 intact");
      }
    }
  } finally {
    await Deno.remove(archive);
  }
});

Deno.test("?zip: a resumed download and eight parallel ranges are byte-identical to a whole one", async () => {
  await using fx = await zipFixture();
  await using server = await startTestServer(["--media-dir", fx.media]);
  const url = `${server.origin}/media/docs/?zip`;
  const whole = await bytesOf(await fetch(url));
  const etag = (await fetch(url, { method: "HEAD" })).headers.get("etag")!;
  const size = whole.byteLength;

  // Eight ranges at once, as aria2c -x8 asks; each from a fresh cache's point of view but one.
  const bounds = Array.from({ length: 8 }, (_, i) => [
    Math.floor((i * size) / 8),
    Math.floor(((i + 1) * size) / 8) - 1,
  ]);
  const parts = await Promise.all(bounds.map(async ([start, end]) => {
    const res = await fetch(url, { headers: { range: `bytes=${start}-${end}`, "if-range": etag } });
    assert.equal(res.status, 206);
    assert.equal(res.headers.get("content-range"), `bytes ${start}-${end}/${size}`);
    return await bytesOf(res);
  }));
  const assembled = new Uint8Array(size);
  parts.forEach((p, i) => assembled.set(p, bounds[i][0]));
  assert.deepEqual(assembled, whole);

  // A download broken at every kind of boundary, resumed with Range and If-Range.
  for (const cut of [1, 30, 100, 5000, size - 200, size - 22, size - 1]) {
    const res = await fetch(url, { headers: { range: `bytes=${cut}-`, "if-range": etag } });
    assert.equal(res.status, 206, `cut at ${cut}`);
    assert.deepEqual(await bytesOf(res), whole.subarray(cut), `cut at ${cut}`);
  }

  // curl -C - resumes from what is on disk.
  const partial = await Deno.makeTempFile({ suffix: ".zip" });
  try {
    await Deno.writeFile(partial, whole.subarray(0, 300_000));
    const out = await new Deno.Command("curl", {
      args: ["-sS", "-C", "-", "-o", partial, url],
      stderr: "piped",
    }).output().catch(() => undefined);
    if (out === undefined) console.warn("zip tests: curl -C - skipped, curl is not installed");
    else {
      assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
      assert.deepEqual(await Deno.readFile(partial), whole);
    }
  } finally {
    await Deno.remove(partial);
  }
});

Deno.test("?zip: conditional requests, If-Range, 416, HEAD, redirect and the listing's link", async () => {
  // HTTP rules only: the media route is called directly.
  await using app = await makeMediaApp({ setUp: addZipFiles });
  const fetch = app.fetch;
  const url = "/media/docs/?zip";
  const head = await fetch(url, { method: "HEAD" });
  assert.equal(head.status, 200);
  assert.equal(await head.text(), "");
  const size = Number(head.headers.get("content-length"));
  const etag = head.headers.get("etag")!;
  assert.ok(size > BIG.byteLength);

  const notModified = await fetch(url, { headers: { "if-none-match": etag } });
  assert.equal(notModified.status, 304);
  assert.equal(notModified.headers.get("etag"), etag);
  await notModified.body?.cancel();
  const failed = await fetch(url, { headers: { "if-match": '"zip-other"' } });
  assert.equal(failed.status, 412);
  await failed.body?.cancel();
  // A stale If-Range gets the whole archive, not a range of another one.
  const stale = await fetch(url, { headers: { range: "bytes=10-", "if-range": '"zip-old"' } });
  assert.equal(stale.status, 200);
  assert.equal((await bytesOf(stale)).byteLength, size);
  const outside = await fetch(url, { headers: { range: `bytes=${size}-` } });
  assert.equal(outside.status, 416);
  assert.equal(outside.headers.get("content-range"), `bytes */${size}`);
  await outside.body?.cancel();
  // Several ranges: the whole archive (a multipart ZIP would help nobody).
  const multi = await fetch(url, { headers: { range: "bytes=0-9,20-29" } });
  assert.equal(multi.status, 200);
  assert.equal((await bytesOf(multi)).byteLength, size);

  const bare = await fetch("/media/docs?zip", { redirect: "manual" });
  assert.equal(bare.status, 301);
  assert.equal(bare.headers.get("location"), "/media/docs/?zip");
  await bare.body?.cancel();

  const html = await (await fetch("/media/docs/")).text();
  const kib = (size / 1024).toFixed(1);
  assert.ok(
    html.includes(`<p><a href="?zip" download>Download folder (ZIP)</a> ${kib} KiB</p>`),
    html,
  );
});
