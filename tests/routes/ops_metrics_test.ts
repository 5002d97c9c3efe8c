/**
 * `GET /metrics`: Prometheus text whose counters move by exactly what was sent.
 */
import assert from "node:assert/strict";
import {
  isUnobserved,
  type MetricFamily,
  parseMetrics,
  sampleValue,
} from "../support/prom_text.ts";
import { makeTempTree, startTestServer, type TestServer } from "../support/server.ts";

const MiB = 1024 * 1024;
const FILE = Uint8Array.from({ length: 3 * MiB + 7 }, (_, i) => (i * 13) % 241);

async function scrape(server: TestServer): Promise<Map<string, MetricFamily>> {
  const res = await fetch(`${server.origin}/metrics`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  assert.equal(res.headers.get("cache-control"), "no-store");
  const text = await res.text();
  // Its own request is counted once its body has ended.
  await server.waitForLog(/ GET \/metrics 200 /);
  server.logs.length = 0;
  return parseMetrics(text);
}

/**
 * The values that change per request, read from one scrape; `undefined` for a
 * labelled series not observed yet (prom-client leaves those out), which is
 * not the same as 0.
 */
function counters(families: Map<string, MetricFamily>) {
  const v = (name: string, labels: Record<string, string> = {}) =>
    isUnobserved(families, name, labels) ? undefined : sampleValue(families, name, labels);
  return {
    get200: v("sluice_requests_total", { route: "media", method: "GET", status: "200" }),
    head200: v("sluice_requests_total", { route: "media", method: "HEAD", status: "200" }),
    get304: v("sluice_requests_total", { route: "media", method: "GET", status: "304" }),
    bytes: v("sluice_sent_bytes_total", { route: "media" }),
    active: v("sluice_active_streams"),
    complete: v("sluice_streams_total", { route: "media", outcome: "complete" }),
    aborted: v("sluice_streams_total", { route: "media", outcome: "aborted" }),
    failed: v("sluice_streams_total", { route: "media", outcome: "failed" }),
    durations: v("sluice_stream_duration_seconds_count", { route: "media" }),
  };
}

Deno.test("GET /metrics announces each family with its type and help", async () => {
  const dir = await makeTempTree({ "a.bin": FILE });
  try {
    await using server = await startTestServer(["--media-dir", dir]);
    const res = await fetch(`${server.origin}/media/a.bin`);
    await res.arrayBuffer();
    await server.waitForLog(/a\.bin/);
    const families = await scrape(server);
    assert.deepEqual(
      [...families].map(([name, f]) => [name, f.type]),
      [
        ["sluice_requests_total", "counter"],
        ["sluice_sent_bytes_total", "counter"],
        ["sluice_active_streams", "gauge"],
        ["sluice_streams_total", "counter"],
        ["sluice_refused_streams_total", "counter"],
        ["sluice_access_refused_total", "counter"],
        ["sluice_stream_duration_seconds", "histogram"],
        ["sluice_jobs", "gauge"],
        ["sluice_jobs_queue_length", "gauge"],
        ["sluice_job_rows_written_total", "counter"],
        ["sluice_job_bytes_written_total", "counter"],
      ],
    );
    for (const f of families.values()) assert.ok(f.help.length > 10, f.help);
    const buckets = [...families.get("sluice_stream_duration_seconds")!.samples]
      .filter(([key]) => key.startsWith("sluice_stream_duration_seconds_bucket"));
    assert.deepEqual(
      buckets.map(([key]) => /le="([^"]+)"/.exec(key)![1]),
      ["0.01", "0.05", "0.1", "0.5", "1", "5", "10", "30", "60", "300", "900", "3600", "+Inf"],
    );
    // Cumulative, ending at the count.
    const counts = buckets.map(([, value]) => value);
    assert.deepEqual(counts, [...counts].sort((a, b) => a - b));
    assert.equal(counts.at(-1), 1);
    assert.ok(sampleValue(families, "sluice_stream_duration_seconds_sum", { route: "media" }) > 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("sluice_sent_bytes_total grows by exactly the bytes of a download; HEAD and 304 send none", async () => {
  const dir = await makeTempTree({ "a.bin": FILE });
  try {
    await using server = await startTestServer(["--media-dir", dir]);
    const before = counters(await scrape(server));
    const res = await fetch(`${server.origin}/media/a.bin`, {
      headers: { "accept-encoding": "identity" },
    });
    assert.deepEqual(new Uint8Array(await res.arrayBuffer()), FILE);
    const etag = res.headers.get("etag")!;
    await server.waitForLog(/ GET \/media\/a\.bin 200 3145735B /);
    const head = await fetch(`${server.origin}/media/a.bin`, { method: "HEAD" });
    assert.equal(head.headers.get("content-length"), String(FILE.byteLength));
    await server.waitForLog(/ HEAD \/media\/a\.bin 200 0B /);
    const notModified = await fetch(`${server.origin}/media/a.bin`, {
      headers: { "if-none-match": etag },
    });
    assert.equal(notModified.status, 304);
    assert.equal(await notModified.text(), "");
    await server.waitForLog(/ GET \/media\/a\.bin 304 0B /);
    const after = counters(await scrape(server));
    // The first scrape came before any media request: no media series yet.
    assert.deepEqual(before, {
      get200: undefined,
      head200: undefined,
      get304: undefined,
      bytes: undefined,
      active: 0,
      complete: undefined,
      aborted: undefined,
      failed: undefined,
      durations: undefined,
    });
    assert.deepEqual(after, {
      ...before,
      get200: 1,
      head200: 1,
      get304: 1,
      bytes: FILE.byteLength,
      // Only the GET 200 was a streamed body.
      complete: 1,
      durations: 1,
    });
    assert.equal(after.active, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("aborted and failed streams are counted, and the active gauge returns to 0", async () => {
  const dir = await makeTempTree({ "big.bin": "", "shrinks.bin": "" });
  await Deno.truncate(`${dir}/big.bin`, 64 * MiB);
  await Deno.truncate(`${dir}/shrinks.bin`, 64 * MiB);
  try {
    await using server = await startTestServer(["--media-dir", dir]);
    const left = await fetch(`${server.origin}/media/big.bin`);
    const reader = left.body!.getReader();
    await reader.read();
    assert.equal(counters(await scrape(server)).active, 1);
    await reader.cancel();
    const aborted = await server.waitForLog(/ GET \/media\/big\.bin /);
    assert.match(aborted, / 200 \d+B [\d.]+ms aborted$/);

    // The file shrinks under a download: the body fails instead of ending short.
    const shrinking = await fetch(`${server.origin}/media/shrinks.bin`);
    const body = shrinking.body!.getReader();
    await body.read();
    await Deno.truncate(`${dir}/shrinks.bin`, MiB);
    let error: unknown;
    for (let i = 0; i < 100_000; i++) {
      try {
        if ((await body.read()).done) break;
      } catch (e) {
        error = e;
        break;
      }
    }
    assert.ok(error instanceof TypeError, `the client saw ${error}`);
    const failed = await server.waitForLog(/ GET \/media\/shrinks\.bin /);
    assert.match(
      failed,
      / 200 \d+B [\d.]+ms failed error="The file ended before the requested range"$/,
    );

    // The bytes counted are the bytes the access log says each body handed over.
    const sent = [aborted, failed].map((line) => Number(/ 200 (\d+)B /.exec(line)![1]));
    assert.deepEqual(counters(await scrape(server)), {
      get200: 2,
      head200: undefined,
      get304: undefined,
      bytes: sent[0] + sent[1],
      active: 0,
      complete: undefined,
      aborted: 1,
      failed: 1,
      durations: 2,
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("requests are counted by route ('unmatched' when none answered) and odd methods as 'other'", async () => {
  const dir = await makeTempTree({ "a.txt": "hello\n" });
  try {
    await using server = await startTestServer(["--media-dir", dir]);
    for (const [method, path] of [["GET", "/nope"], ["BREW", "/media/a.txt"], ["BREW", "/x"]]) {
      const res = await fetch(`${server.origin}${path}`, { method });
      await res.body?.cancel();
      await server.waitForLog(new RegExp(` ${method} ${path.replaceAll(".", "\\.")} `));
    }
    const health = await fetch(`${server.origin}/healthz`);
    await health.body?.cancel();
    await server.waitForLog(/ GET \/healthz 200 /);
    const families = await scrape(server);
    const requests = families.get("sluice_requests_total")!.samples;
    assert.deepEqual(Object.fromEntries(requests), {
      'sluice_requests_total{method="GET",route="unmatched",status="404"}': 1,
      // A 405 too: no route answered it.
      'sluice_requests_total{method="other",route="unmatched",status="405"}': 1,
      'sluice_requests_total{method="other",route="unmatched",status="404"}': 1,
      'sluice_requests_total{method="GET",route="healthz",status="200"}': 1,
    });
    // A scrape counts in the next one, once its body has ended.
    const next = await scrape(server);
    assert.equal(
      sampleValue(next, "sluice_requests_total", {
        route: "metrics",
        method: "GET",
        status: "200",
      }),
      1,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
