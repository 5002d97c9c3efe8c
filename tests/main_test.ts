/**
 * main.ts as a process: flags, environment, --help, and draining on SIGTERM.
 */
import assert from "node:assert/strict";
import { OPTIONS } from "../lib/server/config.ts";
import { makeTempTree } from "./support/server.ts";
import { spawnSluice } from "./support/sluice_process.ts";

const MiB = 1024 * 1024;

Deno.test("main.ts exits 2 at once with one stderr line naming a bad option", async () => {
  const cases: [string[], Record<string, string>, RegExp][] = [
    [["--port", "abc"], {}, /^sluice: --port: "abc" is not a port number \(0-65535\)$/],
    [["--port", "70000"], {}, /^sluice: --port: "70000" is not a port number/],
    [
      ["--media-dir", "/does/not/exist"],
      {},
      /^sluice: --media-dir: "\/does\/not\/exist" does not exist$/,
    ],
    [["--media-dir", "main.ts"], {}, /^sluice: --media-dir: "main.ts" is not a directory$/],
    [["--log-format", "xml"], {}, /^sluice: --log-format: "xml" is not one of text, json$/],
    [["--bogus"], {}, /^sluice: Unknown option '--bogus'/],
    [["--port"], {}, /^sluice: Option '--port <value>' argument missing/],
    [["stray"], {}, /^sluice: Unexpected argument 'stray'/],
    [[], { PORT: "abc" }, /^sluice: PORT \(--port\): "abc" is not a port number/],
    [
      [],
      { MEDIA_DIR: "/does/not/exist" },
      /^sluice: MEDIA_DIR \(--media-dir\): .* does not exist$/,
    ],
  ];
  for (const [args, env, message] of cases) {
    await using proc = spawnSluice(args, env);
    const status = await proc.exitWithin(10_000);
    const label = `${JSON.stringify(args)} ${JSON.stringify(env)}`;
    assert.equal(status.code, 2, label);
    await proc[Symbol.asyncDispose](); // Reads stderr to its end.
    assert.equal(proc.stderr.length, 1, `${label}: ${proc.stderr.join("\n")}`);
    assert.match(proc.stderr[0], message, label);
    assert.deepEqual(proc.stdout, [], label);
  }
});

Deno.test("main.ts --help prints every option and exits 0", async () => {
  await using proc = spawnSluice(["--help"]);
  const status = await proc.exitWithin(10_000);
  await proc[Symbol.asyncDispose]();
  assert.equal(status.code, 0);
  assert.deepEqual(proc.stderr, []);
  const text = proc.stdout.join("\n");
  assert.match(text, /^Sluice: /);
  assert.match(text, /Usage: /);
  for (const option of OPTIONS) {
    const value = "switch" in option ? "" : " VALUE";
    assert.ok(text.includes(`--${option.flag}${value} `), option.flag);
    assert.ok(text.includes(`env ${option.env}, default "${option.default}"`), option.env);
  }
  assert.ok(text.includes("--help"));
});

