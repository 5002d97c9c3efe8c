/**
 * PostgreSQL exports when things go wrong: clients that leave (the query is
 * cancelled on the server and the pool gets its connection back), the
 * server stopped mid-export (the transfer fails, /healthz says so), a
 * database that is down at start (exit 2, one line), and memory that stays
 * flat over a 1M-row export.
 */

import assert from "node:assert/strict";
import { readUntilFailure } from "../support/export_fixture.ts";
import { sluiceBackends, startPgCluster } from "../support/postgres.ts";
import { makePgExportDb } from "../support/postgres_fixture.ts";
import { startTestServer } from "../support/server.ts";
import { readMemory, spawnSluice, startSluice } from "../support/sluice_process.ts";

const IDENTITY = { "accept-encoding": "identity" };
const cluster = await startPgCluster("export_postgres_failure_test");
const ignore = cluster === undefined;

/** Polls `check` every 20 ms until it holds; returns the milliseconds it took. */
async function waitFor(what: string, check: () => Promise<boolean>, ms = 5000): Promise<number> {
  const started = performance.now();
  while (!await check()) {
    if (performance.now() - started > ms) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return performance.now() - started;
}

Deno.test({
  name: "a client leaving during a long FETCH cancels it on the server, and the pool gets it back",
  ignore,
  async fn() {
    const url = await makePgExportDb(cluster!, 3000);
    await using server = await startTestServer(["--database-url", url, "--db-pool-size", "2"]);
    const watch = cluster!.client(url);
    try {
      const controller = new AbortController();
      const res = await fetch(`${server.origin}/export/slow.ndjson`, {
        headers: IDENTITY,
        signal: controller.signal,
      });
      assert.equal(res.status, 200);
      const reader = res.body!.getReader();
      const first = new TextDecoder().decode((await reader.read()).value);
      assert.ok(first.startsWith('{"id":1,"x":"fast"}\n'));
      // The next FETCH (rows 1001-2000, 20 ms each: 20 s) is running now.
      await waitFor(
        "the second FETCH",
        async () => (await sluiceBackends(watch)).includes("active"),
      );
      controller.abort();
      await reader.closed.catch(() => {});
      // The FETCH left alone would run 20 s; idle within 10 s proves the cancel.
      await waitFor(
        "every backend idle",
        async () => (await sluiceBackends(watch)).every((state) => state === "idle"),
        10_000,
      );
      await server.waitForLog(/GET \/export\/slow\.ndjson 200 \d+B .* aborted$/);

      // Abandon more exports than the pool has connections, at various points…
      for (let i = 0; i < 5; i++) {
        const abort = new AbortController();
        const r = await fetch(`${server.origin}/export/items.csv`, { signal: abort.signal });
        const body = r.body!.getReader();
        if (i % 2 === 1) await body.read();
        abort.abort();
        await body.closed.catch(() => {});
      }
      // …and both connections are free again: two whole exports at once complete.
      const whole = await Promise.all(
        [1, 2].map(async () =>
          (await fetch(`${server.origin}/export/items.csv?columns=id`)).text()
        ),
      );
      const ids = ["id", ...Array.from({ length: 3000 }, (_, i) => i + 1)].join("\r\n") + "\r\n";
      assert.deepEqual(whole, [ids, ids]);
      assert.ok((await sluiceBackends(watch)).every((state) => state === "idle"));
      // Two export connections and the catalog's, no more.
      assert.ok((await sluiceBackends(watch)).length <= 3);
    } finally {
      await watch.end();
    }
  },
});

Deno.test({
  name: "PostgreSQL stopped mid-export: the NDJSON ends with an error record and the read fails",
  ignore,
  async fn() {
    const url = await makePgExportDb(cluster!, 100_000, false);
    await using server = await startTestServer(["--database-url", url]);
    const res = await fetch(`${server.origin}/export/items.ndjson?columns=id`, {
      headers: IDENTITY,
    });
    assert.equal(res.status, 200);
    const reader = res.body!.getReader();
    let text = new TextDecoder().decode((await reader.read()).value);
    await cluster!.stop("immediate");
    try {
      reader.releaseLock();
      const rest = await readUntilFailure(res.body!);
      text += rest.text;
      assert.ok(rest.error instanceof Error, "the client's read must fail");
      const lines = text.trimEnd().split("\n");
      const record = JSON.parse(lines.pop()!);
      const ids = lines.map((line) => JSON.parse(line).id);
      assert.ok(ids.length > 0 && ids.length < 100_000);
      assert.deepEqual(ids, ids.map((_, i) => i + 1));
      assert.deepEqual(record, {
        $error: {
          type: "about:blank",
          status: 500,
          title: "Internal Server Error",
          detail: `The export failed after ${ids.length} rows; see the server log. ` +
            `Resume with ?after=${ids.length}.`,
          rows: ids.length,
          after: ids.length,
        },
      });
      await server.waitForLog(/GET \/export\/items\.ndjson\?columns=id 200 \d+B .* failed /);

      const health = await fetch(`${server.origin}/healthz`);
      assert.equal(health.status, 503);
      assert.deepEqual(await health.json(), { status: "unavailable", database: "unreachable" });
      const refused = await fetch(`${server.origin}/export/items.ndjson`);
      assert.equal(refused.status, 503);
      assert.equal(refused.headers.get("retry-after"), "5");
      assert.equal((await refused.json()).detail, "The database is unreachable; retry later");
    } finally {
      await cluster!.start();
    }
    // Back: the pools reconnect by themselves.
    await waitFor("healthz ok", async () => {
      const health = await fetch(`${server.origin}/healthz`);
      await health.body?.cancel();
      return health.status === 200;
    });
    const again = await fetch(`${server.origin}/export/items.ndjson?columns=id&after=99998`);
    assert.equal(await again.text(), '{"id":99999}\n{"id":100000}\n');
  },
});

Deno.test({
  name: "PostgreSQL unreachable at start: sluice exits 2 with one line, without the password",
  ignore,
  async fn() {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = listener.addr.port;
    listener.close();
    const run = async (...flags: string[]) => {
      await using proc = spawnSluice(["--port", "0", ...flags]);
      const { code } = await proc.exitWithin(15_000);
      return { code, stderr: proc.stderr.map((line) => `${line}\n`).join("") };
    };
    assert.deepEqual(
      await run("--database-url", `postgres://sluice:secret@127.0.0.1:${port}/sluice`),
      {
        code: 2,
        stderr:
          `sluice: --database-url: cannot connect to postgres://sluice@127.0.0.1:${port}/sluice: ` +
          `connect ECONNREFUSED 127.0.0.1:${port}\n`,
      },
    );
    assert.deepEqual(await run("--database-url", "mysql://root:secret@db/x"), {
      code: 2,
      stderr: "sluice: --database-url: the scheme must be postgres://, not mysql://\n",
    });
    assert.deepEqual(await run("--database-url", cluster!.url("nowhere")), {
      code: 2,
      stderr: `sluice: --database-url: cannot connect to ${cluster!.url("nowhere")}: ` +
        'database "nowhere" does not exist\n',
    });
  },
});

Deno.test({
  name: "a 1M-row NDJSON export from PostgreSQL keeps the server's memory flat",
  ignore,
  async fn() {
    const url = await makePgExportDb(cluster!, 1_000_000, false);
    await using sluice = await startSluice(["--database-url", url]);
    // Warm up, so lazily made things (connections, compiled code) are there.
    await (await fetch(`${sluice.origin}/export/items.ndjson?limit=5000`)).text();
    const before = await readMemory(sluice.child.pid);
    // The client is another process, as it would be in use.
    const curl = await new Deno.Command("curl", {
      args: [
        "-s",
        "-o",
        "/dev/null",
        "-w",
        "%{http_code} %{size_download}",
        `${sluice.origin}/export/items.ndjson`,
      ],
      stdout: "piped",
    }).output();
    assert.equal(new TextDecoder().decode(curl.stdout), "200 157043957");
    const after = await readMemory(sluice.child.pid);
    const growth = Math.max(after.peak, after.rss) - before.rss;
    const mib = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;
    assert.ok(
      growth < 64 * 1024 * 1024,
      `RSS ${mib(before.rss)} before, peak ${mib(after.peak)} during the export`,
    );
  },
});
