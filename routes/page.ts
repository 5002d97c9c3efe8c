/**
 * `GET /`: the page that shows Sluice at work, and `GET /ui/{file}`: its
 * scripts, styles and icon, all from routes/page/ (no build step, nothing
 * from another origin).
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import type { CompressionOptions } from "../lib/http/compression.ts";
import { HttpError } from "../lib/http/http_error.ts";
import type { Handler, RouteSpec } from "../lib/http/router.ts";
import { serveFile } from "../lib/files/serve_file.ts";

/**
 * The page's routes: `/` and `/ui/:file`.
 *
 * @param options How responses will be compressed, for the ETags.
 * @returns The routes.
 */
export function pageRoutes(options: PageOptions = {}): RouteSpec[] {
  const handler = pageHandler(options);
  return [
    // Public even with access control on: the page holds no data, and it is
    // where a browser is asked for its token.
    { name: "page", methods: ["GET"], pathname: "/", handler, access: "public" },
    { name: "page", methods: ["GET"], pathname: "/ui/:file", handler, access: "public" },
  ];
}

/** Options for {@linkcode pageHandler}. */
export interface PageOptions {
  /**
   * What the request pipeline (lib/server/request_pipeline.ts) compresses
   * responses with, which the ETags must reflect; undefined when compression is off.
   */
  compression?: CompressionOptions;
}

/**
 * The page runs only what Sluice serves: no inline script or style, no other
 * origin, and nobody may frame it.
 */
export const PAGE_CSP = "default-src 'self'; media-src 'self'; img-src 'self' data:; " +
  "style-src 'self'; script-src 'self'; base-uri 'none'; form-action 'self'; " +
  "frame-ancestors 'none'";

const ROOT = new URL("./page/", import.meta.url);
/** Flat names only, and only the kinds of asset the page has: never a `..` or a `.ts`. */
const ASSET = /^[a-z][a-z0-9_-]*\.(js|css|svg)$/;

/**
 * Builds the handler for `/` and `/ui/:file`.
 *
 * The files are revalidated on each load (`no-cache` with an ETag, so a 304
 * when unchanged): their names carry no version, and a page that mixed an old
 * app.js with a new page_logic.js would break.
 *
 * @param options How responses will be compressed, for the ETags.
 * @returns The route handler.
 */
export function pageHandler(options: PageOptions = {}): Handler {
  return async (req, params) => {
    const file = params.file ?? "index.html";
    if (params.file !== undefined && !ASSET.test(file)) throw new HttpError(404, "No such file");
    const res = await serveFile(req, fileURLToPath(new URL(file, ROOT)), {
      cacheControl: "no-cache",
      compression: options.compression,
    });
    // serveFile sandboxes HTML it serves from the media folder; this page is ours.
    if (params.file === undefined && res.status !== 304) {
      res.headers.set("content-security-policy", PAGE_CSP);
      res.headers.delete("content-disposition");
    }
    return res;
  };
}
