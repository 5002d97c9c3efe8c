/**
 * `--only counts`: what repeated partial exports cost the rest of the server.
 * Eight clients loop `HEAD /export/items.csv?after=…` (each one a row count)
 * while /healthz is probed on new connections; the goal is /healthz under
 * 50 ms throughout (issue 11 item 4).
 *
 * @module
 */

import { ensureDatabase } from "./export_bench.ts";
import { probeHealthz } from "./export_side_rows.ts";
import { median } from "./files_bench.ts";
import type { BenchContext, Row, Section } from "./section.ts";
import type { ServerProcess } from "./server_process.ts";

const CLIENTS = 8;
const ROWS = 1_000_000;

/** Loops HEAD requests from `clients` clients until `signal`; returns how many were answered. */
async function loopHeads(
  origin: string,
  clients: number,
  path: () => string,
  signal: AbortSignal,
): Promise<{ ok: number; refused: number }> {
  const tally = { ok: 0, refused: 0 };
  const client = async () => {
    for (let i = 0; i < 10_000_000 && !signal.aborted; i++) {
      const res = await fetch(`${origin}${path()}`, { method: "HEAD" });
      await res.body?.cancel();
      if (res.status === 200) tally.ok++;
      else if (res.status === 429 || res.status === 503) tally.refused++;
      else throw new Error(`HEAD ${path()} answered ${res.status}`);
    }
  };
  await Promise.all(Array.from({ length: clients }, client));
  return tally;
}

/** Probes /healthz every 50 ms for `seconds` while the clients loop. */
async function probeWhile(
  ctx: BenchContext,
  sluice: ServerProcess,
  path: () => string,
): Promise<{ latencies: number[]; heads: number; refused: number; cpuUs?: number }> {
  const origin = sluice.origin;
  const stop = new AbortController();
  const cpuBefore = await sluice.cpuSeconds();
  const looping = loopHeads(origin, CLIENTS, path, stop.signal);
  const latencies: number[] = [];
  try {
    const until = performance.now() + ctx.seconds * 1000;
    // Let the loops get going (and a cold cache fill) before the first probe.
    await new Promise((r) => setTimeout(r, 200));
    for (let i = 0; i < 10_000 && performance.now() < until; i++) {
      latencies.push(await probeHealthz(ctx, origin));
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    stop.abort();
  }
  const { ok, refused } = await looping;
  const cpuAfter = await sluice.cpuSeconds();
  const cpu = cpuBefore === undefined || cpuAfter === undefined ? undefined : cpuAfter - cpuBefore;
  return {
    latencies,
    heads: ok / ctx.seconds,
    refused,
    cpuUs: cpu === undefined ? undefined : cpu * 1e6 / (ok + refused + latencies.length),
  };
}

function rowsFor(what: string, run: Awaited<ReturnType<typeof probeWhile>>): Row[] {
  const sorted = [...run.latencies].sort((a, b) => a - b);
  const p95 = sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.95))];
  return [{
    name: `/healthz while ${CLIENTS} clients loop ${what}, max`,
    unit: "ms",
    higherIsBetter: false,
    values: { sluice: Math.max(...run.latencies), goal: 50 },
    goals: [{ against: "goal", atLeast: 1 }],
    note: `${run.latencies.length} probes on new connections: median ${
      median(run.latencies).toFixed(1)
    } ms, p95 ${p95.toFixed(1)} ms`,
  }, {
    name: `${what} answered`,
    unit: "req/s",
    higherIsBetter: true,
    values: { sluice: run.heads },
    note: run.refused > 0 ? `${run.refused} refused (stream slots)` : undefined,
  }, {
    name: `${what}, server CPU per request`,
    unit: "us",
    higherIsBetter: false,
    values: { sluice: run.cpuUs },
  }];
}

/** HEAD exports of parts of a 1M-row table, against /healthz. */
export const section: Section = {
  name: "counts",
  description: "8 clients looping HEAD /export/items.csv?after=: /healthz latency, HEADs/s",
  async run(ctx) {
    const db = await ensureDatabase(ctx);
    const sluice = await ctx.startSluice(["--db", db, "--log-format", "text"]);
    const idle: number[] = [];
    for (let i = 0; i < 10; i++) idle.push(await probeHealthz(ctx, sluice.origin));
    // What 8 clients looping the cheapest request do to /healthz: the floor on this machine.
    ctx.log("counts: HEAD /healthz (the control)");
    const control = await probeWhile(ctx, sluice, () => "/healthz");
    ctx.log("counts: HEAD ?after=0");
    const first = await probeWhile(ctx, sluice, () => "/export/items.csv?after=0");
    ctx.log("counts: HEAD ?after=<random>&limit=<random>");
    const random = await probeWhile(ctx, sluice, () => {
      const after = Math.floor(Math.random() * ROWS);
      return `/export/items.csv?after=${after}&limit=${1 + Math.floor(Math.random() * ROWS)}`;
    });
    return [
      {
        name: "/healthz idle, median",
        unit: "ms",
        higherIsBetter: false,
        values: { sluice: median(idle) },
      },
      ...rowsFor("HEAD /healthz (control)", control),
      ...rowsFor("HEAD ?after=0", first),
      ...rowsFor("HEAD ?after=&limit= (random)", random),
    ];
  },
};
