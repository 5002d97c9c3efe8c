/**
 * The media routes over a fixture folder, without a socket (see
 * tests/support/route_fetch.ts), for the HTTP rules: ranges, conditional
 * requests, multipart, content types, containment, listings.
 *
 * @module
 */

import { OpenFileCache } from "../../lib/files/open_file_cache.ts";
import { mediaRoutes } from "../../routes/media.ts";
import { makeMediaFixture } from "./media_fixture.ts";
import { type RouteFetch, routeFetch } from "./route_fetch.ts";
import { makeTempTree } from "./server.ts";

/** The fixture's media folder served by the media routes, called directly. */
export interface MediaApp extends AsyncDisposable {
  /** The temp folder (parent of `media/`). */
  root: string;
  /** The media folder. */
  media: string;
  /** Answers a request for a path such as `/media/clip.mp4`, as the route would. */
  fetch: RouteFetch;
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
  const fetch = routeFetch(
    mediaRoutes({
      realRoot,
      files,
      cacheControl: options.cacheControl ?? "max-age=3600",
      compression,
    }),
    compression,
  );
  return {
    root: fixture.root,
    media: fixture.media,
    fetch,
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
