/**
 * The `exports` section: a 1M-row SQLite table exported as NDJSON and CSV by
 * Sluice and by bench/export_baseline_server.ts (one JSON line per row,
 * enqueued from one `iterate()`): rows/s, MB/s, time to first byte, and each
 * server's memory; then bench/export_side_rows.ts's figures.
 *
 * @module
 */

import { createDemoDatabase } from "../lib/export/sqlite/demo_db.ts";
import { median } from "./files_bench.ts";
import { memoryKiB as memory, sha256File as sha256 } from "./rss.ts";
import type { BenchContext, Row, Section } from "./section.ts";
import { exportSideRows } from "./export_side_rows.ts";
import { type ServerProcess, spawnServer } from "./server_process.ts";
import { runProgram } from "./tools.ts";

const ROWS = 1_000_000;
const FORMATS = ["ndjson", "csv"] as const;
type Format = typeof FORMATS[number];

/** One export as a client saw it. */
export interface Transfer {
  status: number;
  bytes: number;
  /** Seconds to the first body byte, and to the end. */
  firstByte: number;
  total: number;
}

/**
 * Downloads `url` once, to `out` (a file, or /dev/null), with curl when there
 * is one; the exports and postgres sections share it.
 */
export async function transfer(
  ctx: BenchContext,
  url: string,
  out = "/dev/null",
): Promise<Transfer> {
  if (ctx.tools.curl !== undefined) {
    const format = "%{http_code} %{size_download} %{time_starttransfer} %{time_total}";
    const res = await runProgram(ctx.tools.curl, ["-s", "-o", out, "-w", format, url], 120_000);
    if (res.code !== 0) throw new Error(`curl ${url} failed (${res.code}): ${res.stderr}`);
    const [status, bytes, firstByte, total] = res.stdout.trim().split(" ").map(Number);
    return { status, bytes, firstByte, total };
  }
  const started = performance.now();
  const res = await fetch(url, { headers: { "accept-encoding": "identity" } });
  let firstByte = 0, bytes = 0;
  using file = out === "/dev/null" ? undefined : await Deno.open(out, {
    write: true,
    create: true,
    truncate: true,
  });
  for await (const chunk of res.body!) {
    if (bytes === 0) firstByte = (performance.now() - started) / 1000;
    bytes += chunk.byteLength;
    if (file !== undefined) {
      for (let at = 0; at < chunk.byteLength;) at += await file.write(chunk.subarray(at));
    }
  }
  return { status: res.status, bytes, firstByte, total: (performance.now() - started) / 1000 };
}

/**
 * Checks that both servers send the same bytes for each format, with a row
 * count that fits, before anything is timed. It also warms both up: JIT,
 * page cache, and Sluice's row-count cache.
 */
async function checkServers(ctx: BenchContext, servers: ServerProcess[]): Promise<number[]> {
  const coldFirstBytes: number[] = [];
  for (const format of FORMATS) {
    const hashes = new Set<string>();
    for (const server of servers) {
      const out = `${ctx.workDir}/export-check.${format}`;
      const got = await transfer(ctx, `${server.origin}/export/items.${format}`, out);
      if (format === "ndjson" && server.label === "sluice") coldFirstBytes.push(got.firstByte);
      if (got.status !== 200) {
        throw new Error(`${server.label} answered ${got.status} for ${format}`);
      }
      hashes.add(await sha256(out));
      if (format === "ndjson") {
        const lines = (await Deno.readFile(out)).reduce((n, byte) => byte === 10 ? n + 1 : n, 0);
        if (lines !== ROWS) throw new Error(`${server.label} sent ${lines} NDJSON lines`);
      }
      await Deno.remove(out);
    }
    if (hashes.size !== 1) throw new Error(`the servers' ${format} exports differ`);
  }
  return coldFirstBytes;
}

/** The 1M-row demo database in the work folder, built on first use (also the jobs section's). */
export async function ensureDatabase(ctx: BenchContext): Promise<string> {
  const path = `${ctx.workDir}/export-${ROWS}.db`;
  try {
    await Deno.stat(path);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    const started = performance.now();
    createDemoDatabase(path, ROWS);
    ctx.log(`exports: built ${path} in ${Math.round(performance.now() - started)} ms`);
  }
  return path;
}

