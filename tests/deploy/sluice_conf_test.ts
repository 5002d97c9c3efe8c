/**
 * deploy/sluice.conf in use: two Sluice processes (one PostgreSQL, one shared
 * media folder) behind nginx started with that file, adapted only in its
 * ports. Skipped, with the reason printed, without nginx or PostgreSQL.
 */

import assert from "node:assert/strict";
import { jobsServer } from "../support/jobs_fixture.ts";
import { startPgCluster } from "../support/postgres.ts";
import { makePgExportDb } from "../support/postgres_fixture.ts";
import { startTestServer } from "../support/server.ts";
import { type ListeningSluice, startSluice } from "../support/sluice_process.ts";

const ROOT = new URL("../..", import.meta.url).pathname;
const NGINX = ["/usr/sbin/nginx", "/usr/bin/nginx"].find((path) => {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
});
if (NGINX === undefined) console.warn("sluice_conf_test: skipped, nginx is not installed");
const cluster = NGINX === undefined ? undefined : await startPgCluster("sluice_conf_test");
const ignore = cluster === undefined;

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr;
  listener.close();
  return port;
}

/**
 * deploy/sluice.conf with the test's ports, inside a main config whose pid
 * file, logs and temp paths are in `prefix`. It also names the instance that
 * answered (X-Upstream), which the deploy file does not expose.
 */
async function nginxConfig(prefix: string, port: number, upstreams: number[]): Promise<string> {
  let conf = await Deno.readTextFile(`${ROOT}deploy/sluice.conf`);
  const servers = /^(\s*)server 127\.0\.0\.1:8001 (.*);\n\s*server 127\.0\.0\.1:8002 .*;\n/m;
  assert.match(conf, servers);
  conf = conf.replace(
    servers,
    (_, indent, params) =>
      upstreams.map((p) => `${indent}server 127.0.0.1:${p} ${params};\n`).join(""),
  );
  assert.match(conf, /^\s*listen 80;$/m);
  conf = conf.replace(/^(\s*)listen 80;$/m, `$1listen 127.0.0.1:${port};`)
    .replace(
      /^(\s*)proxy_pass http:\/\/sluice;$/m,
      "$1proxy_pass http://sluice;\n" +
        "$1add_header X-Upstream $upstream_addr always;",
    );
  return `daemon off;
master_process on;
worker_processes 1;
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log warn;
events { worker_connections 256; }
http {
  access_log ${prefix}/access.log;
  client_body_temp_path ${prefix}/client_body;
  proxy_temp_path ${prefix}/proxy;
  fastcgi_temp_path ${prefix}/fastcgi;
  uwsgi_temp_path ${prefix}/uwsgi;
  scgi_temp_path ${prefix}/scgi;
${conf}
}
`;
}

