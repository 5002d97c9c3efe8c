/**
 * What streaming costs the server: file handles, memory, and the access log
 * written when a body really ends.
 */
import assert from "node:assert/strict";
import { openFdTargets, parseByteranges, waitFor } from "../support/http.ts";
import { makeTempTree, startTestServer } from "../support/server.ts";

const MiB = 1024 * 1024;

/** A temp media folder with one sparse file of `size` bytes (no disk used). */
async function sparseMedia(name: string, size: number): Promise<AsyncDisposable & { dir: string }> {
  const dir = await makeTempTree({ "small.txt": "small\n" });
  await Deno.writeFile(`${dir}/${name}`, new Uint8Array(0));
  await Deno.truncate(`${dir}/${name}`, size);
  return { dir, [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }) };
}

Deno.test("30 downloads cut off mid-way leave no file open", async () => {
  await using media = await sparseMedia("big.bin", 64 * MiB);
  await using server = await startTestServer(["--media-dir", media.dir]);
  // The served file's own descriptors: sockets and the client's handles come
  // and go on their own and would hide one leaked file among them.
  const path = await Deno.realPath(`${media.dir}/big.bin`);
  const openCopies = async () => (await openFdTargets()).filter((t) => t === path).length;
  let seenOpen = 0;
  const kinds: HeadersInit[] = [{}, { range: "bytes=1000-" }, { range: "bytes=0-9,4096-" }];
  for (let i = 0; i < 30; i++) {
    const controller = new AbortController();
    const res = await fetch(`${server.origin}/media/big.bin`, {
      headers: kinds[i % 3],
      signal: controller.signal,
    });
    assert.equal(res.status, i % 3 === 0 ? 200 : 206);
    const reader = res.body!.getReader();
    const first = await reader.read();
    assert.ok(first.value !== undefined && first.value.byteLength > 0);
    // Mid-way the file is open: the probe sees what it must later not see.
    if (i < 3) seenOpen += await openCopies();
    if (i % 2 === 0) {
      controller.abort();
      await reader.read().catch(() => {});
    } else {
      await reader.cancel();
    }
  }
  assert.ok(seenOpen >= 3, `big.bin seen open ${seenOpen} times mid-download`);
  const closed = await waitFor(async () => await openCopies() === 0);
  assert.ok(closed, `big.bin is still open ${await openCopies()} times`);
  // Every download was logged as aborted, short of its full size.
  const aborted = await waitFor(() => server.logs.filter((l) => / aborted$/.test(l)).length === 30);
  assert.ok(aborted, server.logs.join("\n"));
  for (const line of server.logs.filter((l) => l.includes("big.bin"))) {
    const bytes = Number(/ (\d+)B /.exec(line)![1]);
    assert.ok(bytes < 64 * MiB, line);
  }
});

