/**
 * The `small` section (issue 10): per-request cost. Random 1 MiB files out of
 * 64, and random 4 KiB ranges of a 100 MiB file, on 16 keep-alive connections
 * with `wrk -t1`, for Sluice (defaults, access log on), the minimal server and
 * nginx; requests/s and the server's CPU microseconds per request
 * (utime+stime from /proc over the run ÷ requests), which the client sharing
 * the cores distorts far less than requests/s.
 *
 * @module
 */

import { ensureFixture, warmPageCache } from "./fixtures.ts";
import { median } from "./files_bench.ts";
import type { BenchContext, Row, Section } from "./section.ts";
import type { ServerProcess } from "./server_process.ts";
import { runProgram } from "./tools.ts";

const MIB = 1024 * 1024;
const FILES = 64;
const RANGE = 4096;
const BIG = 100 * MIB;

/** A wrk script: a random path of `paths`, or a random `length`-byte range within `size`. */
function script(paths: string[], range?: { size: number; length: number }): string {
  const list = paths.map((p) => `"${p}"`).join(", ");
  const header = range === undefined
    ? "nil"
    : `{ ["Range"] = "bytes=" .. s .. "-" .. (s + ${range.length - 1}) }`;
  return `-- Written by bench/small_bench.ts.
local paths = { ${list} }
function init(args) math.randomseed(os.time()) end
function request()
  local s = ${range === undefined ? 0 : `math.random(0, ${range.size - range.length})`}
  return wrk.format(nil, paths[math.random(1, #paths)], ${header})
end
`;
}

async function wrkRun(
  wrk: string,
  server: ServerProcess,
  lua: string,
  seconds: number,
  bodyBytes: number,
): Promise<{ rps: number; cpuUs: number | undefined }> {
  const args = ["-t1", "-c16", `-d${seconds}s`, "--timeout", "10s", "-s", lua, server.origin];
  const before = await server.cpuSeconds();
  const out = await runProgram(wrk, args, (seconds + 30) * 1000);
  const after = await server.cpuSeconds();
  const rate = /^Requests\/sec:\s+([\d.]+)/m.exec(out.stdout);
  const total = /(\d+) requests in/.exec(out.stdout);
  const bad = /Non-2xx or 3xx responses: \d+|Socket errors: [^\n]+/.exec(out.stdout);
  const read = /requests in [\d.]+\w+, ([\d.]+)([KMG]?)B read/.exec(out.stdout);
  const unit = { "": 1, K: 1024, M: MIB, G: 1024 * MIB }[read?.[2] ?? ""] ?? 1;
  const requests = Number(total?.[1] ?? 0);
  if (out.code !== 0 || rate === null || bad !== null || requests === 0) {
    throw new Error(`wrk on ${server.label} failed:\n${out.stdout}${out.stderr}`);
  }
  if (Number(read?.[1] ?? 0) * unit < requests * bodyBytes * 0.99) {
    throw new Error(`${server.label} sent short bodies:\n${out.stdout}`);
  }
  const cpu = before === undefined || after === undefined ? undefined : after - before;
  return { rps: Number(rate[1]), cpuUs: cpu === undefined ? undefined : cpu * 1e6 / requests };
}

async function rows(
  ctx: BenchContext,
  servers: ServerProcess[],
  title: string,
  lua: string,
  bodyBytes: number,
): Promise<Row[]> {
  const rps = new Map<string, number[]>(), cpu = new Map<string, number[]>();
  const add = (m: Map<string, number[]>, k: string, v: number) => m.set(k, [...m.get(k) ?? [], v]);
  for (let round = 0; round < ctx.rounds; round++) {
    for (let i = 0; i < servers.length; i++) {
      const server = servers[(i + round) % servers.length];
      if (round === 0) await wrkRun(ctx.tools.wrk!, server, lua, 1, bodyBytes); // Warm-up.
      const r = await wrkRun(ctx.tools.wrk!, server, lua, ctx.seconds, bodyBytes);
      add(rps, server.label, r.rps);
      if (r.cpuUs !== undefined) add(cpu, server.label, r.cpuUs);
      ctx.log(
        `  round ${round + 1} ${server.label}: ${Math.round(r.rps)} req/s, ${
          Math.round(r.cpuUs ?? NaN)
        } us/req`,
      );
    }
  }
  const medians = (m: Map<string, number[]>) =>
    Object.fromEntries([...m].map(([k, v]) => [k, median(v)]));
  const samples = [...rps].map(([k, v]) => `${k} ${v.map(Math.round).join("/")}`).join(", ");
  return [{
    name: title,
    unit: "req/s",
    higherIsBetter: true,
    values: medians(rps),
    goals: [{ against: "baseline", atLeast: 1.0 }],
    note: `median of ${ctx.rounds} runs of ${ctx.seconds} s, wrk -t1 -c16: ${samples}`,
  }, {
    name: `${title}: server CPU`,
    unit: "us/req",
    higherIsBetter: false,
    values: medians(cpu),
    goals: [{ against: "baseline", atLeast: 1.0 }],
  }];
}

/** Requests/s and CPU per request for many small requests. */
export const section: Section = {
  name: "small",
  description: "per-request cost: random 1 MiB files of 64, random 4 KiB ranges (req/s, CPU us)",
  async run(ctx) {
    if (ctx.tools.wrk === undefined) throw new Error("the small section needs wrk");
    // Beside the files section's fixtures: the baseline serves no subfolders.
    const names = Array.from({ length: FILES }, (_, i) => `small-${i}.bin`);
    for (const name of names) await ensureFixture(`${ctx.workDir}/${name}`, MIB);
    await ensureFixture(`${ctx.workDir}/small-big.bin`, BIG);
    await warmPageCache(`${ctx.workDir}/small-big.bin`);
    for (const name of names) await warmPageCache(`${ctx.workDir}/${name}`);
    const started = await ctx.fileServers();
    const servers = [started.sluice, started.baseline, started.nginx]
      .filter((s) => s !== undefined);
    const files = await Deno.makeTempFile({ suffix: ".lua" });
    const ranges = await Deno.makeTempFile({ suffix: ".lua" });
    ctx.defer(() => Deno.remove(files).catch(() => {}));
    ctx.defer(() => Deno.remove(ranges).catch(() => {}));
    await Deno.writeTextFile(files, script(names.map((n) => `/media/${n}`)));
    await Deno.writeTextFile(
      ranges,
      script(["/media/small-big.bin"], { size: BIG, length: RANGE }),
    );
    ctx.log(`small: random 1 MiB files of ${FILES}`);
    const out = await rows(ctx, servers, "random 1 MiB files (of 64)", files, MIB);
    ctx.log("small: random 4 KiB ranges of 100 MiB");
    out.push(...await rows(ctx, servers, "random 4 KiB ranges (100 MiB)", ranges, RANGE));
    return out;
  },
};
