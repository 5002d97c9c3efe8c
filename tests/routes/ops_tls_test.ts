/**
 * `--cert` / `--key`: HTTPS with HTTP/2 by ALPN, checked with curl (which
 * reports the version it used) and node:http2, on a certificate made by
 * openssl for the test. Needs the `curl` and `openssl` programs.
 */
import assert from "node:assert/strict";
import http2 from "node:http2";
import { makeTempTree, startTestServer } from "../support/server.ts";
import { spawnSluice } from "../support/sluice_process.ts";

const MiB = 1024 * 1024;
const FILE = Uint8Array.from({ length: 2 * MiB + 3 }, (_, i) => (i * 31 + (i >>> 12)) & 0xff);

async function run(cmd: string, args: string[]): Promise<{ code: number; stdout: string }> {
  const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output()
    .catch((error) => {
      throw new Error(`${cmd} is needed by this test (apt-get install ${cmd}): ${error}`);
    });
  const stderr = new TextDecoder().decode(out.stderr);
  if (cmd === "openssl" && !out.success) throw new Error(`openssl failed: ${stderr}`);
  return { code: out.code, stdout: new TextDecoder().decode(out.stdout) };
}

/** A media folder and a self-signed certificate for 127.0.0.1 and localhost. */
async function fixture(): Promise<{ dir: string; cert: string; key: string }> {
  const dir = await makeTempTree({ "media/clip.bin": FILE, "garbage.pem": "not a PEM\n" });
  const cert = `${dir}/cert.pem`;
  const key = `${dir}/key.pem`;
  await run("openssl", [
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
    "-days",
    "1",
    "-subj",
    "/CN=localhost",
    "-addext",
    "subjectAltName=IP:127.0.0.1,DNS:localhost",
    // rustls (fetch) refuses a CA certificate as the server's own.
    "-addext",
    "basicConstraints=critical,CA:FALSE",
    "-keyout",
    key,
    "-out",
    cert,
  ]);
  return { dir, cert, key };
}

Deno.test("--cert/--key serve HTTPS with HTTP/2: whole files and ranges byte-exact", async () => {
  const { dir, cert, key } = await fixture();
  try {
    await using server = await startTestServer([
      "--media-dir",
      `${dir}/media`,
      "--cert",
      cert,
      "--key",
      key,
    ]);
    const origin = server.origin.replace("http:", "https:");
    const out = `${dir}/out.bin`;
    const whole = await run("curl", [
      "--http2",
      "-sS",
      "--cacert",
      cert,
      "-o",
      out,
      "-w",
      "%{http_version} %{http_code}",
      `${origin}/media/clip.bin`,
    ]);
    assert.equal(whole.stdout, "2 200");
    assert.deepEqual(await Deno.readFile(out), FILE);

    const headers = `${dir}/headers.txt`;
    const range = await run("curl", [
      "--http2",
      "-sS",
      "--cacert",
      cert,
      "-H",
      "Range: bytes=1000000-1999999",
      "-D",
      headers,
      "-o",
      out,
      "-w",
      "%{http_version} %{http_code}",
      `${origin}/media/clip.bin`,
    ]);
    assert.equal(range.stdout, "2 206");
    assert.deepEqual(await Deno.readFile(out), FILE.slice(1_000_000, 2_000_000));
    const head = await Deno.readTextFile(headers);
    assert.match(head, /^HTTP\/2 206 ?\r\n/);
    assert.match(head, /\r\ncontent-range: bytes 1000000-1999999\/2097155\r\n/);
    assert.match(head, /\r\nx-request-id: [0-9a-f]{8}\r\n/);

    // fetch trusts the certificate when told to, and plain HTTP gets no answer.
    using client = Deno.createHttpClient({ caCerts: [await Deno.readTextFile(cert)] });
    const health = await fetch(`${origin}/healthz`, { client });
    assert.deepEqual(await health.json(), { status: "ok" });
    const plain = await run("curl", [
      "-sS",
      "-o",
      "/dev/null",
      "-m",
      "5",
      `${server.origin}/healthz`,
    ]);
    assert.notEqual(plain.code, 0);
    await server.waitForLog(/ GET \/media\/clip\.bin 206 1000000B [\d.]+ms complete$/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("over HTTP/2 a stalled stream is reset and its connection stays usable", async () => {
  const { dir, cert, key } = await fixture();
  await Deno.writeFile(`${dir}/media/big.bin`, new Uint8Array(0));
  await Deno.truncate(`${dir}/media/big.bin`, 256 * MiB);
  try {
    await using server = await startTestServer([
      "--media-dir",
      `${dir}/media`,
      "--cert",
      cert,
      "--key",
      key,
      "--stall-timeout",
      "1",
    ]);
    const session = http2.connect(server.origin.replace("http:", "https:"), {
      ca: await Deno.readTextFile(cert),
    });
    try {
      const stalled = session.request({ ":path": "/media/big.bin" });
      const closed = new Promise<number>((resolve) =>
        stalled.on("close", () => resolve(stalled.rstCode!))
      );
      stalled.on("error", () => {});
      const status = await new Promise((resolve) =>
        stalled.on("response", (h) => resolve(h[":status"]))
      );
      assert.equal(status, 200);
      stalled.pause();
      const line = await server.waitForLog(/ GET \/media\/big\.bin /, 10_000);
      const sent = Number(/ 200 (\d+)B /.exec(line)![1]);
      assert.match(
        line,
        / stalled error="The client took no bytes for [\d.]+ s, past its stall allowance"$/,
      );
      // HTTP/2 flow control stops the body long before the socket buffers fill.
      assert.ok(sent <= 16 * MiB, `${sent} bytes before the stall`);

      const again = session.request({ ":path": "/healthz" });
      again.setEncoding("utf8");
      let body = "";
      again.on("data", (chunk) => body += chunk);
      await new Promise((resolve) => again.on("end", resolve));
      assert.equal(body, '{"status":"ok"}');
      stalled.resume();
      // Reset by the server (not ended cleanly with NO_ERROR).
      assert.equal(await closed, http2.constants.NGHTTP2_INTERNAL_ERROR);
    } finally {
      await new Promise<void>((resolve) => session.close(() => resolve()));
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("main.ts exits 2 with one line for a missing or bad --cert", async () => {
  const { dir, cert, key } = await fixture();
  try {
    const cases: [string[], RegExp][] = [
      [
        ["--cert", `${dir}/nope.pem`, "--key", key],
        /^sluice: --cert: ".*\/nope\.pem" is not a readable file$/,
      ],
      [["--cert", cert], /^sluice: --cert and --key: give both, or neither$/],
      [
        ["--cert", `${dir}/garbage.pem`, "--key", key],
        /^sluice: --cert and --key: No certificates found in certificate data$/,
      ],
      [
        ["--cert", cert, "--key", `${dir}/garbage.pem`],
        /^sluice: --cert and --key: No keys found in key data$/,
      ],
    ];
    for (const [args, message] of cases) {
      await using proc = spawnSluice(["--port", "0", "--media-dir", `${dir}/media`, ...args]);
      const status = await proc.exitWithin(10_000);
      assert.equal(status.code, 2, args.join(" "));
      assert.equal(proc.stderr.length, 1, proc.stderr.join("\n"));
      assert.match(proc.stderr[0], message);
      assert.deepEqual(proc.stdout.filter((l) => l.startsWith("Sluice listening")), []);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
