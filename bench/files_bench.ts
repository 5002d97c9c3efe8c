/**
 * The `files` section: a big file's download rate, and requests/s for 1 MiB
 * files and for random 4 KiB ranges of the big file, on each file server.
 *
 * @module
 */

import { download, load } from "./http_client.ts";
import { ensureFixture, warmPageCache } from "./fixtures.ts";
import type { BenchContext, FileServers, Row, Section } from "./section.ts";
import type { ServerProcess } from "./server_process.ts";

const MIB = 1024 * 1024;
const RANGE_BYTES = 4096;
const CONNECTIONS = 16;

/** The median of a non-empty list. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function serverList(servers: FileServers): ServerProcess[] {
  return [servers.sluice, servers.baseline, servers.nginx].filter((s) => s !== undefined);
}

/** Checks each server sends the right bytes before timing it. */
async function checkServers(
  servers: ServerProcess[],
  small: { name: string; bytes: Uint8Array },
  big: { name: string; path: string },
): Promise<void> {
  using file = await Deno.open(big.path);
  const start = 123_457;
  const slice = new Uint8Array(RANGE_BYTES);
  await file.seek(start, Deno.SeekMode.Start);
  for (let at = 0; at < RANGE_BYTES;) at += (await file.read(slice.subarray(at)))!;
  for (const server of servers) {
    const whole = await fetch(`${server.origin}/media/${small.name}`);
    const body = new Uint8Array(await whole.arrayBuffer());
    const part = await fetch(`${server.origin}/media/${big.name}`, {
      headers: { range: `bytes=${start}-${start + RANGE_BYTES - 1}` },
    });
    const partBody = new Uint8Array(await part.arrayBuffer());
    if (whole.status !== 200 || !equalBytes(body, small.bytes)) {
      throw new Error(`${server.label} sent ${whole.status} and the wrong bytes for ${small.name}`);
    }
    if (part.status !== 206 || !equalBytes(partBody, slice)) {
      throw new Error(`${server.label} sent ${part.status} and the wrong bytes for a range`);
    }
  }
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && a.every((byte, i) => byte === b[i]);
}

/** Runs `measure` and returns its result with the server's CPU seconds meanwhile. */
async function withCpu<T>(
  server: ServerProcess,
  measure: () => Promise<T>,
): Promise<[T, number | undefined]> {
  const before = await server.cpuSeconds();
  const result = await measure();
  const after = await server.cpuSeconds();
  return [result, before === undefined || after === undefined ? undefined : after - before];
}

/** The server-CPU row that goes with a rate row: less is better, no goals. */
function cpuRow(name: string, unit: string, values: Record<string, number | undefined>): Row {
  return {
    name: `${name}: server CPU`,
    unit,
    higherIsBetter: false,
    values,
  };
}

