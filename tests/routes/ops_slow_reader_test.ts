/**
 * Slow consumers are not stalled clients (issue 17), through real sockets in
 * network namespaces the test makes (as root; ignored with the reason printed
 * otherwise). The defaults are scaled down 20×: `--stall-timeout 3` instead of
 * 60, and socket buffers (`tcp_wmem`/`tcp_rmem` maxima, loopback MSS) a
 * twentieth of Linux's, so a reader's silences between runs are what they
 * would be at full scale relative to the timeout while its rate stays real.
 *
 * - Application readers at 15 and 30 KB/s read a file and an export to the
 *   end, byte-exact, under the scaled defaults; one that stops is cut within
 *   3× the timeout.
 * - With the documented setting for slow consumers (`tcp_notsent_lowat`,
 *   scaled), a 4 KB/s reader reads both to the end.
 * - Over a link limited to 160 kbit/s (veth + tc tbf) a reader reads to the
 *   end and one that stops is cut within the bound.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { fileURLToPath } from "node:url";
import { makeExportDb } from "../support/export_fixture.ts";
import { createNetns, type Netns, netnsUnavailable } from "../support/netns.ts";
import { makeTempTree } from "../support/server.ts";
import { spawnSluice } from "../support/sluice_process.ts";

const STALL_TIMEOUT_S = 3;
const SCALE = 20;
/**
 * The buffers Linux grows a loopback connection to, scaled down: a send
 * buffer of 4 MiB / 20 from the start (on loopback it reaches 4 MiB within
 * the first second), a receive buffer of about 1.2 MiB / 20, MSS ~3 KiB.
 */
const SCALED = {
  "net.ipv4.tcp_wmem": `4096 ${Math.round(4 * 1024 * 1024 / SCALE)} ${
    Math.round(4 * 1024 * 1024 / SCALE)
  }`,
  "net.ipv4.tcp_rmem": `4096 65536 ${Math.round(4 * 1024 * 1024 / SCALE)}`,
};
const SCALED_MTU = Math.round(65536 / SCALE);
const READER = fileURLToPath(new URL("../support/slow_reader.ts", import.meta.url));

const unavailable = await netnsUnavailable();
if (unavailable !== undefined) console.log(`ops_slow_reader_test ignored: ${unavailable}`);

interface Read {
  status: number;
  bytes: number;
  sha256: string;
  end: string;
  seconds: number;
}

