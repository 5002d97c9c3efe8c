/**
 * The media routes without a socket, for the HTTP rules (ranges, conditional
 * requests, multipart, content types, containment, listings): a `Request`
 * goes through the router to the route's handler, a thrown error becomes its
 * problem response, and the body is compressed as the request pipeline would
 * (lib/server/request_pipeline.ts), as std's file_server_test calls serveDir().
 * What needs a connection (disconnects, stalls, drain, the access log, TLS,
 * the browser) uses startTestServer() instead.
 *
 * @module
 */

import { OpenFileCache } from "../../lib/files/open_file_cache.ts";
import { compressResponse } from "../../lib/http/compression.ts";
import { errorResponse } from "../../lib/http/http_error.ts";
import { Router, unmatchedError } from "../../lib/http/router.ts";
import { mediaRoutes } from "../../routes/media.ts";
import { makeMediaFixture } from "./media_fixture.ts";
import { makeTempTree } from "./server.ts";

/** The fixture's media folder served by the media routes, called directly. */
export interface MediaApp extends AsyncDisposable {
  /** The temp folder (parent of `media/`). */
  root: string;
  /** The media folder. */
  media: string;
  /**
   * Answers a request for `path` (such as `/media/clip.mp4`) as Sluice would,
   * but for what the pipeline adds after the route (X-Request-Id, metering).
   */
  fetch(path: string, init?: RequestInit): Promise<Response>;
}

/** Options for {@linkcode makeMediaApp}, as Sluice's flags of the same names. */
export interface MediaAppOptions {
  /** `--cache-control`. @default "max-age=3600" */
  cacheControl?: string;
  /** `--compression on`. @default true */
  compression?: boolean;
  /** A media folder of these files (path → content) instead of the fixture's. */
  files?: Record<string, string | Uint8Array>;
  /** Adds to the folder before it is served (more files, FIFOs, mtimes). */
  setUp?: (media: string) => Promise<void>;
}

/**
 * Builds the media fixture (or a folder of `files`) and the media routes over it.
 *
 * @param options Cache-Control and compression.
 * @returns The app; `await using` closes its files and removes the fixture.
 */
export async function makeMediaApp(options: MediaAppOptions = {}): Promise<MediaApp> {
  const fixture = options.files === undefined
    ? await makeMediaFixture()
    : await folderOf(options.files);
  await options.setUp?.(fixture.media);
  const realRoot = await Deno.realPath(fixture.media);
  const files = new OpenFileCache(realRoot);
  const compression = options.compression === false ? undefined : {};
  const router = new Router(mediaRoutes({
    realRoot,
    files,
    cacheControl: options.cacheControl ?? "max-age=3600",
    compression,
  }));
  return {
    root: fixture.root,
    media: fixture.media,
    async fetch(path, init) {
      const req = new Request(new URL(path, "http://sluice.test"), init);
      const match = router.match(req.method, new URL(req.url).pathname);
      let res: Response;
      try {
        if (match.kind !== "route") throw unmatchedError(match, req.method);
        res = await match.route.handler(req, match.params);
      } catch (error) {
        res = errorResponse(error);
      }
      if (compression !== undefined) res = await compressResponse(req, res, compression);
      // A HEAD response has headers only, as on the wire.
      if (req.method === "HEAD") {
        await res.body?.cancel();
        return new Response(null, res);
      }
      return res;
    },
    async [Symbol.asyncDispose]() {
      files.clear();
      await fixture[Symbol.asyncDispose]();
    },
  };
}

/** A temp folder holding just `files`, shaped like the fixture. */
async function folderOf(files: Record<string, string | Uint8Array>) {
  const dir = await makeTempTree(files);
  return {
    root: dir,
    media: dir,
    [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }),
  };
}