/** Per-server samples, taken in interleaved rounds. */
class Samples {
  #byLabel = new Map<string, number[]>();
  add(label: string, value: number | undefined): void {
    if (value === undefined) return;
    this.#byLabel.set(label, [...(this.#byLabel.get(label) ?? []), value]);
  }
  medians(): Record<string, number> {
    return Object.fromEntries([...this.#byLabel].map(([label, s]) => [label, median(s)]));
  }
  /** Such as `sluice 2106/2358/2263, baseline 1836/1398/1589`. */
  describe(): string {
    return [...this.#byLabel].map(([label, s]) => `${label} ${s.map(Math.round).join("/")}`)
      .join(", ");
  }
}

/**
 * Runs `measure` on every server, `ctx.rounds` times, interleaved: each round
 * starts with the next server, so a burst of other work on the machine or a
 * slow drift hits every server alike.
 */
async function interleave(
  ctx: BenchContext,
  servers: ServerProcess[],
  measure: (server: ServerProcess, round: number) => Promise<void>,
): Promise<void> {
  for (let round = 0; round < ctx.rounds; round++) {
    for (let i = 0; i < servers.length; i++) {
      await measure(servers[(i + round) % servers.length], round);
    }
  }
}

async function downloadRows(
  ctx: BenchContext,
  servers: ServerProcess[],
  name: string,
  size: number,
): Promise<Row[]> {
  const rates = new Samples(), cpu = new Samples();
  await interleave(ctx, servers, async (server, round) => {
    const url = `${server.origin}/media/${name}`;
    const [{ bytesPerSecond }, seconds] = await withCpu(
      server,
      () => download(url, size, ctx.tools),
    );
    rates.add(server.label, bytesPerSecond / 1e6);
    cpu.add(server.label, seconds === undefined ? undefined : seconds * 1000 / (size / 2 ** 30));
    ctx.log(`  round ${round + 1} ${server.label}: ${Math.round(bytesPerSecond / 1e6)} MB/s`);
  });
  const title = `GET ${size / MIB} MiB file`;
  return [{
    name: title,
    unit: "MB/s",
    higherIsBetter: true,
    values: rates.medians(),
    goals: [{ against: "baseline", atLeast: 1.0 }, { against: "nginx", atLeast: 0.8 }],
    note: `median of ${ctx.rounds}, one download each with ${
      ctx.tools.curl ? "curl" : "fetch"
    }: ${rates.describe()}`,
  }, cpuRow(title, "ms/GiB", cpu.medians())];
}

/** One load section: its row title, the path loaded, and the body each response carries. */
interface LoadCase {
  title: string;
  path: string;
  bodyBytes: number;
  /** The file size a random range is taken in, for a range load. */
  rangeIn?: number;
}

async function loadRows(
  ctx: BenchContext,
  servers: ServerProcess[],
  { title, path, bodyBytes, rangeIn }: LoadCase,
): Promise<Row[]> {
  const rates = new Samples(), cpu = new Samples();
  const options = { connections: CONNECTIONS, bodyBytes, rangeIn, tools: ctx.tools };
  await interleave(ctx, servers, async (server, round) => {
    const url = `${server.origin}${path}`;
    if (round === 0) await load(url, { ...options, seconds: 1 }); // Warm-up, not counted.
    const [{ requestsPerSecond, requests }, seconds] = await withCpu(
      server,
      () => load(url, { ...options, seconds: ctx.seconds }),
    );
    rates.add(server.label, requestsPerSecond);
    cpu.add(server.label, seconds === undefined ? undefined : seconds * 1e6 / requests);
    ctx.log(`  round ${round + 1} ${server.label}: ${Math.round(requestsPerSecond)} req/s`);
  });
  return [{
    name: title,
    unit: "req/s",
    higherIsBetter: true,
    values: rates.medians(),
    goals: [{ against: "baseline", atLeast: 0.8 }],
    note: `median of ${ctx.rounds} runs of ${ctx.seconds} s after a 1 s warm-up, ${CONNECTIONS} ${
      ctx.tools.wrk ? "connections with wrk -t2" : "fetch loops"
    }: ${rates.describe()}`,
  }, cpuRow(title, "us/req", cpu.medians())];
}

/** Download rates and requests/s for files and ranges. */
export const section: Section = {
  name: "files",
  description: "1 GiB download (MB/s); req/s for 1 MiB files and random 4 KiB ranges",
  async run(ctx) {
    const bigSize = (ctx.quick ? 256 : 1024) * MIB;
    const bigName = `big-${bigSize / MIB}mib.bin`;
    const big = { name: bigName, path: `${ctx.workDir}/${bigName}` };
    const smallPath = `${ctx.workDir}/one-mib.bin`;
    ctx.log(`files: preparing ${big.path} and ${smallPath}`);
    await ensureFixture(big.path, bigSize);
    await ensureFixture(smallPath, MIB);
    await warmPageCache(big.path);
    const small = { name: "one-mib.bin", bytes: await Deno.readFile(smallPath) };

    const servers = serverList(await ctx.fileServers());
    await checkServers(servers, small, big);
    ctx.log(`files: GET ${big.name}, ${ctx.rounds} round(s)`);
    const rows = await downloadRows(ctx, servers, big.name, bigSize);
    ctx.log(`files: GET ${small.name}, ${CONNECTIONS} connections`);
    rows.push(
      ...await loadRows(ctx, servers, {
        title: "GET 1 MiB file",
        path: `/media/${small.name}`,
        bodyBytes: MIB,
      }),
    );
    ctx.log(`files: random 4 KiB ranges of ${big.name}`);
    const range = `/media/${big.name}`;
    rows.push(
      ...await loadRows(ctx, servers, {
        title: "GET 4 KiB range",
        path: range,
        bodyBytes: RANGE_BYTES,
        rangeIn: bigSize,
      }),
    );
    return rows;
  },
};