/** Exports of a 1M-row table: throughput, first byte and memory, against the baseline. */
export const section: Section = {
  name: "exports",
  description: "1M-row SQLite export as NDJSON and CSV: rows/s, MB/s, first byte, RSS",
  async run(ctx) {
    const db = await ensureDatabase(ctx);
    const sluice = await ctx.startSluice(["--db", db, "--log-format", "text"]);
    const baseline = await spawnServer({
      label: "baseline",
      command: Deno.execPath(),
      args: ["run", "--allow-net=127.0.0.1", "--allow-read", "bench/export_baseline_server.ts", db],
      cwd: ctx.repoRoot,
      ready: /Export baseline listening on http:\/\/127\.0\.0\.1:(\d+)\//,
    });
    ctx.defer(() => baseline.stop());
    const servers = [sluice, baseline];
    // Memory is compared with a warmed-up server: a short export of each
    // format first, so the code it runs is loaded and compiled.
    const idle = new Map<string, number | undefined>();
    for (const server of servers) {
      for (const format of FORMATS) {
        await transfer(ctx, `${server.origin}/export/items.${format}?limit=20000`);
      }
      idle.set(server.label, (await memory(server.measuredPid)).rss);
    }

    ctx.log("exports: checking that both servers send the same bytes (and warming up)");
    const cold = await checkServers(ctx, servers);

    const samples = new Map<string, number[]>();
    const add = (key: string, value: number) =>
      samples.set(key, [...samples.get(key) ?? [], value]);
    for (let round = 0; round < ctx.rounds; round++) {
      for (const format of FORMATS) {
        for (let i = 0; i < servers.length; i++) {
          const server = servers[(i + round) % servers.length];
          const got = await transfer(ctx, `${server.origin}/export/items.${format}`);
          if (got.status !== 200) throw new Error(`${server.label} answered ${got.status}`);
          add(`${format} rows/s ${server.label}`, ROWS / got.total);
          add(`${format} MB/s ${server.label}`, got.bytes / got.total / 1e6);
          add(`${format} ttfb ${server.label}`, got.firstByte * 1000);
          ctx.log(
            `  round ${round + 1} ${format} ${server.label}: ${got.total.toFixed(2)} s, ` +
              `first byte ${(got.firstByte * 1000).toFixed(1)} ms`,
          );
        }
      }
    }
    const value = (key: string) => {
      const s = samples.get(key);
      return s === undefined ? undefined : median(s);
    };
    const spread = (key: string) =>
      servers.map((s) =>
        `${s.label} ${(samples.get(`${key} ${s.label}`) ?? []).map(Math.round).join("/")}`
      )
        .join(", ");
    const rows: Row[] = [];
    for (const format of FORMATS) {
      const name = `export ${ROWS / 1e6}M rows ${format.toUpperCase()}`;
      rows.push({
        name,
        unit: "rows/s",
        higherIsBetter: true,
        values: {
          sluice: value(`${format} rows/s sluice`),
          baseline: value(`${format} rows/s baseline`),
        },
        goals: [{ against: "baseline", atLeast: 2 }],
        note: `median of ${ctx.rounds}, one curl download each: ${spread(`${format} rows/s`)}`,
      }, {
        name: `${name} throughput`,
        unit: "MB/s",
        higherIsBetter: true,
        values: {
          sluice: value(`${format} MB/s sluice`),
          baseline: value(`${format} MB/s baseline`),
        },
      }, {
        name: `${name} first byte`,
        unit: "ms",
        higherIsBetter: false,
        // "goal" is the issue's bound, set beside the servers so the report judges it.
        values: {
          sluice: value(`${format} ttfb sluice`),
          baseline: value(`${format} ttfb baseline`),
          goal: 20,
        },
        goals: [{ against: "goal", atLeast: 1 }],
        note: `median of ${ctx.rounds} (curl time_starttransfer, with the connect)${
          format === "ndjson"
            ? `; Sluice's very first export after start: ${
              (cold[0] * 1000).toFixed(1)
            } ms (counts the table)`
            : ""
        }`,
      });
    }
    const growth: Record<string, number | undefined> = { goal: 64 };
    const peak: Record<string, number | undefined> = {};
    for (const server of servers) {
      const { peak: hwm } = await memory(server.measuredPid);
      const before = idle.get(server.label);
      peak[server.label] = hwm === undefined ? undefined : hwm / 1024;
      growth[server.label] = hwm === undefined || before === undefined
        ? undefined
        : Math.max(0, hwm - before) / 1024;
    }
    rows.push({
      name: "export server peak RSS (VmHWM)",
      unit: "MiB",
      higherIsBetter: false,
      values: peak,
    }, {
      name: "export server RSS growth",
      unit: "MiB",
      higherIsBetter: false,
      values: growth,
      goals: [{ against: "goal", atLeast: 1 }],
      note: `VmHWM after all exports minus VmRSS after two 20000-row warm-up exports (${
        servers.map((s) => `${s.label} ${Math.round((idle.get(s.label) ?? 0) / 1024)} MiB`)
          .join(", ")
      })`,
    });
    // After the memory figures, which this adds one more export to.
    rows.push(...await exportSideRows(ctx, sluice, ROWS));
    return rows;
  },
};
