/**
 * Answers a GET or HEAD for one file: validators, conditional requests,
 * single and multiple ranges, and a body read on demand.
 *
 * @module
 */

import {
  type CompressionOptions,
  decideCompression,
  isCompressibleType,
  variantEtag,
} from "../http/compression.ts";
import { evaluatePreconditions, isRangeFresh, type Validators } from "../http/conditional.ts";
import { contentDisposition } from "../http/content_disposition.ts";
import { fileHeaders } from "./file_headers.ts";
import { assertUnchanged } from "./file_identity.ts";
import { fileRangeStream } from "./file_stream.ts";
import { HttpError, problemResponse } from "../http/http_error.ts";
import { multipartByteranges } from "./multipart_byteranges.ts";
import { parseRange } from "../http/range.ts";
import { markInMemory } from "../http/in_memory.ts";
import { SMALL_SPAN } from "./read_span_sync.ts";
import { preadSpanOnceSync } from "./pread_span_sync.ts";
import { spanStreamSync, SYNC_BODY_MAX } from "./span_stream_sync.ts";
import { isNotThere } from "./safe_path.ts";

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
   * Reads a span synchronously (at most `SMALL_SPAN` bytes, or one chunk of a
   * body up to `SYNC_BODY_MAX`), from a file the caller keeps open (the
   * open-file cache). It must throw `FileChangedError` when the file no longer
   * matches `info`. @default `preadSpanOnceSync` (open, pread, close)
   */
  readSync?: (start: number, length: number) => Uint8Array<ArrayBuffer>;
}

/**
 * Serves the file at `path` (already checked to be inside the served root).
 *
 * The file is opened only for a response with a body (a 304, 412, 416 or HEAD
 * opens nothing). A span of at most `SMALL_SPAN` bytes is read synchronously
 * and sent from memory; a body up to `SYNC_BODY_MAX` streams through
 * synchronous reads of one chunk per pull; a longer body streams through async
 * reads of a file of its own, closed when it ends or the client leaves. Every
 * read is checked against the stat the headers were made from, so a file that changes meanwhile fails the response (see
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
  const readSync = options.readSync ??
    ((start: number, length: number) => preadSpanOnceSync(path, start, length, info));
  const size = info.size;
  const shared = fileHeaders(path, info);
  const type = shared.contentType;
  // decideCompression exempts a type that is not compressible before anything
  // else: asking first spares a Headers object per request.
  const coded = compression === undefined || !isCompressibleType(type)
    ? { kind: "exempt" as const }
    : decideCompression(req, {
      status: 200,
      headers: new Headers({
        "content-type": type,
        "content-length": String(size),
        "cache-control": cacheControl,
      }),
    }, compression);
  const etag = coded.kind === "encode" ? variantEtag(shared.etag, coded.coding) : shared.etag;
  const v: Validators = { etag, lastModified: shared.mtimeMs };
  // A plain record: the Response validates it once (a Headers would be validated twice).
  const headers: Record<string, string> = {
    "etag": etag,
    "last-modified": shared.lastModified,
    "cache-control": cacheControl,
  };
  if (coded.kind !== "exempt") headers["vary"] = "accept-encoding";

  const precondition = evaluatePreconditions(req.headers, v);
  if (precondition === "failed") {
    return problemResponse(412, "The file does not match the request's preconditions", {
      headers: { etag: v.etag },
    });
  }
  // RFC 9110 §15.4.5: a 304 carries those we have set so far.
  if (precondition === "not-modified") return new Response(null, { status: 304, headers });

  headers["accept-ranges"] = "bytes";
  headers["content-type"] = type;
  headers["x-content-type-options"] = "nosniff";
  if (shared.active) headers["content-security-policy"] = "sandbox";
  headers["content-disposition"] = downloadAs === undefined
    ? shared.inline
    : contentDisposition(downloadAs, "attachment");

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
    headers["content-length"] = String(size);
    return new Response(null, { status: 200, headers });
  }
  if (range.kind === "ranges" && range.ranges.length === 1) {
    const [{ start, end }] = range.ranges;
    headers["content-range"] = `bytes ${start}-${end}/${size}`;
    headers["content-length"] = String(end - start + 1);
    if (end - start + 1 <= SMALL_SPAN) {
      const bytes = readSync(start, end - start + 1);
      return markInMemory(new Response(bytes, { status: 206, headers }));
    }
    if (end - start + 1 <= SYNC_BODY_MAX) {
      const body = spanStreamSync(readSync, start, end, chunkSize);
      return new Response(body, { status: 206, headers });
    }
    const file = await openChecked(path, info);
    const body = fileRangeStream(file, { start, end, chunkSize, expected: info });
    return new Response(body, { status: 206, headers });
  }
  if (range.kind === "ranges") {
    const file = await openChecked(path, info);
    const multipart = multipartByteranges(file, range.ranges, type, size, info);
    headers["content-type"] = multipart.contentType;
    headers["content-length"] = String(multipart.contentLength);
    return new Response(multipart.body, { status: 206, headers });
  }
  headers["content-length"] = String(size);
  if (size <= SMALL_SPAN) return markInMemory(new Response(readSync(0, size), { headers }));
  if (size <= SYNC_BODY_MAX) {
    return new Response(spanStreamSync(readSync, 0, size - 1, chunkSize), { headers });
  }
  const file = await openChecked(path, info);
  const body = fileRangeStream(file, { chunkSize, end: size - 1, expected: info });
  return new Response(body, { headers });
}

/** Turns an error that means the file is not there for us into a 404 without detail. */
function notThere(error: unknown): never {
  if (isNotThere(error)) throw new HttpError(404, "No such file");
  throw error;
}

async function statFile(path: string): Promise<Deno.FileInfo> {
  try {
    return await Deno.stat(path);
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