/** nginx in the foreground with its own prefix; resolves once it accepts connections. */
async function startNginx(config: string, prefix: string, port: number) {
  await Deno.writeTextFile(`${prefix}/nginx.conf`, config);
  const child = new Deno.Command(NGINX!, {
    args: ["-p", prefix, "-c", `${prefix}/nginx.conf`, "-e", `${prefix}/error.log`],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  for (let i = 0; i < 100; i++) {
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      return {
        async [Symbol.asyncDispose]() {
          child.kill("SIGTERM");
          await child.status;
          await stderr;
        },
      };
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  child.kill("SIGKILL");
  await child.status;
  throw new Error(`nginx did not start: ${await stderr}`);
}

/** Reads a body until it ends or fails, stopping to call `midway` after `pauseAt` bytes. */
async function readBody(
  body: ReadableStream<Uint8Array>,
  pauseAt: number,
  midway: () => Promise<void>,
): Promise<{ bytes: Uint8Array; error: unknown }> {
  const parts: Uint8Array[] = [];
  let size = 0;
  let paused = false;
  const reader = body.getReader();
  let error: unknown;
  try {
    for (let i = 0; i < 1_000_000; i++) {
      const { done, value } = await reader.read();
      if (done) break;
      parts.push(value);
      size += value.byteLength;
      if (!paused && size >= pauseAt) {
        paused = true;
        await midway();
      }
    }
  } catch (e) {
    error = e;
  } finally {
    reader.releaseLock();
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const part of parts) {
    bytes.set(part, offset);
    offset += part.byteLength;
  }
  return { bytes, error };
}

Deno.test({
  name:
    "deploy/sluice.conf: two instances behind nginx, byte-exact, and a killed one resumed on the other",
  ignore,
  async fn() {
    const url = await makePgExportDb(cluster!, 20_000, false);
    const media = await Deno.makeTempDir({ prefix: "sluice-shared-media-" });
    const prefix = await Deno.makeTempDir({ prefix: "sluice-nginx-" });
    const instances: ListeningSluice[] = [];
    try {
      // 48 MiB: more than the socket buffers between the three processes hold.
      const file = new Uint8Array(48 * 1024 * 1024);
      for (let i = 0; i < file.length; i += 65536) {
        crypto.getRandomValues(file.subarray(i, i + 65536));
      }
      await Deno.writeFile(`${media}/big.bin`, file);
      const flags = [
        "--database-url",
        url,
        "--media-dir",
        media,
        "--client-ip-header",
        "x-forwarded-for",
      ];
      instances.push(await startSluice(flags), await startSluice(flags));
      const ports = instances.map((i) => Number(new URL(i.origin).port));
      const port = freePort();
      await using _nginx = await startNginx(await nginxConfig(prefix, port, ports), prefix, port);
      const lb = `http://127.0.0.1:${port}`;
      const identity = { "accept-encoding": "identity" };

      // Whole file, a range and a conditional request, through the balancer.
      const whole = await fetch(`${lb}/media/big.bin`);
      assert.equal(whole.status, 200);
      const etag = whole.headers.get("etag")!;
      assert.deepEqual(new Uint8Array(await whole.arrayBuffer()), file);
      const range = await fetch(`${lb}/media/big.bin`, { headers: { range: "bytes=1000-1999" } });
      assert.equal(range.status, 206);
      assert.equal(range.headers.get("content-range"), `bytes 1000-1999/${file.length}`);
      assert.deepEqual(new Uint8Array(await range.arrayBuffer()), file.subarray(1000, 2000));
      const unchanged = await fetch(`${lb}/media/big.bin`, { headers: { "if-none-match": etag } });
      assert.equal(unchanged.status, 304);
      await unchanged.body?.cancel();

      // An export through the balancer equals one straight from an instance.
      const direct = await (await fetch(`${instances[0].origin}/export/items.csv`, {
        headers: identity,
      })).text();
      const proxied = await fetch(`${lb}/export/items.csv`, { headers: identity });
      assert.equal(proxied.headers.get("x-total-rows"), "20000");
      assert.equal(await proxied.text(), direct);
      // Both instances answer, each reporting the database.
      const served = new Set<string>();
      for (let i = 0; i < 4; i++) {
        const res = await fetch(`${lb}/healthz`);
        assert.deepEqual(await res.json(), { status: "ok", database: "ok" });
        served.add(res.headers.get("x-upstream")!);
      }
      assert.equal(served.size, 2);

      // A download whose instance dies midway fails at the client…
      const download = await fetch(`${lb}/media/big.bin`);
      assert.equal(download.headers.get("content-length"), String(file.length));
      const upstream = download.headers.get("x-upstream")!;
      const victim = instances.findIndex((i) => i.origin === `http://${upstream}`);
      assert.ok(victim >= 0, upstream);
      const got = await readBody(download.body!, 1024 * 1024, () => instances[victim].kill());
      assert.ok(got.error instanceof Error, "the client's read must fail");
      assert.ok(got.bytes.length < file.length);
      assert.deepEqual(got.bytes, file.subarray(0, got.bytes.length));
      // …and resumes from what it has, as `curl -C -` would, on the other instance.
      const rest = await fetch(`${lb}/media/big.bin`, {
        headers: { range: `bytes=${got.bytes.length}-`, "if-range": etag },
      });
      assert.equal(rest.status, 206);
      // ($upstream_addr lists every instance tried: the dead one may come first.)
      assert.equal(
        rest.headers.get("x-upstream")!.split(", ").at(-1),
        new URL(instances[1 - victim].origin).host,
      );
      const resumed = new Uint8Array(await rest.arrayBuffer());
      assert.equal(got.bytes.length + resumed.length, file.length);
      assert.deepEqual(resumed, file.subarray(got.bytes.length));
      // New requests all succeed, on the instance that is left.
      for (let i = 0; i < 4; i++) {
        const res = await fetch(`${lb}/export/items.ndjson?columns=id&after=19998`, {
          headers: identity,
        });
        assert.equal(res.status, 200);
        assert.equal(await res.text(), '{"id":19999}\n{"id":20000}\n');
      }
    } finally {
      for (const instance of instances) await instance.kill();
      await Deno.remove(media, { recursive: true });
      await Deno.remove(prefix, { recursive: true });
    }
  },
});

/**
 * Reads a raw connection until the peer closes it, then closes it too.
 * Fails when it is still open after `ms`.
 */
async function readUntilClosed(conn: Deno.Conn, ms: number): Promise<string> {
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    conn.close();
  }, ms);
  const buf = new Uint8Array(64 * 1024);
  let text = "";
  try {
    for (let i = 0; i < 10_000; i++) {
      const n = await conn.read(buf).catch(() => null);
      if (n === null) break;
      text += new TextDecoder().decode(buf.subarray(0, n));
    }
  } finally {
    clearTimeout(timer);
    if (!timedOut) conn.close();
  }
  if (timedOut) throw new Error(`still open after ${ms} ms; read ${JSON.stringify(text)}`);
  return text;
}

async function rawSend(port: number, text: string): Promise<Deno.Conn> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(new TextEncoder().encode(text));
  return conn;
}

