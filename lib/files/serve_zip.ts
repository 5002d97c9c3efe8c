/**
 * Answers a GET or HEAD for a folder as one stored ZIP archive: an exact
 * length, a strong ETag, conditional requests, and single ranges, so a broken
 * download resumes and parallel range downloads assemble the same bytes.
 *
 * @module
 */

import { evaluatePreconditions, isRangeFresh, type Validators } from "../http/conditional.ts";
import { contentDisposition } from "../http/content_disposition.ts";
import { problemResponse } from "../http/http_error.ts";
import { parseRange } from "../http/range.ts";
import type { CrcCache } from "./crc_cache.ts";
import type { ZipLayout } from "./zip_layout.ts";
import { zipStream } from "./zip_stream.ts";

/** Options for {@linkcode serveZip}. */
export interface ServeZipOptions {
  /** The file name the client saves, such as `docs.zip`. */
  downloadAs: string;
  /** CRC-32s shared across responses. */
  cache: CrcCache;
  /** Bytes per read from disk. @default 262144 */
  chunkSize?: number;
}

/**
 * Serves the archive `layout` describes. HEAD, 304, 412 and 416 read no file.
 *
 * One range is served as asked (206). A request for several ranges gets the
 * whole archive (200, as RFC 9110 §14.2 allows): download managers ask for
 * one range per connection, and a multipart archive would be of no use.
 *
 * @param req The request; GET or HEAD.
 * @param layout From {@linkcode layoutZip}.
 * @param options The download name and the CRC cache.
 * @returns 200, 206, 304, 412 or 416.
 * @example
 * ```ts
 * const layout = await layoutZip(sources);
 * const res = serveZip(req, layout, { downloadAs: "docs.zip", cache: new CrcCache() });
 * ```
 */
export function serveZip(req: Request, layout: ZipLayout, options: ServeZipOptions): Response {
  const { size } = layout;
  const v: Validators = { etag: layout.etag, lastModified: layout.lastModified };
  const headers = new Headers({
    "etag": v.etag,
    "last-modified": new Date(v.lastModified).toUTCString(),
    // A folder changes without its URL changing: revalidate, and let the ETag answer 304.
    "cache-control": "no-cache",
    "accept-ranges": "bytes",
  });
  const precondition = evaluatePreconditions(req.headers, v);
  if (precondition === "failed") {
    return problemResponse(412, "The folder does not match the request's preconditions", {
      headers: { etag: v.etag },
    });
  }
  if (precondition === "not-modified") return new Response(null, { status: 304, headers });

  headers.set("content-type", "application/zip");
  headers.set("x-content-type-options", "nosniff");
  headers.set("content-disposition", contentDisposition(options.downloadAs, "attachment"));
  const range = req.method === "GET" && isRangeFresh(req.headers.get("if-range"), v)
    ? parseRange(req.headers.get("range"), size, { maxRanges: 1 })
    : { kind: "none" as const };
  if (range.kind === "unsatisfiable") {
    return problemResponse(416, `No requested range lies within the archive's ${size} bytes`, {
      headers: { "content-range": `bytes */${size}`, etag: v.etag, "accept-ranges": "bytes" },
    });
  }
  const { start, end } = range.kind === "ranges" ? range.ranges[0] : { start: 0, end: size - 1 };
  headers.set("content-length", String(end - start + 1));
  if (range.kind === "ranges") headers.set("content-range", `bytes ${start}-${end}/${size}`);
  const status = range.kind === "ranges" ? 206 : 200;
  if (req.method === "HEAD") return new Response(null, { status, headers });
  const body = zipStream(layout, {
    cache: options.cache,
    start,
    end,
    chunkSize: options.chunkSize,
  });
  return new Response(body, { status, headers });
}
