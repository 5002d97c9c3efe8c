/**
 * Figures the tests used to bound and now only measure (a bound on a shared,
 * loaded machine fails for the machine, not for Sluice): how long building the
 * demo database takes, and how fast /healthz answers while an export streams.
 *
 * @module
 */

import { createDemoDatabase } from "../lib/export/sqlite/demo_db.ts";
import { median } from "./files_bench.ts";
import type { BenchContext, Row } from "./section.ts";
import type { ServerProcess } from "./server_process.ts";
import { runProgram } from "./tools.ts";

const PROBES = 10;

/** Milliseconds for one GET /healthz on a new connection (curl's own timing when there is curl). */
export async function probeHealthz(ctx: BenchContext, origin: string): Promise<number> {
  if (ctx.tools.curl !== undefined) {
    const args = ["-s", "-o", "/dev/null", "-w", "%{http_code} %{time_total}", `${origin}/healthz`];
    const res = await runProgram(ctx.tools.curl, args, 30_000);
    const [status, seconds] = res.stdout.trim().split(" ");
    if (status !== "200") throw new Error(`/healthz answered ${status} during the export`);
    return Number(seconds) * 1000;
  }
  using client = Deno.createHttpClient({});
  const started = performance.now();
  const res = await fetch(`${origin}/healthz`, { client });
  await res.body?.cancel();
  if (res.status !== 200) throw new Error(`/healthz answered ${res.status} during the export`);
  return performance.now() - started;
}

/**
 * Builds a fresh demo database of `rows` rows and probes /healthz on `sluice`
 * while it exports its whole `items` table as NDJSON.
 *
 * @param ctx The bench context.
 * @param sluice A Sluice serving a database with a large `items` table.
 * @param rows Rows for the demo database build.
 * @returns Two rows: the build time, and the /healthz latency mid-export.
 */
export async function exportSideRows(
  ctx: BenchContext,
  sluice: ServerProcess,
  rows: number,
): Promise<Row[]> {
  const path = `${ctx.workDir}/demo-build-${rows}.db`;
  const started = performance.now();
  createDemoDatabase(path, rows);
  const buildMs = performance.now() - started;
  await Deno.remove(path);

  const controller = new AbortController();
  const res = await fetch(`${sluice.origin}/export/items.ndjson`, {
    headers: { "accept-encoding": "identity" },
    signal: controller.signal,
  });
  const reader = res.body!.getReader();
  // Drains the export in the background, so it keeps streaming during the probes.
  const draining = (async () => {
    for (let i = 0; i < 10_000_000; i++) if ((await reader.read()).done) return true;
    return false;
  })().catch(() => false);
  const latencies: number[] = [];
  try {
    for (let i = 0; i < PROBES; i++) latencies.push(await probeHealthz(ctx, sluice.origin));
  } finally {
    const ended = await Promise.race([draining, Promise.resolve(undefined)]);
    controller.abort();
    await draining;
    if (ended === true) ctx.log("exports: the export ended before the /healthz probes did");
  }
  return [{
    name: `demo database build, ${rows / 1e6}M rows`,
    unit: "ms",
    higherIsBetter: false,
    values: { sluice: buildMs },
    note: "createDemoDatabase() into a fresh file (the tests only check its rows)",
  }, {
    name: "/healthz during a full NDJSON export, max",
    unit: "ms",
    higherIsBetter: false,
    values: { sluice: Math.max(...latencies), goal: 100 },
    goals: [{ against: "goal", atLeast: 1 }],
    note: `${PROBES} probes on new connections, median ${median(latencies).toFixed(1)} ms: ${
      latencies.map((ms) => ms.toFixed(1)).join(", ")
    }`,
  }];
}