Deno.test("a 1 GiB file streams with less than 64 MiB of RSS growth", async () => {
  await using media = await sparseMedia("huge.bin", 1024 * MiB);
  await using server = await startTestServer(["--media-dir", media.dir]);
  await (await fetch(`${server.origin}/media/small.txt`)).text();
  const rss = () => Deno.memoryUsage().rss;
  const baseline = rss();
  let peak = baseline;
  const res = await fetch(`${server.origin}/media/huge.bin`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-length"), String(1024 * MiB));
  // A BYOB reader that reuses one buffer: the client shares this process, and
  // must not add a GiB of its own garbage to the RSS being measured.
  const reader = res.body!.getReader({ mode: "byob" });
  let buffer = new Uint8Array(256 * 1024);
  let received = 0;
  let nonZero = 0;
  for (let reads = 1; reads < 1_000_000; reads++) {
    const { done, value } = await reader.read(buffer);
    if (done) break;
    received += value.byteLength;
    if (reads % 16 === 0) {
      peak = Math.max(peak, rss());
      nonZero += value.some((b) => b !== 0) ? 1 : 0;
    }
    buffer = new Uint8Array(value.buffer);
  }
  peak = Math.max(peak, rss());
  assert.equal(received, 1024 * MiB);
  assert.equal(nonZero, 0, "a sparse file reads as zeros");
  const growth = (peak - baseline) / MiB;
  if (Deno.env.get("SHOW_RSS")) console.log(`RSS growth: ${growth.toFixed(1)} MiB`);
  assert.ok(growth < 64, `RSS grew by ${growth.toFixed(1)} MiB`);
  const line = await server.waitForLog(/huge\.bin/);
  assert.match(line, / GET \/media\/huge\.bin 200 1073741824B [\d.]+ms complete$/);
});

Deno.test("large bodies arrive byte for byte: whole, one range, several, compressed", async () => {
  // Random bytes over many chunks, so a chunk released too early would show.
  const data = new Uint8Array(6 * MiB + 12345);
  for (let i = 0; i < data.length; i += 65536) crypto.getRandomValues(data.subarray(i, i + 65536));
  const text = new TextEncoder().encode(
    Array.from({ length: 120_000 }, (_, i) => `line ${i} ${i * 7919 % 1000}\n`).join(""),
  );
  const dir = await makeTempTree({ "random.bin": data, "log.txt": text });
  try {
    await using server = await startTestServer(["--media-dir", dir]);
    const whole = await fetch(`${server.origin}/media/random.bin`);
    assert.deepEqual(new Uint8Array(await whole.arrayBuffer()), data);
    const range = await fetch(`${server.origin}/media/random.bin`, {
      headers: { range: "bytes=1000-5000000" },
    });
    assert.equal(range.status, 206);
    assert.deepEqual(new Uint8Array(await range.arrayBuffer()), data.slice(1000, 5000001));
    const multi = await fetch(`${server.origin}/media/random.bin`, {
      headers: { range: "bytes=0-999999,3000000-" },
    });
    const parts = parseByteranges(
      new Uint8Array(await multi.arrayBuffer()),
      multi.headers.get("content-type")!,
    );
    assert.deepEqual(parts[0].body, data.slice(0, 1000000));
    assert.deepEqual(parts[1].body, data.slice(3000000));
    // Text goes through gzip when asked (fetch undoes it): the bytes still match.
    const gz = await fetch(`${server.origin}/media/log.txt`, {
      headers: { "accept-encoding": "gzip" },
    });
    assert.equal(gz.headers.get("content-encoding"), "gzip");
    assert.deepEqual(new Uint8Array(await gz.arrayBuffer()), text);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the access log has one line per response, with the bytes sent and the outcome", async () => {
  const dir = await makeTempTree({ "a.txt": "0123456789" });
  try {
    await using server = await startTestServer(["--media-dir", dir]);
    // One request at a time, each waited for in the log: lines come in order.
    const send = async (path: string, init?: RequestInit) => {
      const before = server.logs.length;
      const res = await fetch(`${server.origin}${path}`, init);
      await res.arrayBuffer();
      assert.ok(await waitFor(() => server.logs.length === before + 1), server.logs.join("\n"));
      return res;
    };
    const etag = (await send("/media/a.txt", { method: "HEAD" })).headers.get("etag")!;
    await send("/media/a.txt");
    await send("/media/a.txt", { headers: { range: "bytes=2-4" } });
    await send("/media/a.txt", { headers: { "if-none-match": etag } });
    await send("/media/nope.txt?x=%22y");
    // A HEAD of a listing: the runtime reads the body but sends none of it.
    await send("/media/", { method: "HEAD" });
    const id = "[0-9a-f]{8}";
    const time = "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z";
    const expected = [
      `HEAD /media/a.txt 200 0B`,
      `GET /media/a.txt 200 10B`,
      `GET /media/a.txt 206 3B`,
      `GET /media/a.txt 304 0B`,
      `GET /media/nope.txt\\?x=%22y 404 80B`,
      `HEAD /media/ 200 0B`,
    ];
    assert.equal(server.logs.length, 6, server.logs.join("\n"));
    server.logs.forEach((line, i) => {
      assert.match(line, new RegExp(`^${time} ${id} - ${expected[i]} \\d+(\\.\\d)?ms complete$`));
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("an aborted download is logged as aborted when the client leaves, not before", async () => {
  await using media = await sparseMedia("big.bin", 64 * MiB);
  await using server = await startTestServer([
    "--media-dir",
    media.dir,
    "--log-format",
    "json",
  ]);
  const res = await fetch(`${server.origin}/media/big.bin`, {
    headers: { "x-request-id": "abort-me" },
  });
  const reader = res.body!.getReader();
  await reader.read();
  // The handler returned long ago, but the body is still going: no line yet.
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(server.logs.length, 0, server.logs.join("\n"));
  await reader.cancel();
  const entry = JSON.parse(await server.waitForLog(/"abort-me"/));
  assert.deepEqual(Object.keys(entry), [
    "time",
    "request_id",
    "user",
    "method",
    "path",
    "status",
    "bytes",
    "duration_ms",
    "outcome",
  ]);
  assert.equal(entry.request_id, "abort-me");
  assert.equal(entry.method, "GET");
  assert.equal(entry.path, "/media/big.bin");
  assert.equal(entry.status, 200);
  assert.equal(entry.outcome, "aborted");
  assert.ok(entry.bytes > 0 && entry.bytes < 64 * MiB, `bytes: ${entry.bytes}`);
  assert.equal(typeof entry.duration_ms, "number");
  assert.ok(entry.duration_ms >= 50, `duration_ms: ${entry.duration_ms}`);
  assert.ok(Math.abs(Date.parse(entry.time) - Date.now()) < 5000);
});

Deno.test("--log-format json writes one JSON object per response", async () => {
  const dir = await makeTempTree({ "a.txt": "0123456789" });
  try {
    await using server = await startTestServer(["--media-dir", dir, "--log-format", "json"]);
    await (await fetch(`${server.origin}/media/a.txt`, { headers: { range: "bytes=-4" } }))
      .arrayBuffer();
    await (await fetch(`${server.origin}/healthz`)).arrayBuffer();
    await waitFor(() => server.logs.length === 2);
    const entries = server.logs.map((line) => JSON.parse(line))
      .sort((a, b) => a.path.localeCompare(b.path));
    assert.deepEqual(
      entries.map(({ method, path, status, bytes, outcome }) => ({
        method,
        path,
        status,
        bytes,
        outcome,
      })),
      [
        { method: "GET", path: "/healthz", status: 200, bytes: 15, outcome: "complete" },
        { method: "GET", path: "/media/a.txt", status: 206, bytes: 4, outcome: "complete" },
      ],
    );
    for (const entry of entries) {
      assert.match(entry.request_id, /^[0-9a-f]{8}$/);
      assert.equal(typeof entry.duration_ms, "number");
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
