/**
 * The header values a file's responses share (ETag, Last-Modified, type,
 * inline Content-Disposition, sandbox), made once per `stat()`.
 *
 * The open-file cache hands every request in its validity window the same
 * `Deno.FileInfo` object, so keying on it makes these strings once per file
 * and window instead of once per request: formatting a date, quoting a name
 * and testing the type cost more than a small range's read.
 *
 * @module
 */

import { contentDisposition } from "../http/content_disposition.ts";
import { contentTypeFor } from "../http/content_type.ts";
import { fileEtag } from "../http/etag.ts";

/** What {@linkcode fileHeaders} returns. */
export interface FileHeaders {
  /** The strong ETag of this version of the file. */
  readonly etag: string;
  /** The modification time in ms (0 when unknown), for conditional requests. */
  readonly mtimeMs: number;
  /** Last-Modified as an HTTP date. */
  readonly lastModified: string;
  readonly contentType: string;
  /** Content-Disposition `inline` with the file's own name. */
  readonly inline: string;
  /** Whether a browser could run it as a page on our origin (Content-Security-Policy: sandbox). */
  readonly active: boolean;
}

/**
 * Types a browser could run as a page on our origin: HTML, and XML of any kind
 * (`+xml`: SVG, XHTML, Atom, RSS, RDF, XSLT, GPX, KML, MathML…), which can
 * carry script or pull in a stylesheet that does. Sandbox them.
 */
const ACTIVE_TYPES = /^(text\/html|text\/xml|application\/xml|[\w.+-]+\/[\w.+-]+\+xml)\s*(;|$)/i;

const made = new WeakMap<Deno.FileInfo, FileHeaders & { path: string }>();

/**
 * The shared header values for the file at `path` as `info` describes it.
 *
 * @param path The file's path (its name gives the type and the inline name).
 * @param info Its `stat()`; the same object gives the same values without work.
 * @returns The values.
 * @example
 * ```ts
 * const h = fileHeaders("media/a.mp4", Deno.statSync("media/a.mp4"));
 * h.contentType; // "video/mp4"
 * ```
 */
export function fileHeaders(path: string, info: Deno.FileInfo): FileHeaders {
  const known = made.get(info);
  if (known !== undefined && known.path === path) return known;
  const mtimeMs = info.mtime?.getTime() ?? 0;
  const contentType = contentTypeFor(path);
  const headers = {
    path,
    etag: fileEtag(info),
    mtimeMs,
    lastModified: new Date(mtimeMs).toUTCString(),
    contentType,
    inline: contentDisposition(path, "inline"),
    active: ACTIVE_TYPES.test(contentType),
  };
  made.set(info, headers);
  return headers;
}
