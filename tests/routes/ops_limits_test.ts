/**
 * `--max-streams` (503), `--max-streams-per-client` behind `--client-ip-header`
 * (429), and `--rate-limit` / `--rate-limit-after`.
 */
import assert from "node:assert/strict";
import { makeExportDb } from "../support/export_fixture.ts";
import { parseMetrics, sampleValue } from "../support/prom_text.ts";
import { makeTempTree, startTestServer } from "../support/server.ts";

const MiB = 1024 * 1024;

/** 1 MiB where byte i is i % 251, so a shifted or missing span shows. */
const PATTERNED = Uint8Array.from({ length: MiB }, (_, i) => i % 251);

/** A media folder with a 64 MiB sparse file (too big to end in the socket buffers). */
async function mediaDir(): Promise<string> {
  const dir = await makeTempTree({ "big.bin": "", "one.bin": PATTERNED });
  await Deno.truncate(`${dir}/big.bin`, 64 * MiB);
  return dir;
}

/** A download held open after its first chunk; `release()` lets it go. */
interface Held {
  release(): Promise<void>;
}

async function hold(url: string, headers: Record<string, string> = {}): Promise<Held> {
  const res = await fetch(url, { headers });
  assert.equal(res.status, 200, `${url} ${JSON.stringify(headers)}`);
  const reader = res.body!.getReader();
  const first = await reader.read();
  assert.ok(!first.done && first.value.byteLength > 0);
  return { release: () => reader.cancel() };
}

/** The status, headers and parsed problem body of a refused request. */
async function refusal(url: string, headers: Record<string, string> = {}) {
  const res = await fetch(url, { headers });
  return {
    status: res.status,
    type: res.headers.get("content-type"),
    retryAfter: res.headers.get("retry-after"),
    contentRange: res.headers.get("content-range"),
    problem: await res.json(),
  };
}

