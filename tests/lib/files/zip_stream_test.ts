import assert from "node:assert/strict";
import { crc32 } from "node:zlib";
import { CrcCache } from "../../../lib/files/crc_cache.ts";
import { readZipEntries } from "../../../lib/files/zip_entries.ts";
import { layoutZip, type ZipSource } from "../../../lib/files/zip_layout.ts";
import { zipStream } from "../../../lib/files/zip_stream.ts";
import { makeTempTree } from "../../support/server.ts";
import { LISTERS, runTool } from "../../support/zip_tools.ts";

const bytesOf = async (s: ReadableStream<Uint8Array>) =>
  new Uint8Array(await new Response(s).arrayBuffer());

/** Python's zipfile on an archive: every entry's name, size and header offset, and one entry read. */
async function pythonList(archive: string, read: string) {
  const out = await new Deno.Command("python3", {
    args: [
      "-c",
      `
import sys, zipfile, json
with zipfile.ZipFile(sys.argv[1]) as z:
    print(json.dumps([[i.filename, i.file_size, i.header_offset] for i in z.infolist()] + [z.read(sys.argv[2]).decode()]))
`,
      archive,
      read,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output().catch(() => undefined);
  if (out === undefined) {
    console.warn("zip tests: python3 skipped, not installed (apt-get install python3)");
    return undefined;
  }
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  return JSON.parse(new TextDecoder().decode(out.stdout)) as unknown[];
}

async function checkListers(archive: string, pattern: RegExp) {
  for (const tool of LISTERS) {
    const out = await runTool(tool, archive);
    if (out === undefined) continue;
    assert.equal(out.code, 0, `${tool.name}: ${out.stdout}${out.stderr}`);
    assert.match(out.stdout, pattern, tool.name);
  }
}

Deno.test("zipStream() writes ZIP64 records for a sparse file over 4 GiB", async () => {
  const BIG = 4_500_000_000;
  const dir = await makeTempTree({ "huge/z.txt": "after the big one\n" });
  const copy = await Deno.makeTempFile({ suffix: ".zip" });
  try {
    await Deno.writeFile(`${dir}/huge/big.bin`, new Uint8Array(0));
    await Deno.truncate(`${dir}/huge/big.bin`, BIG);
    const found = await readZipEntries(`${dir}/huge`, dir, { prefix: "huge" });
    assert.equal(found.kind, "entries");
    const layout = await layoutZip(found.kind === "entries" ? found.entries : []);
    const big = layout.entries.find((e) => e.name === "huge/big.bin")!;
    assert.ok(big.zip64 && layout.entries[2].offset > 2 ** 32);
    // Its CRC, as a whole download would have left it in the cache: computed here from
    // zeros in memory, so the test does not read 4.5 GB of holes from the disk.
    const zeros = new Uint8Array(64 * 1024 * 1024);
    let crc = 0;
    for (let left = BIG; left > 0; left -= zeros.byteLength) {
      crc = crc32(zeros.subarray(0, Math.min(left, zeros.byteLength)), crc);
    }
    const cache = new CrcCache();
    cache.set(big, crc >>> 0);
    // The archive is its head, the file's zeros, and its tail: fetch the two ends and
    // rebuild it as a sparse file of the same length.
    const { size } = layout;
    const head = await bytesOf(zipStream(layout, { cache, start: 0, end: 4095 }));
    const tail = await bytesOf(zipStream(layout, { cache, start: size - 4096 }));
    assert.equal(head.byteLength + tail.byteLength, 8192);
    const file = await Deno.open(copy, { write: true });
    try {
      await file.write(head);
      await file.seek(size - 4096, Deno.SeekMode.Start);
      await file.write(tail);
    } finally {
      file.close();
    }
    const text = new TextDecoder("latin1").decode(tail);
    assert.ok(text.includes("PK\x06\x06") && text.includes("PK\x06\x07"), "ZIP64 end and locator");

    const listed = await pythonList(copy, "huge/z.txt");
    if (listed !== undefined) {
      const [d, b, z, content] = listed as [unknown[], unknown[], unknown[], string];
      assert.deepEqual([d[0], b[0], b[1], z[0]], ["huge/", "huge/big.bin", BIG, "huge/z.txt"]);
      assert.ok((z[2] as number) > 2 ** 32, "the entry after it starts past 4 GiB");
      assert.equal(content, "after the big one\n", "read, CRC checked, through a ZIP64 offset");
    }
    await checkListers(copy, /4500000000/);
  } finally {
    await Deno.remove(dir, { recursive: true });
    await Deno.remove(copy);
  }
});

Deno.test("zipStream() writes ZIP64 end records for more than 65,535 entries", async () => {
  const COUNT = 70_000;
  const sources: ZipSource[] = Array.from({ length: COUNT }, (_, i) => ({
    name: `f/${String(i).padStart(5, "0")}/`,
    path: "/nonexistent",
    isDirectory: true,
    size: 0,
    mtimeMs: Date.UTC(2024, 0, 2),
    dev: 0,
    ino: i,
    ctimeMs: 0,
  }));
  const layout = await layoutZip(sources);
  const archive = await Deno.makeTempFile({ suffix: ".zip" });
  try {
    // Folders only: no file is opened.
    const zip = await bytesOf(zipStream(layout, { cache: new CrcCache() }));
    assert.equal(zip.byteLength, layout.size);
    await Deno.writeFile(archive, zip);
    const out = await new Deno.Command("python3", {
      args: [
        "-c",
        "import sys,zipfile; n=zipfile.ZipFile(sys.argv[1]).namelist(); print(len(n), n[-1])",
        archive,
      ],
      stdout: "piped",
    }).output().catch(() => undefined);
    if (out !== undefined) {
      assert.equal(new TextDecoder().decode(out.stdout).trim(), `${COUNT} f/69999/`);
    }
    await checkListers(archive, /f\/69999/);
  } finally {
    await Deno.remove(archive);
  }
});

Deno.test("zipStream() closes the file it is reading when the reader cancels", async () => {
  const dir = await makeTempTree({ "a.bin": new Uint8Array(1024 * 1024), "b.txt": "b" });
  try {
    const found = await readZipEntries(dir, dir, { prefix: "x" });
    const layout = await layoutZip(found.kind === "entries" ? found.entries : []);
    const reader = zipStream(layout, { cache: new CrcCache(), chunkSize: 65536 }).getReader();
    let got = 0;
    // Headers, then the first chunks of a.bin: the file is open.
    for (let i = 0; i < 3; i++) got += (await reader.read()).value?.byteLength ?? 0;
    assert.ok(got > 65536);
    await reader.cancel();
    // --sanitize-resources fails the test if a.bin stayed open.
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("CrcCache computes an entry's CRC once for callers that ask at the same time", async () => {
  const cache = new CrcCache(2);
  const entry = { path: "/x", dev: 1, ino: 2, size: 3, mtimeMs: 4, ctimeMs: 5 } as ZipSource;
  let computed = 0;
  const compute = async () => {
    computed++;
    await new Promise((r) => setTimeout(r, 5));
    return 42;
  };
  assert.deepEqual(await Promise.all([cache.crcOf(entry, compute), cache.crcOf(entry, compute)]), [
    42,
    42,
  ]);
  assert.equal(computed, 1);
  assert.equal(cache.get({ ...entry, mtimeMs: 6 }), undefined, "another mtime is other bytes");
  cache.set({ ...entry, ino: 7 }, 1);
  cache.set({ ...entry, ino: 8 }, 2);
  assert.equal(cache.get(entry), undefined, "the oldest went first");
  assert.equal(cache.size, 2);
});
