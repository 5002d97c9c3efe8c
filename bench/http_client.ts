/**
 * The bench's HTTP clients: one download's rate (curl, else fetch) and
 * requests/s under concurrent load (wrk, else concurrent fetch loops). Each
 * checks the bytes it got, so a server that answers fast but wrong scores nothing.
 *
 * @module
 */

import { runProgram, type Tools } from "./tools.ts";

/** What one download measured. */
export interface DownloadResult {
  /** Bytes of body per second. */
  bytesPerSecond: number;
  /** Body bytes received. */
  bytes: number;
}

/**
 * Downloads `url` once and measures its rate.
 *
 * @param url What to get; it must answer 200 with `expectedBytes` of body.
 * @param expectedBytes The body's size.
 * @param tools curl when present.
 * @returns The rate and size.
 * @throws {Error} On another status or size.
 */
export async function download(
  url: string,
  expectedBytes: number,
  tools: Tools,
): Promise<DownloadResult> {
  let status: number, bytes: number, bytesPerSecond: number;
  if (tools.curl !== undefined) {
    const format = "%{http_code} %{size_download} %{speed_download}";
    const out = await runProgram(tools.curl, ["-s", "-o", "/dev/null", "-w", format, url]);
    if (out.code !== 0) throw new Error(`curl ${url} failed (${out.code}): ${out.stderr}`);
    [status, bytes, bytesPerSecond] = out.stdout.trim().split(" ").map(Number);
  } else {
    const started = performance.now();
    const res = await fetch(url);
    status = res.status;
    bytes = 0;
    for await (const chunk of res.body!) bytes += chunk.byteLength;
    bytesPerSecond = bytes / ((performance.now() - started) / 1000);
  }
  if (status !== 200 || bytes !== expectedBytes) {
    throw new Error(
      `${url} sent ${status} with ${bytes} bytes; expected 200 with ${expectedBytes}`,
    );
  }
  return { bytesPerSecond, bytes };
}

/** Options for {@linkcode load}. */
export interface LoadOptions {
  /** How long to keep the connections busy, in whole seconds (as wrk takes it). */
  seconds: number;
  /** Concurrent connections. */
  connections: number;
  /** Each response's body size; fewer bytes per response fails the run. */
  bodyBytes: number;
  /** Ask for a random `Range` of `bodyBytes` within a file this big, for each request. */
  rangeIn?: number;
  /** wrk when present. */
  tools: Tools;
}

/** What a load run measured. */
export interface LoadResult {
  requestsPerSecond: number;
  requests: number;
}

/**
 * Sends requests to `url` on `connections` keep-alive connections for
 * `seconds`, and counts the answered ones.
 *
 * @param url What to get.
 * @param options Duration, concurrency, ranges and the expected body size.
 * @returns Requests per second.
 * @throws {Error} On any error status, socket error or short body.
 */
export async function load(url: string, options: LoadOptions): Promise<LoadResult> {
  return options.tools.wrk === undefined
    ? await loadWithFetch(url, options)
    : await loadWithWrk(options.tools.wrk, url, options);
}

/** A wrk script that sends a random `Range` of `length` bytes within `size`. */
export function randomRangeScript(size: number, length: number): string {
  return `-- Written by bench/http_client.ts: a random ${length}-byte Range per request.
local size, length = ${size}, ${length}
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("seed", threads)
end
function init(args)
  math.randomseed(os.time() * 100 + seed)
end
function request()
  local start = math.random(0, size - length)
  return wrk.format(nil, nil, { ["Range"] = "bytes=" .. start .. "-" .. (start + length - 1) })
end
`;
}

const UNITS: Record<string, number> = { "": 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };

async function loadWithWrk(wrk: string, url: string, options: LoadOptions): Promise<LoadResult> {
  const args = ["-t2", `-c${options.connections}`, `-d${options.seconds}s`, "--timeout", "10s"];
  let script: string | undefined;
  if (options.rangeIn !== undefined) {
    script = await Deno.makeTempFile({ prefix: "sluice-bench-", suffix: ".lua" });
    await Deno.writeTextFile(script, randomRangeScript(options.rangeIn, options.bodyBytes));
    args.push("-s", script);
  }
  let out;
  try {
    out = await runProgram(wrk, [...args, url], (options.seconds + 30) * 1000);
  } finally {
    if (script !== undefined) await Deno.remove(script);
  }
  const text = out.stdout;
  const rate = /^Requests\/sec:\s+([\d.]+)/m.exec(text);
  const totals = /(\d+) requests in [\d.]+\w+, ([\d.]+)([KMGT]?)B read/.exec(text);
  if (out.code !== 0 || rate === null || totals === null) {
    throw new Error(`wrk ${url} failed (${out.code}):\n${text}${out.stderr}`);
  }
  const problems = [/Non-2xx or 3xx responses: \d+/, /Socket errors: [^\n]+/]
    .map((re) => re.exec(text)?.[0])
    .filter((p) =>
      p !== undefined && !/^Socket errors: connect 0, read 0, write 0, timeout 0/.test(p)
    );
  const requests = Number(totals[1]);
  const bytes = Number(totals[2]) * UNITS[totals[3]];
  // wrk's total is rounded to two decimals of its unit: allow that much.
  if (requests === 0 || bytes < requests * options.bodyBytes * 0.99) {
    problems.push(`${bytes} bytes read for ${requests} responses of ${options.bodyBytes} bytes`);
  }
  if (problems.length > 0) throw new Error(`wrk ${url}: ${problems.join("; ")}\n${text}`);
  return { requestsPerSecond: Number(rate[1]), requests };
}

async function loadWithFetch(url: string, options: LoadOptions): Promise<LoadResult> {
  const { seconds, connections, bodyBytes, rangeIn } = options;
  const expectedStatus = rangeIn === undefined ? 200 : 206;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  let requests = 0;
  const loop = async () => {
    while (performance.now() < deadline) {
      const headers = new Headers();
      if (rangeIn !== undefined) {
        const start = Math.floor(Math.random() * (rangeIn - bodyBytes + 1));
        headers.set("range", `bytes=${start}-${start + bodyBytes - 1}`);
      }
      const res = await fetch(url, { headers });
      const size = (await res.arrayBuffer()).byteLength;
      if (res.status !== expectedStatus || size !== bodyBytes) {
        throw new Error(`${url} sent ${res.status} with ${size} bytes; expected ${bodyBytes}`);
      }
      requests++;
    }
  };
  await Promise.all(Array.from({ length: connections }, loop));
  return { requestsPerSecond: requests / ((performance.now() - started) / 1000), requests };
}
