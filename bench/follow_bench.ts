/**
 * The `follow` section: how long an append takes to reach a `?follow`
 * client, and what noticing appends costs — `Deno.watchFs` (what Sluice
 * uses) against polling every 100 ms, for latency and for the CPU of
 * followers waiting on quiet files.
 *
 * @module
 */

import { cpuUsage } from "node:process";
import { followFile } from "../lib/files/follow_file.ts";
import { FileWakeups } from "../lib/files/follow_wakeup.ts";
import { median } from "./files_bench.ts";
import type { Section } from "./section.ts";

const encoder = new TextEncoder();

/** Milliseconds from each append to its arrival, `count` appends `gapMs` apart. */
async function appendLatencies(
  path: string,
  reader: ReadableStreamDefaultReader<Uint8Array>,
  count: number,
  gapMs: number,
): Promise<number[]> {
  const file = await Deno.open(path, { append: true });
  const latencies: number[] = [];
  try {
    for (let i = 0; i < count; i++) {
      await new Promise((r) => setTimeout(r, gapMs));
      const line = encoder.encode(`append ${i}\n`);
      const sent = performance.now();
      file.writeSync(line);
      let got = 0;
      while (got < line.byteLength) {
        const { done, value } = await reader.read();
        if (done) throw new Error("the follow ended");
        got += value.byteLength;
      }
      latencies.push(performance.now() - sent);
    }
  } finally {
    file.close();
  }
  return latencies;
}

