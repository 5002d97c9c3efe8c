/**
 * `--drain-timeout`: on shutdown /healthz turns 503 at once, new work is
 * refused with 503, in-flight responses may finish until the timeout, and the
 * rest are cut off so their clients see a truncated transfer.
 */
import assert from "node:assert/strict";
import { waitFor } from "../support/http.ts";
import { parseMetrics, sampleValue } from "../support/prom_text.ts";
import { makeTempTree, startTestServer } from "../support/server.ts";
import { spawnSluice } from "../support/sluice_process.ts";

const MiB = 1024 * 1024;
const PATTERNED = Uint8Array.from({ length: MiB }, (_, i) => (i * 7) % 253);

/** While draining: /healthz 503, and new work 503 with Retry-After. */
async function assertDraining(origin: string): Promise<void> {
  using client = Deno.createHttpClient({});
  const health = await fetch(`${origin}/healthz`, { client });
  assert.equal(health.status, 503);
  assert.deepEqual(await health.json(), { status: "draining" });
  const refused = await fetch(`${origin}/media/one.bin`, { client });
  assert.equal(refused.status, 503);
  assert.equal(refused.headers.get("retry-after"), "1");
  assert.deepEqual(await refused.json(), {
    type: "about:blank",
    title: "Service Unavailable",
    status: 503,
    detail: "The server is shutting down; retry on another instance",
  });
}

Deno.test("SIGTERM with --drain-timeout 1: an endless stream is cut off and the process exits 0 after the drain", async () => {
  const dir = await makeTempTree({ "one.bin": PATTERNED });
  using client = Deno.createHttpClient({});
  try {
    await using proc = spawnSluice(["--port", "0", "--media-dir", dir, "--drain-timeout", "1"]);
    const origin = await proc.origin();
    const res = await fetch(`${origin}/stream-data?rows=10000000`, {
      client,
      headers: { "accept-encoding": "identity" },
    });
    assert.equal(res.status, 200);
    const reader = res.body!.getReader();
    assert.equal((await reader.read()).done, false);
    // The client reads nothing more for now: the stream is mid-way, blocked.
    await new Promise((r) => setTimeout(r, 300));

    const signalled = performance.now();
    proc.child.kill("SIGTERM");
    await proc.waitForLine(/^SIGTERM: draining for up to 1s$/);
    await assertDraining(origin);
    // The stream is endless, so exiting at all proves the cut-off; the bound
    // is only how long to wait before calling it stuck.
    const status = await proc.exitWithin(15_000);
    const took = performance.now() - signalled;
    assert.equal(status.code, 0);
    assert.equal(status.signal, null);
    assert.ok(took >= 900, `exited ${took.toFixed(0)} ms after SIGTERM, before the drain timeout`);

    // The client gets what was sent, then an error: never a clean end.
    let outcome = "still reading";
    for (let reads = 0; reads < 1_000_000; reads++) {
      try {
        if ((await reader.read()).done) {
          outcome = "clean end";
          break;
        }
      } catch (error) {
        outcome = `failed: ${(error as Error).name}`;
        break;
      }
    }
    assert.equal(outcome, "failed: TypeError");
    assert.ok(
      proc.stdout.some((line) =>
        / GET \/stream-data\?rows=10000000 200 \d+B [\d.]+ms failed error="The server is shutting down"$/
          .test(line)
      ),
      proc.stdout.join("\n"),
    );
    assert.deepEqual(proc.stderr, []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("shutdown() lets a slow download finish byte-exact within the drain timeout", async () => {
  const dir = await makeTempTree({ "one.bin": PATTERNED });
  try {
    await using server = await startTestServer([
      "--media-dir",
      dir,
      "--rate-limit",
      "1m",
      "--rate-limit-after",
      "256k",
      "--drain-timeout",
      "10",
    ]);
    const res = await fetch(`${server.origin}/media/one.bin`);
    assert.equal(res.status, 200);
    const body = res.arrayBuffer();
    const stopping = server[Symbol.asyncDispose]();
    let stopped = false;
    stopping.then(() => stopped = true);
    await assertDraining(server.origin);
    assert.deepEqual(new Uint8Array(await body), PATTERNED);
    await stopping;
    assert.ok(stopped);
    assert.match(
      await server.waitForLog(/ GET \/media\/one\.bin 200 /),
      / 200 1048576B [\d.]+ms complete$/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("past --drain-timeout, a client that reads nothing and a slow curl are cut off: curl exits 18", async () => {
  const dir = await makeTempTree({ "big.bin": "" });
  await Deno.truncate(`${dir}/big.bin`, 256 * MiB);
  try {
    const server = await startTestServer(["--media-dir", dir, "--drain-timeout", "1"]);
    const { port } = new URL(server.origin);
    const stalled = await Deno.connect({ hostname: "127.0.0.1", port: Number(port) });
    try {
      await stalled.write(
        new TextEncoder().encode("GET /media/big.bin HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"),
      );
      const curls = ["/media/big.bin", "/stream-data?rows=10000000"].map((path) =>
        new Deno.Command("curl", {
          args: ["-sS", "-o", "/dev/null", "--limit-rate", "8M", `${server.origin}${path}`],
          stdout: "null",
          stderr: "piped",
        }).output()
      );
      // All three are streaming when the shutdown begins.
      const active = async () => {
        const text = await (await fetch(`${server.origin}/metrics`)).text();
        return sampleValue(parseMetrics(text), "sluice_active_streams");
      };
      assert.ok(await waitFor(async () => await active() === 3, 5000));
      const started = performance.now();
      await server[Symbol.asyncDispose]();
      const took = performance.now() - started;
      // Not before the drain timeout; the upper bound is far below what
      // waiting for the clients would take (a stalled one never ends, the
      // curls need 32 s at 8 MB/s), so it proves the cut-off, not a speed.
      assert.ok(took >= 900 && took < 15_000, `shutdown took ${took.toFixed(0)} ms`);
      for (const out of await Promise.all(curls)) {
        // 18: "Partial file. Only a part of the file was transferred."
        assert.equal(out.code, 18, new TextDecoder().decode(out.stderr));
      }
      const cutOff = server.logs.filter((line) =>
        / 200 \d+B [\d.]+ms failed error="The server is shutting down"$/.test(line)
      );
      assert.equal(cutOff.length, 3, server.logs.join("\n"));
    } finally {
      stalled.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
