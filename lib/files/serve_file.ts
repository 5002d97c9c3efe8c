/**
 * Answers a GET or HEAD for one file: validators, conditional requests,
 * single and multiple ranges, and a body read on demand.
 *
 * @module
 */

import { type CompressionOptions, decideCompression, variantEtag } from "../http/compression.ts";
import { evaluatePreconditions, isRangeFresh, type Validators } from "../http/conditional.ts";
import { contentDisposition } from "../http/content_disposition.ts";
import { contentTypeFor } from "../http/content_type.ts";
import { fileEtag } from "../http/etag.ts";
import { assertUnchanged } from "./file_identity.ts";
import { fileRangeStream } from "./file_stream.ts";
import { HttpError, problemResponse } from "../http/http_error.ts";
import { multipartByteranges } from "./multipart_byteranges.ts";
import { parseRange } from "../http/range.ts";
import { markInMemory } from "../http/in_memory.ts";
import { readSpanSync, SMALL_SPAN } from "./read_span_sync.ts";

/** Options for {@linkcode serveFile}. */
export interface ServeFileOptions {
  /** Cache-Control for the file. @default "max-age=3600" */
  cacheControl?: string;
  /** `attachment` with this name, or `inline` with the file's own. @default undefined (inline) */
  downloadAs?: string;
  /** More ranges than this get the whole file. @default 50 */
  maxRanges?: number;
  /** Bytes per read from disk. @default 262144 */
  chunkSize?: number;
  /**
   * Set when the response will pass through `compressResponse` with these
   * options: the ETag, and so every precondition, is then the one of the
   * variant it will send (RFC 9110 §8.8.3.3), and Vary is set. @default undefined
   */
  compression?: CompressionOptions;
  /**
   * The file's `stat()`, when the caller already has it. Either way the file is
   * opened only for a response with a body (a 304, 412, 416 or HEAD opens
   * nothing). @default undefined (stat the path)
   */
  info?: Deno.FileInfo;
  /**
   * Reads a span of at most `SMALL_SPAN` bytes synchronously, from a file the
   * caller keeps open (the open-file cache). It must throw `FileChangedError`
   * when the file no longer matches `info`. @default open, `readSpanSync`, close
   */
  readSync?: (start: number, length: number) => Uint8Array<ArrayBuffer>;
}

/**
 * Types a browser could run as a page on our origin: HTML, and XML of any kind
 * (`+xml`: SVG, XHTML, Atom, RSS, RDF, XSLT, GPX, KML, MathML…), which can
 * carry script or pull in a stylesheet that does. Sandbox them.
 */
const ACTIVE_TYPES = /^(text\/html|text\/xml|application\/xml|[\w.+-]+\/[\w.+-]+\+xml)\s*(;|$)/i;

/** Headers that RFC 9110 §15.4.5 lets a 304 carry, of those we set. */
const NOT_MODIFIED_HEADERS = ["etag", "last-modified", "cache-control", "vary"];

/**
 * Serves the file at `path` (already checked to be inside the served root).
 *
 * The file is opened only for a response with a body (a 304, 412, 416 or HEAD
 * opens nothing). A span of at most `SMALL_SPAN` bytes is read synchronously
 * and sent from memory; a longer body streams and closes its file when it ends
 * or the client leaves. Every read is checked against the stat the headers were
 * made from, so a file that changes meanwhile fails the response (see
 * `FileChangedError`) instead of sending new bytes under the old ETag.
 *
 * @param req The request; its method must be GET or HEAD.
 * @param path The file's real path.
 * @param options Caching, download name and range limits.
 * @returns 200, 206, 304, 412 or 416.
 * @throws {HttpError} 404 when the path is not a regular file.
 * @throws {FileChangedError} When the file changed before the response was made.
 * @example
 * ```ts
 * const res = await serveFile(new Request("http://x/a.mp4"), "media/a.mp4");
 * ```
 */
