/**
 * The `jobs` section: a 1M-row CSV prepared as a background job next to the
 * same live export; the server's memory growth and /healthz while the job
 * runs; the result's size with and without gzip; and a download interrupted
 * half-way, resumed with `curl -C -` and checked against the Repr-Digest.
 *
 * @module
 */

import { ensureDatabase } from "./export_bench.ts";
import { median } from "./files_bench.ts";
import { memoryKiB, sha256File } from "./rss.ts";
import type { BenchContext, Row, Section } from "./section.ts";
import type { ServerProcess } from "./server_process.ts";
import { runProgram } from "./tools.ts";

/** What one job run measured. */
interface JobRun {
  seconds: number;
  size: number;
  digest: string;
  url: string;
  /** Highest RSS seen while it ran, KiB. */
  peakKiB: number;
  /** /healthz answer times while it ran, ms. */
  health: number[];
}

/** Posts a job and polls it to the end, sampling memory and /healthz meanwhile. */
async function runJob(server: ServerProcess, spec: object): Promise<JobRun> {
  const started = performance.now();
  const res = await fetch(`${server.origin}/jobs`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(spec),
  });
  if (res.status !== 202) throw new Error(`POST /jobs answered ${res.status}: ${await res.text()}`);
  const { id } = await res.json();
  let peakKiB = 0;
  const health: number[] = [];
  // Bounded: 20 minutes of 100 ms polls.
  for (let i = 0; i < 12_000; i++) {
    const probe = performance.now();
    const h = await fetch(`${server.origin}/healthz`);
    await h.body?.cancel();
    health.push(performance.now() - probe);
    peakKiB = Math.max(peakKiB, (await memoryKiB(server.measuredPid)).rss ?? 0);
    const job = await (await fetch(`${server.origin}/jobs/${id}`)).json();
    if (job.state === "done") {
      return {
        seconds: (performance.now() - started) / 1000,
        size: job.result.size,
        digest: job.result.digest,
        url: `${server.origin}${job.result.url}`,
        peakKiB,
        health,
      };
    }
    if (job.state !== "queued" && job.state !== "running") {
      throw new Error(`job ${id} ended ${job.state}: ${job.error}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`job ${id} did not finish`);
}

/** Seconds for the live export, to /dev/null. */
async function liveSeconds(ctx: BenchContext, url: string): Promise<number> {
  const started = performance.now();
  if (ctx.tools.curl !== undefined) {
    const out = await runProgram(ctx.tools.curl, ["-s", "-o", "/dev/null", url], 300_000);
    if (out.code !== 0) throw new Error(`curl ${url}: ${out.stderr}`);
  } else {
    const res = await fetch(url, { headers: { "accept-encoding": "identity" } });
    for await (const _ of res.body!) { /* drain */ }
  }
  return (performance.now() - started) / 1000;
}

/** Downloads half, then resumes with `curl -C -`; returns whether the file matches the digest. */
async function resumedDownload(ctx: BenchContext, run: JobRun): Promise<string> {
  if (ctx.tools.curl === undefined) return "skipped: no curl";
  const out = `${ctx.workDir}/jobs-resumed.csv`;
  await Deno.remove(out).catch(() => {});
  const half = Math.floor(run.size / 2);
  const first = await runProgram(ctx.tools.curl, ["-s", "-r", `0-${half - 1}`, "-o", out, run.url]);
  const second = await runProgram(ctx.tools.curl, ["-s", "-C", "-", "-o", out, run.url]);
  if (first.code !== 0 || second.code !== 0) throw new Error(`curl failed: ${second.stderr}`);
  const hex = await sha256File(out);
  const base64 = btoa(String.fromCharCode(...hex.match(/../g)!.map((b) => parseInt(b, 16))));
  await Deno.remove(out);
  const ok = `sha-256=:${base64}:` === run.digest;
  if (!ok) throw new Error(`the resumed download does not match ${run.digest}`);
  return `resumed at byte ${half} with curl -C -: sha-256 matches Repr-Digest`;
}

export const section: Section = {
  name: "jobs",
  description: "1M-row CSV as a background job vs the live export: time, RSS growth, gzip size",
  async run(ctx) {
    const db = await ensureDatabase(ctx);
    const data = `data/bench-jobs-${crypto.randomUUID().slice(0, 8)}`;
    ctx.defer(() => Deno.remove(`${ctx.repoRoot}/${data}`, { recursive: true }).catch(() => {}));
    const sluice = await ctx.startSluice([
      "--db",
      db,
      "--data-dir",
      data,
      "--jobs-max-bytes",
      "0",
      "--log-format",
      "text",
    ]);
    // Warm up both paths, then take the idle memory.
    await liveSeconds(ctx, `${sluice.origin}/export/items.csv?limit=20000`);
    await runJob(sluice, { table: "items", format: "csv", limit: 20000 });
    const idleKiB = (await memoryKiB(sluice.measuredPid)).rss ?? 0;
    // /healthz with no job running, probed the same way: what the machine itself adds.
    const quiet: number[] = [];
    for (let i = 0; i < 50; i++) {
      const probe = performance.now();
      await (await fetch(`${sluice.origin}/healthz`)).body?.cancel();
      quiet.push(performance.now() - probe);
      await new Promise((r) => setTimeout(r, 100));
    }
    const live: number[] = [], job: number[] = [], growth: number[] = [], health: number[] = [];
    let plain: JobRun | undefined;
    for (let round = 0; round < ctx.rounds; round++) {
      live.push(await liveSeconds(ctx, `${sluice.origin}/export/items.csv`));
      plain = await runJob(sluice, { table: "items", format: "csv" });
      job.push(plain.seconds);
      growth.push((plain.peakKiB - idleKiB) / 1024);
      health.push(...plain.health);
      ctx.log(
        `  jobs round ${round + 1}: live ${live.at(-1)!.toFixed(2)} s, job ${
          plain.seconds.toFixed(2)
        } s`,
      );
    }
    const gz = await runJob(sluice, { table: "items", format: "csv", gzip: true });
    const resumed = await resumedDownload(ctx, plain!);
    const sorted = [...health].sort((a, b) => a - b);
    const rows: Row[] = [
      {
        name: "1M rows CSV: live export vs job (to done)",
        unit: "s",
        higherIsBetter: false,
        values: { live: median(live), job: median(job) },
        note: `job ${job.map((s) => s.toFixed(2)).join("/")} s, live ${
          live.map((s) => s.toFixed(2)).join("/")
        } s`,
      },
      {
        name: "server RSS growth during a 1M-row job",
        unit: "MiB",
        higherIsBetter: false,
        values: { job: Math.max(...growth) },
        note: `goal < 64 MiB; idle ${Math.round(idleKiB / 1024)} MiB`,
      },
      {
        name: "/healthz during 1M-row jobs (median, max)",
        unit: "ms",
        higherIsBetter: false,
        values: { median: median(health), max: sorted.at(-1) },
        note: `goal < 50 ms; ${health.length} probes, p99 ${
          sorted[Math.floor(sorted.length * 0.99)]?.toFixed(1)
        } ms; with no job: median ${median(quiet).toFixed(1)} ms, max ${
          Math.max(...quiet).toFixed(1)
        } ms`,
      },
      {
        name: "1M-row CSV result size, plain vs gzip",
        unit: "MB",
        higherIsBetter: false,
        values: { plain: plain!.size / 1e6, gzip: gz.size / 1e6 },
        note: `gzip job ${gz.seconds.toFixed(2)} s; ${resumed}`,
      },
    ];
    return rows;
  },
};
