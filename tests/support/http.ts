/**
 * Helpers for tests that need more than `fetch`: raw HTTP/1.1 requests (for
 * request-targets `fetch` would normalize), a strict `multipart/byteranges`
 * parser, and process-level probes (open fds, bytes read).
 *
 * @module
 */

/** A response read off a raw socket. */
export interface RawResponse {
  status: number;
  headers: Headers;
  body: Uint8Array;
  /** The body as UTF-8 text. */
  text: string;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.byteLength;
  }
  return out;
}

function indexOfBytes(haystack: Uint8Array, needle: Uint8Array, from = 0): number {
  outer: for (let i = from; i <= haystack.byteLength - needle.byteLength; i++) {
    for (let j = 0; j < needle.byteLength; j++) {
      if (haystack[i + j] !== needle[j]) continue outer;
    }
    return i;
  }
  return -1;
}

/** Decodes a `Transfer-Encoding: chunked` body, failing on bad framing. */
function decodeChunked(data: Uint8Array): Uint8Array {
  const parts: Uint8Array[] = [];
  let offset = 0;
  for (let guard = 0; guard < 1_000_000; guard++) {
    const lineEnd = indexOfBytes(data, encoder.encode("\r\n"), offset);
    if (lineEnd === -1) throw new Error("chunked body: missing chunk-size line");
    const size = parseInt(decoder.decode(data.subarray(offset, lineEnd)), 16);
    if (Number.isNaN(size)) throw new Error("chunked body: bad chunk size");
    offset = lineEnd + 2;
    if (size === 0) return concat(parts);
    parts.push(data.subarray(offset, offset + size));
    offset += size + 2;
  }
  throw new Error("chunked body: too many chunks");
}

/**
 * Sends one HTTP/1.1 request with the request-target exactly as given (no
 * normalization of `..`, `\` or `%2e`) and reads the whole response.
 *
 * @param origin `http://127.0.0.1:PORT`.
 * @param target The request-target, sent verbatim.
 * @param method The method. @default "GET"
 * @returns The parsed response.
 */
export async function rawRequest(
  origin: string,
  target: string,
  method = "GET",
): Promise<RawResponse> {
  const { hostname, port } = new URL(origin);
  const conn = await Deno.connect({ hostname, port: Number(port) });
  const chunks: Uint8Array[] = [];
  try {
    await conn.write(
      encoder.encode(
        `${method} ${target} HTTP/1.1\r\nHost: ${hostname}\r\nConnection: close\r\n\r\n`,
      ),
    );
    const buf = new Uint8Array(64 * 1024);
    for (let i = 0; i < 10_000; i++) {
      const n = await conn.read(buf);
      if (n === null) break;
      chunks.push(buf.slice(0, n));
    }
  } finally {
    conn.close();
  }
  const data = concat(chunks);
  const headEnd = indexOfBytes(data, encoder.encode("\r\n\r\n"));
  if (headEnd === -1) {
    throw new Error(`No response head in ${JSON.stringify(decoder.decode(data))}`);
  }
  const [statusLine, ...lines] = decoder.decode(data.subarray(0, headEnd)).split("\r\n");
  const status = Number(statusLine.split(" ")[1]);
  const headers = new Headers();
  for (const line of lines) {
    const colon = line.indexOf(":");
    headers.append(line.slice(0, colon), line.slice(colon + 1).trim());
  }
  const rest = data.subarray(headEnd + 4);
  const body = method === "HEAD"
    ? new Uint8Array(0)
    : headers.get("transfer-encoding") === "chunked"
    ? decodeChunked(rest)
    : rest;
  return { status, headers, body, text: decoder.decode(body) };
}

/** One part of a `multipart/byteranges` body. */
export interface BytePart {
  /** The part's header fields, names lower-cased. */
  headers: Record<string, string>;
  body: Uint8Array;
}

/**
 * Parses a `multipart/byteranges` body strictly (RFC 9110 §14.6, RFC 2046
 * §5.1.1): CRLF everywhere, no preamble, a closing delimiter followed by CRLF,
 * and no epilogue. Any deviation throws.
 *
 * @param body The whole body.
 * @param contentType The response's Content-Type, with its boundary.
 * @returns The parts in order.
 */