export async function serveFile(
  req: Request,
  path: string,
  options: ServeFileOptions = {},
): Promise<Response> {
  const { cacheControl = "max-age=3600", downloadAs, maxRanges, chunkSize, compression } = options;
  const info = options.info ?? await statFile(path);
  if (!info.isFile) throw new HttpError(404, "No such file");
  const readSync = options.readSync ?? ((start: number, length: number) => {
    using file = openSync(path);
    return readSpanSync(file, start, length, info);
  });
  const size = info.size;
  const type = contentTypeFor(path);
  const coded = compression === undefined ? { kind: "exempt" as const } : decideCompression(req, {
    status: 200,
    headers: new Headers({
      "content-type": type,
      "content-length": String(size),
      "cache-control": cacheControl,
    }),
  }, compression);
  const etag = coded.kind === "encode" ? variantEtag(fileEtag(info), coded.coding) : fileEtag(info);
  const v: Validators = { etag, lastModified: info.mtime?.getTime() ?? 0 };
  const headers = new Headers({
    "etag": v.etag,
    "last-modified": new Date(v.lastModified).toUTCString(),
    "cache-control": cacheControl,
    "accept-ranges": "bytes",
  });
  if (coded.kind !== "exempt") headers.set("vary", "accept-encoding");

  const precondition = evaluatePreconditions(req.headers, v);
  if (precondition === "failed") {
    return problemResponse(412, "The file does not match the request's preconditions", {
      headers: { etag: v.etag },
    });
  }
  if (precondition === "not-modified") {
    const kept = new Headers();
    for (const name of NOT_MODIFIED_HEADERS) {
      const value = headers.get(name);
      if (value !== null) kept.set(name, value);
    }
    return new Response(null, { status: 304, headers: kept });
  }

  headers.set("content-type", type);
  headers.set("x-content-type-options", "nosniff");
  if (ACTIVE_TYPES.test(type)) headers.set("content-security-policy", "sandbox");
  headers.set(
    "content-disposition",
    downloadAs === undefined
      ? contentDisposition(path, "inline")
      : contentDisposition(downloadAs, "attachment"),
  );

  // §14.2: Range is defined for GET only; HEAD gets the full-response headers.
  const range = req.method === "GET" && isRangeFresh(req.headers.get("if-range"), v)
    ? parseRange(req.headers.get("range"), size, { maxRanges })
    : { kind: "none" as const };

  if (range.kind === "unsatisfiable") {
    return problemResponse(416, `No requested range lies within the file's ${size} bytes`, {
      headers: { "content-range": `bytes */${size}`, etag: v.etag, "accept-ranges": "bytes" },
    });
  }
  if (req.method === "HEAD") {
    headers.set("content-length", String(size));
    return new Response(null, { status: 200, headers });
  }
  if (range.kind === "ranges" && range.ranges.length === 1) {
    const [{ start, end }] = range.ranges;
    headers.set("content-range", `bytes ${start}-${end}/${size}`);
    headers.set("content-length", String(end - start + 1));
    if (end - start + 1 <= SMALL_SPAN) {
      const bytes = readSync(start, end - start + 1);
      return markInMemory(new Response(bytes, { status: 206, headers }));
    }
    const file = await openChecked(path, info);
    const body = fileRangeStream(file, { start, end, chunkSize, expected: info });
    return new Response(body, { status: 206, headers });
  }
  if (range.kind === "ranges") {
    const file = await openChecked(path, info);
    const multipart = multipartByteranges(file, range.ranges, type, size, info);
    headers.set("content-type", multipart.contentType);
    headers.set("content-length", String(multipart.contentLength));
    return new Response(multipart.body, { status: 206, headers });
  }
  headers.set("content-length", String(size));
  if (size <= SMALL_SPAN) return markInMemory(new Response(readSync(0, size), { headers }));
  const file = await openChecked(path, info);
  const body = fileRangeStream(file, { chunkSize, end: size - 1, expected: info });
  return new Response(body, { headers });
}

/** Errors that mean the file is not there for us; answered 404 without detail. */
function notThere(error: unknown): never {
  if (
    error instanceof Deno.errors.NotFound || error instanceof Deno.errors.PermissionDenied ||
    // A name too long to exist is as absent as a missing one.
    (error as { code?: string })?.code === "ENAMETOOLONG"
  ) {
    throw new HttpError(404, "No such file");
  }
  throw error;
}

async function statFile(path: string): Promise<Deno.FileInfo> {
  try {
    return await Deno.stat(path);
  } catch (error) {
    return notThere(error);
  }
}

function openSync(path: string): Deno.FsFile {
  try {
    return Deno.openSync(path);
  } catch (error) {
    return notThere(error);
  }
}

/**
 * Opens `path` for a streamed body and checks it is still the file `info`
 * describes: the path may have been replaced (by another file, or a symlink
 * leading elsewhere) since it was resolved and stat'ed.
 */
async function openChecked(path: string, info: Deno.FileInfo): Promise<Deno.FsFile> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path);
  } catch (error) {
    return notThere(error);
  }
  try {
    assertUnchanged(await file.stat(), info);
    return file;
  } catch (error) {
    file.close();
    throw error;
  }
}