Deno.test("main.ts takes PORT and MEDIA_DIR from the environment", async () => {
  const dir = await makeTempTree({ "hello.txt": "from the env media dir\n" });
  // A port that was free a moment ago, to see PORT really used (not 8000 or 0).
  const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (probe.addr as Deno.NetAddr).port;
  probe.close();
  try {
    await using proc = spawnSluice([], { PORT: String(port), MEDIA_DIR: dir });
    const [, listening] = await proc.waitForLine(
      /^Sluice listening on http:\/\/127\.0\.0\.1:(\d+)\//,
    );
    assert.equal(Number(listening), port);
    const res = await fetch(`http://127.0.0.1:${port}/media/hello.txt`);
    assert.equal(res.status, 200);
    assert.equal(await res.text(), "from the env media dir\n");
    // A flag wins over its variable.
    await using flagged = spawnSluice(["--port", "0"], { PORT: String(port), MEDIA_DIR: dir });
    const [, other] = await flagged.waitForLine(
      /^Sluice listening on http:\/\/127\.0\.0\.1:(\d+)\//,
    );
    assert.notEqual(Number(other), port);
    proc.child.kill("SIGTERM");
    flagged.child.kill("SIGTERM");
    assert.equal((await proc.exitWithin(10_000)).code, 0);
    assert.equal((await flagged.exitWithin(10_000)).code, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** Byte i of the SIGTERM test file: a pattern no chunk boundary can hide. */
const patternByte = (i: number) => (i * 131 + (i >>> 16)) & 0xff;

Deno.test("SIGTERM lets an in-flight download finish byte-exact, refuses new work, exits 0", async () => {
  const size = 48 * MiB;
  const data = new Uint8Array(size);
  for (let i = 0; i < size; i++) data[i] = patternByte(i);
  const dir = await makeTempTree({ "movie.bin": data });
  const client = Deno.createHttpClient({});
  try {
    await using proc = spawnSluice(["--port", "0", "--media-dir", dir, "--drain-timeout", "20"]);
    const [, port] = await proc.waitForLine(/^Sluice listening on http:\/\/127\.0\.0\.1:(\d+)\//);
    const origin = `http://127.0.0.1:${port}`;
    const res = await fetch(`${origin}/media/movie.bin`, { client });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-length"), String(size));
    const reader = res.body!.getReader();
    let received = 0;
    let mismatches = 0;
    const check = (chunk: Uint8Array) => {
      for (let i = 0; i < chunk.byteLength; i++) {
        if (chunk[i] !== patternByte(received + i)) mismatches++;
      }
      received += chunk.byteLength;
    };
    const first = await reader.read();
    check(first.value!);

    // The client reads nothing more for now, so the download is mid-way when the signal lands.
    proc.child.kill("SIGTERM");
    await proc.waitForLine(/^SIGTERM: draining for up to 20s$/);

    // New work is refused: no connection, or a 503.
    using fresh = Deno.createHttpClient({});
    const refused = await fetch(`${origin}/healthz`, {
      client: fresh,
      signal: AbortSignal.timeout(5000),
    }).then(async (r) => {
      await r.body?.cancel();
      return r.status;
    }, (error) => error);
    if (typeof refused === "number") assert.equal(refused, 503);
    else assert.ok(refused instanceof TypeError, String(refused));

    for (let reads = 0; reads < 100_000; reads++) {
      const { done, value } = await reader.read();
      if (done) break;
      check(value);
    }
    assert.equal(received, size);
    assert.equal(mismatches, 0);
    const status = await proc.exitWithin(10_000);
    assert.equal(status.code, 0);
    assert.equal(status.signal, null);
    await proc[Symbol.asyncDispose]();
    assert.ok(
      proc.stdout.some((line) =>
        / GET \/media\/movie\.bin 200 50331648B [\d.]+ms complete$/.test(line)
      ),
      proc.stdout.join("\n"),
    );
  } finally {
    client.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a second SIGTERM or SIGINT during the drain exits at once", async () => {
  const dir = await makeTempTree({ "big.bin": new Uint8Array(32 * MiB) });
  try {
    for (
      const [first, second, code] of [["SIGTERM", "SIGTERM", 143], [
        "SIGTERM",
        "SIGINT",
        130,
      ]] as const
    ) {
      // A drain that would last 120 s: a download whose client reads nothing more.
      await using proc = spawnSluice(["--port", "0", "--media-dir", dir, "--drain-timeout", "120"]);
      const [, port] = await proc.waitForLine(/^Sluice listening on http:\/\/127\.0\.0\.1:(\d+)\//);
      using client = Deno.createHttpClient({});
      const res = await fetch(`http://127.0.0.1:${port}/media/big.bin`, { client });
      const reader = res.body!.getReader();
      await reader.read();
      proc.child.kill(first);
      await proc.waitForLine(new RegExp(`^${first}: draining for up to 120s$`));
      proc.child.kill(second);
      // Well under the 120 s drain: the second signal does not wait for it.
      const status = await proc.exitWithin(30_000);
      assert.equal(status.code, code, `${first} then ${second}`);
      await proc.waitForLine(new RegExp(`^${second} during the drain: exiting now$`));
      await reader.cancel().catch(() => {});
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
