/**
 * `--log-format json` and `X-Request-Id`: one JSON object per response, under
 * the id the response carries.
 */
import assert from "node:assert/strict";
import { makeTempTree, startTestServer } from "../support/server.ts";

const GENERATED_ID = /^[0-9a-f]{8}$/;

Deno.test("--log-format json writes one object per response with the X-Request-Id sent back", async () => {
  const dir = await makeTempTree({ "a.txt": "hello, log\n" });
  try {
    await using server = await startTestServer(["--media-dir", dir, "--log-format", "json"]);
    const res = await fetch(`${server.origin}/media/a.txt?x=1`, {
      headers: { "x-request-id": "lb-7f3a.2:9_Z" },
    });
    assert.equal(await res.text(), "hello, log\n");
    assert.equal(res.headers.get("x-request-id"), "lb-7f3a.2:9_Z");
    const line = await server.waitForLog(/lb-7f3a/);
    const entry = JSON.parse(line);
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
    assert.equal(new Date(entry.time).toISOString(), entry.time);
    assert.ok(Math.abs(Date.parse(entry.time) - Date.now()) < 60_000);
    assert.ok(typeof entry.duration_ms === "number" && entry.duration_ms >= 0);
    assert.deepEqual({ ...entry, time: 0, duration_ms: 0 }, {
      time: 0,
      request_id: "lb-7f3a.2:9_Z",
      user: "-",
      method: "GET",
      path: "/media/a.txt?x=1",
      status: 200,
      bytes: 11,
      duration_ms: 0,
      outcome: "complete",
    });
    assert.equal(server.logs.length, 1);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("X-Request-Id: a missing, long or odd id is replaced by a fresh one, on errors too", async () => {
  const dir = await makeTempTree({ "a.txt": "hello\n" });
  try {
    await using server = await startTestServer(["--media-dir", dir, "--log-format", "json"]);
    const cases: [string, Record<string, string>][] = [
      ["/media/a.txt", {}],
      ["/media/a.txt", {}],
      ["/media/a.txt", { "x-request-id": "has space" }],
      ["/media/a.txt", { "x-request-id": "x".repeat(129) }],
      ["/media/a.txt", { "x-request-id": '"><script>' }],
      ["/missing", {}],
    ];
    const ids: string[] = [];
    for (const [path, headers] of cases) {
      const res = await fetch(`${server.origin}${path}`, { headers });
      await res.body?.cancel();
      const id = res.headers.get("x-request-id")!;
      assert.match(id, GENERATED_ID, JSON.stringify(headers));
      const entry = JSON.parse(await server.waitForLog(new RegExp(`"request_id":"${id}"`)));
      assert.equal(entry.path, path);
      ids.push(id);
    }
    assert.equal(new Set(ids).size, ids.length);
    const missing = JSON.parse(server.logs.at(-1)!);
    assert.equal(missing.status, 404);
    // A 128-character id is still kept.
    const long = "y".repeat(128);
    const res = await fetch(`${server.origin}/healthz`, { headers: { "x-request-id": long } });
    await res.body?.cancel();
    assert.equal(res.headers.get("x-request-id"), long);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--log-format json adds the error of a cut-off body", async () => {
  const dir = await makeTempTree({ "big.bin": "" });
  await Deno.truncate(`${dir}/big.bin`, 64 * 1024 * 1024);
  try {
    await using server = await startTestServer([
      "--media-dir",
      dir,
      "--log-format",
      "json",
      "--stall-timeout",
      "0.5",
    ]);
    const conn = await Deno.connect({
      hostname: "127.0.0.1",
      port: Number(server.origin.split(":")[2]),
    });
    try {
      await conn.write(
        new TextEncoder().encode(
          "GET /media/big.bin HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Request-Id: stalled-1\r\n\r\n",
        ),
      );
      const entry = JSON.parse(await server.waitForLog(/stalled-1/));
      assert.equal(entry.outcome, "stalled");
      assert.match(
        entry.error,
        /^The client took no bytes for [\d.]+ s, past its stall allowance$/,
      );
      assert.equal(entry.status, 200);
      assert.ok(entry.bytes > 0 && entry.bytes < 64 * 1024 * 1024);
      // Reading lets the runtime finish its last write and close the connection.
      const buf = new Uint8Array(1024 * 1024);
      for (let i = 0; i < 10_000 && await conn.read(buf).catch(() => null) !== null; i++);
    } finally {
      conn.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
