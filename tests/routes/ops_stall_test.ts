/**
 * `--stall-timeout`: a response whose client takes no bytes is cut off and
 * its file closed; a client that reads is never cut off.
 */
import assert from "node:assert/strict";
import { openFdTargets, waitFor } from "../support/http.ts";
import { parseMetrics, sampleValue } from "../support/prom_text.ts";
import { makeTempTree, startTestServer } from "../support/server.ts";

const MiB = 1024 * 1024;

/** A temp folder holding a sparse all-zero file (no disk blocks, instant to make). */
async function sparseFile(name: string, size: number): Promise<string> {
  const dir = await makeTempTree({ [name]: "" });
  await Deno.truncate(`${dir}/${name}`, size);
  return dir;
}

async function metrics(origin: string) {
  const res = await fetch(`${origin}/metrics`);
  return parseMetrics(await res.text());
}

Deno.test("--stall-timeout 1 cuts off a client that reads nothing, closes its file and frees its slot", async () => {
  const size = 256 * MiB;
  const dir = await sparseFile("big.bin", size);
  try {
    await using server = await startTestServer([
      "--media-dir",
      dir,
      "--stall-timeout",
      "1",
      "--max-streams",
      "1",
    ]);
    const isOpen = async () => (await openFdTargets()).some((t) => t.endsWith("/big.bin"));
    const conn = await Deno.connect({
      hostname: "127.0.0.1",
      port: Number(server.origin.split(":")[2]),
    });
    try {
      const started = performance.now();
      await conn.write(
        new TextEncoder().encode("GET /media/big.bin HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"),
      );
      // The probe sees the open file while the body waits for the client.
      assert.ok(await waitFor(isOpen), "big.bin was never open");
      const line = await server.waitForLog(/ GET \/media\/big\.bin /, 10_000);
      const elapsed = performance.now() - started;
      const match =
        / GET \/media\/big\.bin 200 (\d+)B [\d.]+ms stalled error="The client took no bytes for [\d.]+ s, past its stall allowance"$/
          .exec(line);
      assert.ok(match, line);
      const sent = Number(match[1]);
      // The socket buffers take a few MiB before the body blocks; then 1 s of
      // stall. Not cut off early; how late is the sweep's business (and a
      // loaded machine's), and the log's reason already names the stall.
      assert.ok(sent > 0 && sent < 64 * MiB, `${sent} bytes went before the stall`);
      assert.ok(elapsed >= 1000, `cut off after ${elapsed.toFixed(0)} ms`);
      assert.equal(await isOpen(), false, "big.bin is still open after the stall");

      // Its slot is free (--max-streams 1) and the metrics say so.
      const res = await fetch(`${server.origin}/media/big.bin`, {
        headers: { range: "bytes=0-9" },
      });
      assert.equal(res.status, 206);
      assert.deepEqual(new Uint8Array(await res.arrayBuffer()), new Uint8Array(10));
      const families = await metrics(server.origin);
      assert.equal(sampleValue(families, "sluice_active_streams"), 0);
      assert.equal(
        sampleValue(families, "sluice_streams_total", { route: "media", outcome: "stalled" }),
        1,
      );

      // Reading now, the client gets what was handed over, then the end of a
      // connection short of Content-Length: a truncated transfer, never a clean one.
      const buf = new Uint8Array(MiB);
      let received = 0;
      for (let i = 0; i < 10_000; i++) {
        const n = await conn.read(buf).catch(() => null);
        if (n === null) break;
        received += n;
      }
      const head = `HTTP/1.1 200 OK\r\n`.length;
      assert.ok(received > head && received < size, `${received} bytes received`);
    } finally {
      conn.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--stall-timeout 1 leaves a client that reads at full speed alone", async () => {
  const size = 64 * MiB;
  const dir = await sparseFile("fast.bin", size);
  try {
    await using server = await startTestServer(["--media-dir", dir, "--stall-timeout", "1"]);
    const res = await fetch(`${server.origin}/media/fast.bin`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-length"), String(size));
    let received = 0;
    let nonZero = 0;
    for await (const chunk of res.body!) {
      received += chunk.byteLength;
      for (let i = 0; i < chunk.byteLength; i += 4096) nonZero += chunk[i];
    }
    assert.equal(received, size);
    assert.equal(nonZero, 0);
    const line = await server.waitForLog(/ GET \/media\/fast\.bin /);
    assert.match(line, / 200 67108864B [\d.]+ms complete$/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
