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

async function downloadRow(
  ctx: BenchContext,
  servers: ServerProcess[],
  name: string,
  size: number,
): Promise<Row> {
  const samples = new Map<string, number[]>(servers.map((s) => [s.label, []]));
  for (let round = 0; round < ctx.rounds; round++) {
    // Interleaved, and each round starts with the next server, so drift hits all alike.
    for (let i = 0; i < servers.length; i++) {
      const server = servers[(i + round) % servers.length];
      const { bytesPerSecond } = await download(`${server.origin}/media/${name}`, size, ctx.tools);
      samples.get(server.label)!.push(bytesPerSecond / 1e6);
      ctx.log(`  round ${round + 1} ${server.label}: ${Math.round(bytesPerSecond / 1e6)} MB/s`);
    }
  }
  const values = Object.fromEntries([...samples].map(([label, s]) => [label, median(s)]));
  const spread = [...samples].map(([label, s]) => `${label} ${s.map(Math.round).join("/")}`);
  return {
    name: `GET ${size / MIB} MiB file`,
    unit: "MB/s",
    higherIsBetter: true,
    values,
    goals: [{ against: "baseline", atLeast: 1.0 }, { against: "nginx", atLeast: 0.8 }],
    note: `median of ${ctx.rounds} with ${ctx.tools.curl ? "curl" : "fetch"}: ${spread.join(", ")}`,
  };
}

async function loadRow(
  ctx: BenchContext,
  servers: ServerProcess[],
  title: string,
  path: string,
  bodyBytes: number,
  rangeIn?: number,
): Promise<Row> {
  const values: Record<string, number> = {};
  const options = { connections: CONNECTIONS, bodyBytes, rangeIn, tools: ctx.tools };
  for (const server of servers) {
    const url = `${server.origin}${path}`;
    await load(url, { ...options, seconds: 1 }); // Warm-up, not counted.
    const { requestsPerSecond } = await load(url, { ...options, seconds: ctx.seconds });
    values[server.label] = requestsPerSecond;
    ctx.log(`  ${server.label}: ${Math.round(requestsPerSecond)} req/s`);
  }
  return {
    name: title,
    unit: "req/s",
    higherIsBetter: true,
    values,
    goals: [{ against: "baseline", atLeast: 0.8 }],
    note: `${CONNECTIONS} connections, ${ctx.seconds} s each after a warm-up, with ${
      ctx.tools.wrk ? "wrk -t2" : "fetch loops"
    }`,
  };
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
    const rows = [await downloadRow(ctx, servers, big.name, bigSize)];
    ctx.log(`files: GET ${small.name}, ${CONNECTIONS} connections`);
    rows.push(await loadRow(ctx, servers, "GET 1 MiB file", `/media/${small.name}`, MIB));
    ctx.log(`files: random 4 KiB ranges of ${big.name}`);
    rows.push(
      await loadRow(ctx, servers, "GET 4 KiB range", `/media/${big.name}`, RANGE_BYTES, bigSize),
    );
    return rows;
  },
};