export function parseByteranges(body: Uint8Array, contentType: string): BytePart[] {
  const match = /^multipart\/byteranges; boundary=([0-9A-Za-z'()+_,.\/:=?-]{1,70})$/.exec(
    contentType,
  );
  if (match === null) throw new Error(`Not a multipart/byteranges type: ${contentType}`);
  const delimiter = encoder.encode(`--${match[1]}`);
  const crlf = encoder.encode("\r\n");
  const parts: BytePart[] = [];
  if (indexOfBytes(body, delimiter) !== 0) throw new Error("The body must open with --boundary");
  let offset = delimiter.byteLength;
  for (let guard = 0; guard < 10_000; guard++) {
    const after = decoder.decode(body.subarray(offset, offset + 2));
    if (after === "--") {
      if (offset + 4 !== body.byteLength || decoder.decode(body.subarray(offset + 2)) !== "\r\n") {
        throw new Error("The closing delimiter must be followed by CRLF and nothing else");
      }
      return parts;
    }
    if (after !== "\r\n") throw new Error(`Expected CRLF after a delimiter at ${offset}`);
    offset += 2;
    const headEnd = indexOfBytes(body, encoder.encode("\r\n\r\n"), offset);
    if (headEnd === -1) throw new Error("A part has no blank line after its headers");
    const headers: Record<string, string> = {};
    for (const line of decoder.decode(body.subarray(offset, headEnd)).split("\r\n")) {
      const colon = line.indexOf(":");
      if (colon <= 0) throw new Error(`Bad part header line ${JSON.stringify(line)}`);
      headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
    }
    const dataStart = headEnd + 4;
    const range = /^bytes (\d+)-(\d+)\/\d+$/.exec(headers["content-range"] ?? "");
    if (range === null) throw new Error(`Part without a byte Content-Range: ${headers}`);
    // Read the part by its declared length, so data that happens to contain
    // the boundary cannot confuse the parser; then demand CRLF + delimiter.
    const dataEnd = dataStart + Number(range[2]) - Number(range[1]) + 1;
    parts.push({ headers, body: body.slice(dataStart, dataEnd) });
    if (indexOfBytes(body, crlf, dataEnd) !== dataEnd) {
      throw new Error("Part data must be followed by CRLF");
    }
    if (indexOfBytes(body, delimiter, dataEnd + 2) !== dataEnd + 2) {
      throw new Error("CRLF after part data must be followed by the delimiter");
    }
    offset = dataEnd + 2 + delimiter.byteLength;
  }
  throw new Error("Too many parts");
}

/**
 * Runs a command and returns its stdout. Reading `/proc/self/*` from Deno
 * needs --allow-all, so the probes below ask `ls`/`cat` (--allow-run) to look
 * at this process instead.
 */
/**
 * Runs a program and returns its output. `okCodes` are the exit codes that
 * still mean "the output stands" (find exits 1 when an fd closed while it
 * looked, which is normal for a busy process).
 */
async function probe(cmd: string, args: string[], okCodes = [0]): Promise<string> {
  const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  if (!okCodes.includes(out.code)) {
    const stderr = new TextDecoder().decode(out.stderr);
    throw new Error(`${cmd} ${args.join(" ")} failed (${out.code}): ${stderr}`);
  }
  return new TextDecoder().decode(out.stdout);
}

/**
 * What this process's file descriptors point at (Linux `/proc/PID/fd` link
 * targets: file paths, `socket:[N]`, `pipe:[N]`...).
 */
export async function openFdTargets(): Promise<string[]> {
  const listing = await probe("find", [
    `/proc/${Deno.pid}/fd`,
    "-mindepth",
    "1",
    "-printf",
    "%l\\n",
  ], [0, 1]);
  return listing.split("\n").filter((line) => line !== "");
}

/** Bytes this process has read through read(2)-like calls so far (Linux `rchar`). */
export async function bytesReadByProcess(): Promise<number> {
  const match = /^rchar: (\d+)$/m.exec(await probe("cat", [`/proc/${Deno.pid}/io`]));
  if (match === null) throw new Error("/proc/PID/io has no rchar");
  return Number(match[1]);
}

/**
 * Polls `check` every 10 ms until it returns true or `ms` pass. The default
 * is generous: it returns as soon as `check` holds, and a loaded shared
 * machine must not turn a slow poll into a failure.
 *
 * @returns Whether it became true in time.
 */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  ms = 10_000,
): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 10));
  }
  return true;
}

/** The response's header names, sorted, without the ones that vary per response. */
export function stableHeaders(res: { headers: Headers }): [string, string][] {
  return [...res.headers].filter(([name]) => name !== "date" && name !== "x-request-id").sort();
}

/**
 * How many of this process's fds are open on files below `dir` (deleted ones
 * included). An fd that closes while `find` lists them makes it complain and
 * exit 1; what it printed is still right for the rest.
 */
export async function openFdsBelow(dir: string): Promise<number> {
  const out = await new Deno.Command("find", {
    args: [`/proc/${Deno.pid}/fd`, "-mindepth", "1", "-printf", "%l\\n"],
    stdout: "piped",
    stderr: "null",
  }).output();
  return new TextDecoder().decode(out.stdout).split("\n")
    .filter((target) => target.startsWith(dir + "/")).length;
}