Deno.test("--max-streams 2: a third stream gets 503 before it starts; /healthz and /metrics still answer", async () => {
  const dir = await mediaDir();
  try {
    await using server = await startTestServer([
      "--media-dir",
      dir,
      "--max-streams",
      "2",
      "--max-streams-per-client",
      "0",
    ]);
    const url = `${server.origin}/media/big.bin`;
    const first = await hold(url);
    const second = await hold(url);
    try {
      assert.deepEqual(await refusal(url, { range: "bytes=0-99" }), {
        status: 503,
        type: "application/problem+json",
        retryAfter: "5",
        contentRange: null,
        problem: {
          type: "about:blank",
          title: "Service Unavailable",
          status: 503,
          detail: "The server is sending 2 streams already",
        },
      });
      const health = await fetch(`${server.origin}/healthz`);
      assert.equal(health.status, 200);
      assert.deepEqual(await health.json(), { status: "ok" });
      const scrape = await fetch(`${server.origin}/metrics`);
      assert.equal(scrape.status, 200);
      const families = parseMetrics(await scrape.text());
      assert.equal(sampleValue(families, "sluice_active_streams"), 2);
      assert.equal(
        sampleValue(families, "sluice_refused_streams_total", { reason: "server-full" }),
        1,
      );
      // HEAD sends no body, so it is no stream.
      const head = await fetch(url, { method: "HEAD" });
      assert.equal(head.status, 200);
      assert.equal(head.headers.get("content-length"), String(64 * MiB));
    } finally {
      await first.release();
    }
    await server.waitForLog(/ GET \/media\/big\.bin 200 \d+B [\d.]+ms aborted$/);
    const res = await fetch(`${server.origin}/media/one.bin`);
    assert.equal(res.status, 200);
    assert.deepEqual(new Uint8Array(await res.arrayBuffer()), PATTERNED);
    await second.release();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--max-streams 1: a HEAD of an export (a row count) takes a slot; a HEAD of a file does not", async () => {
  const dir = await mediaDir();
  await using db = await makeExportDb(300, false);
  try {
    await using server = await startTestServer([
      "--media-dir",
      dir,
      "--db",
      db.path,
      "--max-streams",
      "1",
      "--max-streams-per-client",
      "0",
    ]);
    const head = (path: string) => fetch(`${server.origin}${path}`, { method: "HEAD" });
    const held = await hold(`${server.origin}/media/big.bin`);
    try {
      for (const path of ["/export/items.csv?after=0", "/export-data"]) {
        const refused = await head(path);
        assert.equal(refused.status, 503, path);
        assert.equal(refused.headers.get("retry-after"), "5");
        assert.equal(refused.headers.get("x-total-rows"), null);
        await refused.body?.cancel();
      }
      const file = await head("/media/one.bin");
      assert.equal(file.status, 200);
      assert.equal(file.headers.get("content-length"), String(MiB));
    } finally {
      await held.release();
    }
    await server.waitForLog(/ GET \/media\/big\.bin 200 \d+B [\d.]+ms aborted$/);
    // Each HEAD gives its slot back as it is answered: one slot serves them in turn.
    for (const after of [0, 100, 299]) {
      const res = await head(`/export/items.csv?after=${after}`);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("x-total-rows"), String(300 - after));
      await res.body?.cancel();
    }
    const scrape = await fetch(`${server.origin}/metrics`);
    const families = parseMetrics(await scrape.text());
    assert.equal(sampleValue(families, "sluice_active_streams"), 0);
    assert.equal(
      sampleValue(families, "sluice_refused_streams_total", { reason: "server-full" }),
      2,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--max-streams-per-client 1 counts the last X-Forwarded-For hop as the client (429)", async () => {
  const dir = await mediaDir();
  try {
    await using server = await startTestServer([
      "--media-dir",
      dir,
      "--max-streams-per-client",
      "1",
      "--client-ip-header",
      "x-forwarded-for",
    ]);
    const url = `${server.origin}/media/big.bin`;
    const xff = (value: string) => ({ "x-forwarded-for": value });
    const held = [await hold(url, xff("203.0.113.1"))];
    try {
      const tooMany = {
        status: 429,
        type: "application/problem+json",
        retryAfter: "5",
        contentRange: null,
        problem: {
          type: "about:blank",
          title: "Too Many Requests",
          status: 429,
          detail: "This client has 1 stream open already",
        },
      };
      assert.deepEqual(await refusal(url, xff("203.0.113.1")), tooMany);
      // The proxy appends the address it saw; what the client sent comes first.
      assert.deepEqual(await refusal(url, xff("198.51.100.7, 203.0.113.1")), tooMany);
      held.push(await hold(url, xff("203.0.113.1, 198.51.100.9")));
      held.push(await hold(url, xff("203.0.113.2")));
      // Without the header, the TCP peer is the client.
      held.push(await hold(url));
      assert.equal((await refusal(url)).status, 429);
      const families = parseMetrics(await (await fetch(`${server.origin}/metrics`)).text());
      assert.equal(
        sampleValue(families, "sluice_refused_streams_total", { reason: "client-full" }),
        3,
      );
      assert.equal(sampleValue(families, "sluice_active_streams"), 4);
    } finally {
      for (const h of held) await h.release();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** Downloads a path, returning the bytes and the milliseconds it took. */
async function timedGet(url: string): Promise<{ body: Uint8Array; ms: number }> {
  const started = performance.now();
  const res = await fetch(url, { headers: { "accept-encoding": "identity" } });
  assert.equal(res.status, 200);
  const body = new Uint8Array(await res.arrayBuffer());
  return { body, ms: performance.now() - started };
}

Deno.test("--rate-limit 512k paces a 1 MiB download to about 2 s, byte-exact; exports too", async () => {
  const dir = await mediaDir();
  try {
    await using server = await startTestServer(["--media-dir", dir, "--rate-limit", "512k"]);
    const file = await timedGet(`${server.origin}/media/one.bin`);
    assert.deepEqual(file.body, PATTERNED);
    // The last 52 KiB piece is due 20 pieces in, at 2.0 s.
    assert.ok(file.ms >= 1800, `1 MiB took ${file.ms.toFixed(0)} ms`);
    const rows = await timedGet(`${server.origin}/stream-data?rows=10000`);
    const lines = new TextDecoder().decode(rows.body).split("\n");
    assert.equal(lines.length, 10001);
    assert.equal(lines[9999], "This is data row number 9999");
    // 288,890 bytes: the last piece is due at 5 x 52,428 / 524,288 s = 0.5 s.
    assert.equal(rows.body.byteLength, 288_890);
    assert.ok(rows.ms >= 450, `/stream-data took ${rows.ms.toFixed(0)} ms`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--rate-limit-after 1m sends the first MiB at full speed", async () => {
  const dir = await mediaDir();
  try {
    await using server = await startTestServer([
      "--media-dir",
      dir,
      "--rate-limit",
      "64k",
      "--rate-limit-after",
      "1m",
    ]);
    const file = await timedGet(`${server.origin}/media/one.bin`);
    assert.deepEqual(file.body, PATTERNED);
    // Paced at 64 KiB/s from the first byte, 1 MiB would take 16 s; half of
    // that is a margin no loaded machine reaches for a loopback MiB.
    assert.ok(file.ms < 8000, `1 MiB took ${file.ms.toFixed(0)} ms`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a client leaving a throttled download mid-pause leaves no timer behind", async () => {
  const dir = await mediaDir();
  try {
    await using server = await startTestServer(["--media-dir", dir, "--rate-limit", "64k"]);
    const res = await fetch(`${server.origin}/media/one.bin`);
    const reader = res.body!.getReader();
    assert.equal((await reader.read()).done, false);
    await reader.cancel();
    const line = await server.waitForLog(/ GET \/media\/one\.bin /);
    assert.match(line, / 200 \d+B [\d.]+ms aborted$/);
    // The op sanitizer fails this test if the throttle's sleep is still pending.
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
