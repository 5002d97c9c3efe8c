/**
 * `GET|HEAD /media/{path}` and its seed-tutorial alias `/stream-video/{name}`:
 * files under the media folder, listings of its folders, and a folder as one
 * ZIP (`?zip`).
 *
 * @module
 */

import { CrcCache } from "../lib/files/crc_cache.ts";
import { readListing, renderListingHtml } from "../lib/files/dir_listing.ts";
import type { CompressionOptions } from "../lib/http/compression.ts";
import { HttpError } from "../lib/http/http_error.ts";
import { htmlOrJson } from "../lib/http/html_or_json.ts";
import type { Handler, RouteAccess, RouteSpec } from "../lib/http/router.ts";
import { FileChangedError } from "../lib/files/file_identity.ts";
import type { OpenFileCache } from "../lib/files/open_file_cache.ts";
import { decodePathSegments } from "../lib/files/safe_path.ts";
import { serveFile } from "../lib/files/serve_file.ts";
import { serveZip } from "../lib/files/serve_zip.ts";
import { readZipEntries } from "../lib/files/zip_entries.ts";
import { layoutZip, type ZipLayout } from "../lib/files/zip_layout.ts";

/** Options for {@linkcode mediaHandler}. */
export interface MediaOptions {
  /** The media folder's real path. */
  realRoot: string;
  /** Resolves paths below `realRoot` (with `maxEntries: 0` it caches nothing). */
  files: OpenFileCache;
  /** Cache-Control for files. */
  cacheControl: string;
  /** Bytes per read from disk. @default 262144 */
  chunkSize?: number;
  /**
   * What the request pipeline (lib/server/request_pipeline.ts) compresses
   * responses with, which the ETags must reflect; undefined when compression is off.
   */
  compression?: CompressionOptions;
  /** Folders with more entries than this get 413 for `?zip`. @default 100000 */
  zipMaxEntries?: number;
}

/**
 * The media routes: `/media/{path}` and `/stream-video/{name}`, both streaming.
 *
 * @param options Where the files are and how to cache them.
 * @returns The routes.
 */
/** `media:/films` reaches /films and below; the resource is the decoded path. */
export const mediaAccess: RouteAccess = {
  scope: "media",
  resource: (_req: Request, params: Record<string, string | undefined>) =>
    `/${decodePathSegments(params.path ?? "").join("/")}`,
};

export function mediaRoutes(options: MediaOptions): RouteSpec[] {
  const handler = mediaHandler(options);
  const access = mediaAccess;
  return [
    {
      name: "media",
      methods: ["GET"],
      pathname: "/media{/:path(.*)}?",
      handler,
      streaming: true,
      access,
    },
    {
      name: "media",
      methods: ["GET"],
      pathname: "/stream-video/:path(.+)",
      handler,
      streaming: true,
      access,
    },
  ];
}

/**
 * Builds the handler for a media route whose pattern captures the rest of the
 * path as `path`.
 *
 * @param options Where the files are and how to cache them.
 * @returns The route handler.
 */
export function mediaHandler(options: MediaOptions): Handler {
  const folder: FolderOptions = { ...options, crcs: new CrcCache() };
  return async (req, params) => {
    const url = new URL(req.url);
    const segments = decodePathSegments(params.path ?? "");
    // A file that changes under a response is looked up afresh once; a second
    // change in a row is a file being written: come back later.
    for (let attempt = 1;; attempt++) {
      const found = await options.files.lookup(segments);
      const { info } = found;
      if (info.isDirectory) {
        return await serveFolder(req, { url, real: found.real, segments, options: folder });
      }
      // Opening a FIFO blocks until a writer comes, and a device is no media file.
      // A file named as a folder (`a.txt/`) is not there either, as on a file system.
      if (!info.isFile || url.pathname.endsWith("/")) throw new HttpError(404, "No such file");
      const download = url.searchParams.get("download");
      try {
        return await serveFile(req, found.real, {
          cacheControl: options.cacheControl,
          chunkSize: options.chunkSize,
          compression: options.compression,
          downloadAs: download === null ? undefined : download || segments.at(-1),
          info,
          readSync: (start, length) => found.readSync(start, length),
        });
      } catch (error) {
        if (!(error instanceof FileChangedError)) throw error;
        options.files.forget(segments);
        if (attempt === 2) {
          throw new HttpError(503, "The file is changing; retry later", {
            headers: { "retry-after": "1" },
          });
        }
      }
    }
  };
}

/** What a folder's responses need: the media options, and the CRCs every ZIP shares. */
interface FolderOptions extends MediaOptions {
  crcs: CrcCache;
}

/** A request for a folder: its URL, its real path, its decoded segments. */
interface FolderTarget {
  url: URL;
  real: string;
  segments: string[];
  options: FolderOptions;
}

async function serveFolder(req: Request, target: FolderTarget): Promise<Response> {
  const { url, real, segments, options } = target;
  if (!url.pathname.endsWith("/")) {
    // Relative links in the listing need the trailing slash.
    return new Response(null, {
      status: 301,
      headers: { location: url.pathname + "/" + url.search },
    });
  }
  if (url.searchParams.has("zip")) {
    const name = segments.at(-1) ?? "media";
    const layout = await zipLayout(real, name, options);
    if (typeof layout === "number") {
      throw new HttpError(
        413,
        `The folder holds ${layout} entries; a ZIP holds at most ${
          options.zipMaxEntries ?? 100_000
        } (--zip-max-entries)`,
      );
    }
    return serveZip(req, layout, {
      downloadAs: `${name}.zip`,
      cache: options.crcs,
      chunkSize: options.chunkSize,
    });
  }
  return await listing(req, target);
}

/** The folder's archive laid out, or its entry count when over the limit. */
async function zipLayout(real: string, name: string, options: FolderOptions) {
  const found = await readZipEntries(real, options.realRoot, {
    prefix: name,
    maxEntries: options.zipMaxEntries,
  });
  return found.kind === "too-many" ? found.count : await layoutZip(found.entries);
}

async function listing(req: Request, target: FolderTarget): Promise<Response> {
  const { url, real, segments, options } = target;
  return await htmlOrJson(req, "Listings are", {
    json: async () => ({
      path: url.pathname,
      entries: (await readListing(real, options.realRoot)).map((e) => ({
        ...e,
        href: encodeURIComponent(e.name) + (e.type === "directory" ? "/" : ""),
      })),
    }),
    html: async () => {
      const entries = await readListing(real, options.realRoot);
      const zip: ZipLayout | number = await zipLayout(real, segments.at(-1) ?? "media", options);
      return renderListingHtml(decodeURIComponent(url.pathname), entries, {
        hasParent: segments.length > 0,
        zipSize: typeof zip === "number" ? undefined : zip.size,
      });
    },
  });
}