Deno.test({
  name:
    "deploy/sluice.conf bounds half-sent and idle connections and refuses HTTP/1.1 without Host",
  ignore: NGINX === undefined,
  async fn() {
    const prefix = await Deno.makeTempDir({ prefix: "sluice-nginx-" });
    await using instance = await startTestServer();
    try {
      const upstream = Number(new URL(instance.origin).port);
      const port = freePort();
      let config = await nginxConfig(prefix, port, [upstream]);
      // The deploy file's timeouts, made short so the test waits seconds, not minutes.
      for (const name of ["client_header_timeout", "client_body_timeout", "keepalive_timeout"]) {
        const setting = new RegExp(`^(\\s*)${name} \\d+s;$`, "m");
        assert.match(config, setting, `deploy/sluice.conf sets ${name}`);
        config = config.replace(setting, `$1${name} 1s;`);
      }
      await using _nginx = await startNginx(config, prefix, port);

      // Deno.serve lets a Host-less HTTP/1.1 request through (it cannot say the version);
      // nginx answers 400 before it reaches Sluice.
      const noHost = "GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n";
      const direct = await readUntilClosed(await rawSend(upstream, noHost), 10_000);
      assert.match(direct, /^HTTP\/1\.1 200 /);
      const proxied = await readUntilClosed(await rawSend(port, noHost), 10_000);
      assert.match(proxied, /^HTTP\/1\.1 400 /);

      // Half a request head: closed after client_header_timeout (1 s here), with no answer.
      const half = await rawSend(port, "GET /healthz HTTP/1.1\r\nHost: sluice\r\n");
      assert.equal(await readUntilClosed(half, 15_000), "");

      // An idle keep-alive connection: one answer, then closed after keepalive_timeout.
      const idle = await rawSend(port, "GET /healthz HTTP/1.1\r\nHost: sluice\r\n\r\n");
      const text = await readUntilClosed(idle, 15_000);
      assert.match(text, /^HTTP\/1\.1 200 /);
      assert.ok(text.includes('\r\n{"status":"ok"}\r\n'), text);
    } finally {
      await Deno.remove(prefix, { recursive: true });
    }
  },
});

Deno.test({
  name: "deploy/sluice.conf passes a job's events as they happen, and its result with ranges",
  ignore: NGINX === undefined,
  async fn() {
    const prefix = await Deno.makeTempDir({ prefix: "sluice-nginx-" });
    await using s = await jobsServer(10);
    const instance = s.server;
    try {
      const port = freePort();
      const upstream = Number(new URL(instance.origin).port);
      await using _nginx = await startNginx(
        await nginxConfig(prefix, port, [upstream]),
        prefix,
        port,
      );
      const proxy = `http://127.0.0.1:${port}`;
      const posted = await fetch(`${proxy}/jobs`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        // Long enough for several events, whatever the machine's speed.
        body: JSON.stringify({ table: "endless", format: "csv", limit: 3_000_000 }),
      });
      assert.equal(posted.status, 202);
      const job = await posted.json();
      const res = await fetch(`${proxy}/jobs/${job.id}/events`, {
        headers: { "accept-encoding": "gzip" },
      });
      assert.equal(res.headers.get("content-type"), "text/event-stream; charset=utf-8");
      assert.equal(res.headers.get("content-encoding"), null);
      const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
      let text = "";
      let runningSeen = false;
      for (let i = 0; i < 100_000; i++) {
        const { done, value } = await reader.read();
        if (done) break;
        text += value;
        // An event that says "running" arrived while the job ran: nginx did not hold it back.
        if (!runningSeen && /event: progress\ndata: \{[^\n]*"state":"running"/.test(text)) {
          const direct = await (await fetch(`${instance.origin}/jobs/${job.id}`)).json();
          runningSeen = direct.state === "running";
        }
      }
      assert.ok(runningSeen, "a progress event came through while the job ran");
      assert.match(text, /event: done\ndata: \{[^\n]*"rows":3000000/);
      const done = await (await fetch(`${proxy}/jobs/${job.id}`)).json();
      const part = await fetch(`${proxy}${done.result.url}`, { headers: { range: "bytes=0-24" } });
      assert.equal(part.status, 206);
      assert.equal(part.headers.get("repr-digest"), done.result.digest);
      assert.equal(await part.text(), "id\r\n1\r\n2\r\n3\r\n4\r\n5\r\n6\r\n7\r\n");
    } finally {
      await Deno.remove(prefix, { recursive: true });
    }
  },
});