/** A follower as a stream, on `wakeups`, for the in-process comparison. */
function follow(path: string, file: Deno.FsFile, wakeups: FileWakeups, stop: AbortSignal) {
  const wakeup = wakeups.wakeup([path]);
  const events = followFile(file, { signal: stop, wakeup, resolve: () => Promise.resolve(path) });
  return new ReadableStream<Uint8Array>({
    async pull(c) {
      const next = await events.next();
      if (next.done) {
        wakeup[Symbol.dispose]();
        return c.close();
      }
      if (next.value.kind === "data") c.enqueue(next.value.bytes);
    },
  }).getReader();
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

const fmt = (ms: number) => ms.toFixed(ms < 10 ? 2 : 0);

export const section: Section = {
  name: "follow",
  description:
    "?follow: append→arrival latency (ms); watchFs vs 100 ms polling (latency, idle CPU)",
  async run(ctx) {
    const dir = `${ctx.workDir}/follow`;
    await Deno.mkdir(dir, { recursive: true });
    const count = ctx.quick ? 50 : 200;
    const rows = [];

    // Through a real Sluice: a writer appends, a client follows over HTTP.
    await Deno.writeTextFile(`${dir}/app.log`, "");
    const sluice = await ctx.startSluice(["--media-dir", dir]);
    const res = await fetch(`${sluice.origin}/media/app.log?follow`);
    const reader = res.body!.getReader();
    const server = await appendLatencies(`${dir}/app.log`, reader, count, 20);
    await reader.cancel();
    ctx.log(`follow: server median ${fmt(median(server))} ms, max ${fmt(Math.max(...server))} ms`);
    rows.push({
      name: "?follow append→arrival (HTTP, watchFs)",
      unit: "ms",
      higherIsBetter: false,
      values: { sluice: median(server) },
      note: `median of ${count} appends 20 ms apart; p99 ${fmt(percentile(server, 0.99))} ms, max ${
        fmt(Math.max(...server))
      } ms (goal: within 250 ms)`,
    });

    // Memory while a writer appends fast and the client follows: the body is
    // pulled, so the server holds one chunk per follower however much is written.
    const total = (ctx.quick ? 64 : 512) * 1024 * 1024;
    await Deno.writeTextFile(`${dir}/fast.log`, "");
    const rssBefore = (await sluice.peakRssKiB()) ?? 0;
    const fast = await fetch(`${sluice.origin}/media/fast.log?follow`);
    const fastReader = fast.body!.getReader();
    const started = performance.now();
    const writer = (async () => {
      const file = await Deno.open(`${dir}/fast.log`, { append: true });
      const block = new Uint8Array(1024 * 1024).fill(0x61);
      block[block.length - 1] = 0x0a;
      try {
        for (let written = 0; written < total; written += block.byteLength) {
          await file.write(block);
        }
      } finally {
        file.close();
      }
    })();
    let received = 0;
    while (received < total) {
      const { done, value } = await fastReader.read();
      if (done) throw new Error("the follow ended");
      received += value.byteLength;
    }
    const fastSeconds = (performance.now() - started) / 1000;
    await writer;
    await fastReader.cancel();
    const rssAfter = (await sluice.peakRssKiB()) ?? 0;
    await Deno.remove(`${dir}/fast.log`);
    ctx.log(
      `follow: ${total / 1048576} MiB appended and followed at ${
        (total / 1e6 / fastSeconds).toFixed(0)
      } MB/s; peak RSS ${(rssBefore / 1024).toFixed(0)} → ${(rssAfter / 1024).toFixed(0)} MiB`,
    );
    rows.push({
      name: `?follow of ${total / 1048576} MiB appended at once: server peak RSS growth`,
      unit: "MiB",
      higherIsBetter: false,
      values: { sluice: (rssAfter - rssBefore) / 1024 },
      note: `peak RSS ${(rssBefore / 1024).toFixed(0)} → ${
        (rssAfter / 1024).toFixed(0)
      } MiB; followed at ${
        (total / 1e6 / fastSeconds).toFixed(0)
      } MB/s while written in 1 MiB appends`,
    });

    // The two ways to notice an append, in this process, without HTTP.
    const latency: Record<string, number[]> = {};
    const idleCpu: Record<string, number> = {};
    const FOLLOWERS = 100;
    for (const mode of ["watch", "poll"] as const) {
      const wakeups = new FileWakeups({ mode, pollMs: 100 });
      const stop = new AbortController();
      const path = `${dir}/${mode}.log`;
      await Deno.writeTextFile(path, "");
      const one = follow(path, await Deno.open(path), wakeups, stop.signal);
      latency[mode] = await appendLatencies(path, one, ctx.quick ? 20 : 60, 20);
      // Followers of quiet files: what waiting costs.
      const quiet = [];
      for (let i = 0; i < FOLLOWERS; i++) {
        const p = `${dir}/${mode}-quiet-${i}.log`;
        await Deno.writeTextFile(p, "x\n");
        const r = follow(p, await Deno.open(p), wakeups, stop.signal);
        await r.read();
        quiet.push(r.read());
      }
      const seconds = ctx.quick ? 2 : 5;
      const before = cpuUsage();
      await new Promise((r) => setTimeout(r, seconds * 1000));
      const used = cpuUsage(before);
      idleCpu[mode] = (used.user + used.system) / 1000 / seconds;
      stop.abort();
      await Promise.all(quiet);
      await one.cancel().catch(() => {});
      ctx.log(
        `follow: ${mode}: median ${fmt(median(latency[mode]))} ms, ${FOLLOWERS} idle: ${
          fmt(idleCpu[mode])
        } ms CPU/s`,
      );
    }
    rows.push({
      name: "follow wake-up: watchFs vs 100 ms polling",
      unit: "ms",
      higherIsBetter: false,
      values: { watch: median(latency.watch), poll: median(latency.poll) },
      note: `median of ${latency.watch.length} appends, in-process; max watch ${
        fmt(Math.max(...latency.watch))
      } ms, poll ${fmt(Math.max(...latency.poll))} ms`,
    }, {
      name: `${FOLLOWERS} followers of quiet files: CPU`,
      unit: "ms/s",
      higherIsBetter: false,
      values: { watch: idleCpu.watch, poll: idleCpu.poll },
      note: "CPU time of the bench process per second of waiting (watch: 1 s backstop re-check)",
    });
    return rows;
  },
};