/** Runs tests/support/slow_reader.ts inside `ns` and returns its report. */
async function readAt(ns: Netns, url: string, rate: number, maxSeconds: number): Promise<Read> {
  const out = await new Deno.Command(ns.wrap[0], {
    args: [...ns.wrap.slice(1), Deno.execPath(), "run", "--allow-net", READER, url, String(rate)]
      .concat(String(maxSeconds)),
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout).trim();
  assert.ok(out.success, `${url}: ${text} ${new TextDecoder().decode(out.stderr)}`);
  return JSON.parse(text);
}

/** A client that sends its request and then reads nothing, until `close()`. */
async function neverRead(ns: Netns, url: string): Promise<{ close(): Promise<void> }> {
  const { host, pathname } = new URL(url);
  const script = `const c = await Deno.connect({ hostname: "${new URL(url).hostname}", port: ${
    new URL(url).port
  } });
await c.write(new TextEncoder().encode("GET ${pathname} HTTP/1.1\\r\\nHost: ${host}\\r\\nX-Request-Id: stopped\\r\\n\\r\\n"));
console.log("sent");
await new Promise((r) => setTimeout(r, 600_000));`;
  const child = new Deno.Command(ns.wrap[0], {
    args: [...ns.wrap.slice(1), Deno.execPath(), "eval", script],
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  assert.match((await reader.read()).value ?? "", /sent/);
  return {
    async close() {
      child.kill("SIGKILL");
      await child.status;
      await reader.cancel();
    },
  };
}

function sha256(data: Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

function randomBytes(size: number): Uint8Array<ArrayBuffer> {
  const data = new Uint8Array(size);
  for (let at = 0; at < size; at += 65536) crypto.getRandomValues(data.subarray(at, at + 65536));
  return data;
}

/** Sluice in `ns` with the scaled-down stall timeout; its log lines are on `stdout`. */
async function startIn(ns: Netns, mediaDir: string, db: string, hostname = "127.0.0.1") {
  const proc = spawnSluice(
    [
      "--port",
      "0",
      "--hostname",
      hostname,
      "--media-dir",
      mediaDir,
      "--db",
      db,
      "--stall-timeout",
      String(STALL_TIMEOUT_S),
      // Inside a namespace the test made: open on purpose.
      "--public",
    ],
    {},
    ns.wrap,
  );
  const [, origin] = await proc.waitForLine(/^Sluice listening on (http:\/\/[\d.]+:\d+)\//);
  return { proc, origin, [Symbol.asyncDispose]: () => proc[Symbol.asyncDispose]() };
}

/** The access-log duration of the `stopped` request once it is cut (bounded wait). */
async function stoppedCut(proc: ReturnType<typeof spawnSluice>): Promise<number> {
  const [line] = await proc.waitForLine(
    /^.* stopped - GET .* (stalled|aborted|failed|complete)\b.*$/,
    30_000,
  );
  assert.match(line, / 200 \d+B [\d.]+ms stalled error="The client took no bytes for /);
  return Number(/ ([\d.]+)ms stalled/.exec(line)![1]);
}

/** Scaled defaults: 15 and 30 KB/s readers of a file and an export; one that stops. */
async function scaledDefaults(file: Uint8Array, db: string, dir: string): Promise<void> {
  await using ns = await createNetns("slow", SCALED, SCALED_MTU);
  await using sluice = await startIn(ns, dir, db);
  const { origin, proc } = sluice;
  const fileUrl = `${origin}/media/slow.bin`;
  const exportUrl = `${origin}/export/items.ndjson`;
  const reference = await readAt(ns, exportUrl, 0, 30);
  assert.equal(reference.end, "complete");
  const stopped = await neverRead(ns, `${origin}/media/stop.bin`);
  try {
    const reads = await Promise.all([
      readAt(ns, fileUrl, 15_000, 60),
      readAt(ns, fileUrl, 30_000, 60),
      readAt(ns, exportUrl, 15_000, 60),
      readAt(ns, exportUrl, 30_000, 60),
    ]);
    const want = { status: 200, end: "complete" };
    for (const [i, read] of reads.entries()) {
      const [bytes, hash] = i < 2
        ? [file.byteLength, sha256(file)]
        : [reference.bytes, reference.sha256];
      assert.deepEqual(
        { status: read.status, end: read.end, bytes: read.bytes, sha256: read.sha256 },
        { ...want, bytes, sha256: hash },
        `reader ${i}: ${JSON.stringify(read)}`,
      );
    }
    // A stopped client goes within 3× the timeout (plus the buffers' fill and a sweep).
    const cutMs = await stoppedCut(proc);
    assert.ok(cutMs >= STALL_TIMEOUT_S * 1000, `cut after ${cutMs} ms`);
    assert.ok(cutMs <= 3 * STALL_TIMEOUT_S * 1000 + 2000, `cut after ${cutMs} ms`);
  } finally {
    await stopped.close();
  }
}

/** With tcp_notsent_lowat (scaled), a 4 KB/s reader reads a file and an export to the end. */
async function withLowat(file: Uint8Array, db: string, dir: string): Promise<void> {
  await using ns = await createNetns("lowat", {
    ...SCALED,
    "net.ipv4.tcp_notsent_lowat": String(Math.round(131072 / SCALE)),
  }, SCALED_MTU);
  await using sluice = await startIn(ns, dir, db);
  const { origin } = sluice;
  const reference = await readAt(ns, `${origin}/export/items.ndjson?limit=1000`, 0, 30);
  const [fileRead, exportRead] = await Promise.all([
    readAt(ns, `${origin}/media/small.bin`, 4_000, 60),
    readAt(ns, `${origin}/export/items.ndjson?limit=1000`, 4_000, 60),
  ]);
  assert.deepEqual(
    [fileRead.end, fileRead.bytes, fileRead.sha256],
    ["complete", file.byteLength, sha256(file)],
  );
  assert.deepEqual(
    [exportRead.end, exportRead.bytes, exportRead.sha256],
    ["complete", reference.bytes, reference.sha256],
  );
}

/** Over a 160 kbit/s link (veth + tbf): a reader gets the file; one that stops is cut. */
async function overSlowLink(file: Uint8Array, db: string, dir: string): Promise<void> {
  await using server = await createNetns("link-s", SCALED);
  await using client = await createNetns("link-c", SCALED);
  const veth = `sl${Deno.pid % 100000}`;
  await server.run(["ip", "link", "add", `${veth}a`, "netns", server.name, "type", "veth", "peer"]
    .concat(`${veth}b`, "netns", client.name));
  await server.run(["ip", "-n", server.name, "addr", "add", "10.251.0.1/30", "dev", `${veth}a`]);
  await server.run(["ip", "-n", client.name, "addr", "add", "10.251.0.2/30", "dev", `${veth}b`]);
  await server.run(["ip", "-n", server.name, "link", "set", `${veth}a`, "up"]);
  await server.run(["ip", "-n", client.name, "link", "set", `${veth}b`, "up"]);
  await server.run(["ip", "netns", "exec", server.name, "tc", "qdisc", "add", "dev", `${veth}a`]
    .concat("root", "tbf", "rate", "160kbit", "burst", "16kb", "latency", "400ms"));
  await using sluice = await startIn(server, dir, db, "10.251.0.1");
  const stopped = await neverRead(client, `${sluice.origin}/media/stop.bin`);
  try {
    const read = await readAt(client, `${sluice.origin}/media/small.bin`, 0, 60);
    assert.deepEqual(
      [read.end, read.bytes, read.sha256],
      ["complete", file.byteLength, sha256(file)],
    );
    // Link-limited: about 20 KB/s, so it took a while (not a timing goal: proof of the limit).
    assert.ok(read.seconds > 2, `read in ${read.seconds} s`);
    // Cut as stalled; when is the loopback case's business (here the link
    // keeps filling the client's buffers for a while first).
    await stoppedCut(sluice.proc);
  } finally {
    await stopped.close();
  }
}

Deno.test({
  name:
    "slow readers (4-30 KB/s, scaled defaults, notsent_lowat, a 160 kbit/s link) read to the end; stopped ones are cut within 3x the stall timeout",
  ignore: unavailable !== undefined,
  async fn() {
    const big = randomBytes(600_000);
    const small = randomBytes(100_000);
    const dir = await makeTempTree({ "slow.bin": big, "small.bin": small, "stop.bin": "" });
    await Deno.truncate(`${dir}/stop.bin`, 8 * 1024 * 1024);
    await using db = await makeExportDb(4000, false);
    try {
      // allSettled: a failing part must not end the test while another still
      // holds a namespace (its disposal would never run).
      const parts = await Promise.allSettled([
        scaledDefaults(big, db.path, dir),
        withLowat(small, db.path, dir),
        overSlowLink(small, db.path, dir),
      ]);
      for (const part of parts) if (part.status === "rejected") throw part.reason;
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
