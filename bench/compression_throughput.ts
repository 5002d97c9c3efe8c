/**
 * Throughput and size of response compression (lib/compression.ts) on a
 * generated text body, in process and through a loopback socket.
 *
 * Run: `deno run --allow-net=127.0.0.1 bench/compression_throughput.ts [--mib 100] [--rounds 3]
 * [--corpus log|ndjson]`; `log` is access-log lines with random hex ids, `ndjson` is rows
 * like /export/items.ndjson.
 *
 * - "batched": the body goes through `compressResponse`, which flushes per
 *   64 KiB batch (CoalesceStream + CompressionStream).
 * - "per write": `CompressionStream` fed one ~100-byte line at a time, which
 *   is what compressing a line-by-line stream without batching costs.
 * - "socket": Deno.serve + `compressResponse`, read raw (still coded) by a
 *   client on 127.0.0.1 in the same process.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { type Coding, compressResponse } from "../lib/http/compression.ts";

const MiB = 1024 * 1024;
const { values } = parseArgs({
  args: Deno.args,
  options: {
    mib: { type: "string", default: "100" },
    rounds: { type: "string", default: "3" },
    corpus: { type: "string", default: "log" },
  },
});
const totalMiB = Number(values.mib);
const rounds = Number(values.rounds);

/** Log-like lines (timestamps, levels, hex ids, paths, numbers) or NDJSON rows, deterministic. */
function makeLines(bytes: number, corpus: string): Uint8Array[] {
  const encoder = new TextEncoder();
  const levels = ["INFO ", "WARN ", "ERROR", "DEBUG"];
  const paths = ["/media/sample.mp4", "/export/items.csv", "/stream-data?rows=100", "/healthz"];
  // mulberry32: an LCG's patterns let brotli's 4 MiB window find repeats real logs lack.
  let seed = 1;
  const rnd = () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const lines: Uint8Array[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const time = new Date(Date.UTC(2026, 10, 24) + i * 1007).toISOString();
    const line = corpus === "ndjson"
      ? encoder.encode(
        JSON.stringify({
          id: i,
          name: `item ${i}`,
          category: paths[Math.floor(rnd() * 4)],
          price: Math.floor(rnd() * 100000) / 100,
          created: time,
          in_stock: rnd() < 0.5,
        }) + "\n",
      )
      : encoder.encode(
        `${time} ${levels[i % 4]} req=${
          Math.floor(rnd() * 0xffffffff).toString(16).padStart(8, "0")
        } GET ${paths[Math.floor(rnd() * 4)]} status=${
          [200, 206, 304, 404][Math.floor(rnd() * 4)]
        } ` +
          `bytes=${Math.floor(rnd() * 1e6)} ms=${Math.floor(rnd() * 900)}\n`,
      );
    lines.push(line);
    size += line.byteLength;
  }
  return lines;
}

/** Joins lines into chunks of `size` bytes, as a file or a batching producer would send. */
function chunk(lines: Uint8Array[], size: number): Uint8Array<ArrayBuffer>[] {
  const total = lines.reduce((n, l) => n + l.byteLength, 0);
  const all = new Uint8Array(total);
  let offset = 0;
  for (const l of lines) {
    all.set(l, offset);
    offset += l.byteLength;
  }
  const out: Uint8Array<ArrayBuffer>[] = [];
  for (let i = 0; i < total; i += size) out.push(all.slice(i, i + size));
  return out;
}

async function countBytes(body: ReadableStream<Uint8Array>): Promise<number> {
  let n = 0;
  for await (const c of body) n += c.byteLength;
  return n;
}

const request = (coding: string) =>
  new Request("http://x/", { headers: { "accept-encoding": coding } });
const textResponse = (chunks: Uint8Array<ArrayBuffer>[]) =>
  new Response(ReadableStream.from(chunks), { headers: { "content-type": "text/plain" } });

async function batched(chunks: Uint8Array<ArrayBuffer>[], coding: Coding | "identity") {
  const started = performance.now();
  const res = await compressResponse(request(coding), textResponse(chunks), {
    encodings: ["gzip", "deflate", "br"],
  });
  const out = await countBytes(res.body!);
  return { seconds: (performance.now() - started) / 1000, out };
}

async function perWrite(lines: Uint8Array[], format: CompressionFormat) {
  const started = performance.now();
  const body = ReadableStream.from(lines as Uint8Array<ArrayBuffer>[])
    .pipeThrough(new CompressionStream(format));
  const out = await countBytes(body);
  return { seconds: (performance.now() - started) / 1000, out };
}

async function overSocket(chunks: Uint8Array<ArrayBuffer>[], coding: Coding | "identity") {
  await using server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (req) => compressResponse(req, textResponse(chunks), { encodings: ["gzip", "deflate", "br"] }),
  );
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.addr.port });
  const started = performance.now();
  await conn.write(new TextEncoder().encode(
    `GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAccept-Encoding: ${coding}\r\n\r\n`,
  ));
  const buf = new Uint8Array(256 * 1024);
  let out = 0;
  for (let n = await conn.read(buf); n !== null; n = await conn.read(buf)) out += n;
  conn.close();
  return { seconds: (performance.now() - started) / 1000, out };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function measure(
  label: string,
  inputBytes: number,
  run: () => Promise<{ seconds: number; out: number }>,
) {
  const samples: number[] = [];
  let out = 0;
  for (let i = 0; i < rounds; i++) {
    const r = await run();
    samples.push(inputBytes / MiB / r.seconds);
    out = r.out;
  }
  console.log(
    `${label.padEnd(30)} ${median(samples).toFixed(1).padStart(7)} MiB/s  out ${
      (out / MiB).toFixed(2).padStart(7)
    } MiB (${(out / inputBytes * 100).toFixed(1)}%)  samples ${
      samples.map((s) => s.toFixed(0)).join("/")
    }`,
  );
}

const lines = makeLines(totalMiB * MiB, values.corpus);
const chunks = chunk(lines, 64 * 1024);
const input = chunks.reduce((n, c) => n + c.byteLength, 0);
console.log(
  `${
    (input / MiB).toFixed(0)
  } MiB of ${values.corpus} lines, 64 KiB chunks, ${rounds} rounds, median`,
);
for (const coding of ["identity", "gzip", "deflate", "br"] as const) {
  await measure(`batched ${coding}`, input, () => batched(chunks, coding));
}
for (const coding of ["identity", "gzip", "deflate", "br"] as const) {
  await measure(`socket ${coding}`, input, () => overSocket(chunks, coding));
}
// Unbatched writes are slow: a tenth of the data shows the cost.
const someLines = lines.slice(0, Math.ceil(lines.length / 10));
const someInput = someLines.reduce((n, l) => n + l.byteLength, 0);
await measure("per write gzip (1/10 of data)", someInput, () => perWrite(someLines, "gzip"));
await measure(
  "batched gzip (same 1/10)",
  someInput,
  () => batched(chunk(someLines, 64 * 1024), "gzip"),
);
