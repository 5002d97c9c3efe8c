/**
 * `GET|HEAD /media/{file}?follow`: a media file followed as it grows, like
 * `tail -F` — as plain bytes, or with `Accept: text/event-stream` as
 * Server-Sent Events whose ids are byte offsets (`Last-Event-ID` resumes).
 *
 * @module
 */

import { join } from "node:path";
import { contentTypeFor } from "../lib/http/content_type.ts";
import { followBody } from "../lib/files/follow_body.ts";
import { type FollowEvent, followFile } from "../lib/files/follow_file.ts";
import { plainEncoder } from "../lib/files/follow_plain.ts";
import { sseEncoder } from "../lib/files/follow_sse.ts";
import type { FileWakeups } from "../lib/files/follow_wakeup.ts";
import { isCompressibleType } from "../lib/http/compression.ts";
import { HttpError } from "../lib/http/http_error.ts";
import { preferredType } from "../lib/http/negotiate.ts";
import type { Handler, RouteSpec } from "../lib/http/router.ts";
import { mediaAccess } from "./media.ts";
import { decodePathSegments, resolveInside } from "../lib/files/safe_path.ts";

/** Options for {@linkcode followRoutes}. */
export interface FollowRouteOptions {
  /** The media folder's real path. */
  realRoot: string;
  /** The folder watches every follower shares. */
  wakeups: FileWakeups;
  /** Aborted when the server drains: every follow ends cleanly. */
  drain: AbortSignal;
  /** SSE comment heartbeats this often (0: none). @default 15000 */
  heartbeatMs?: number;
}

const SSE = "text/event-stream";

/**
 * The follow route: `/media/{file}?follow`, before the media routes.
 *
 * @param options Where the files are, the shared watches, and the drain signal.
 * @returns The route, named `media_follow` in logs and metrics.
 */
export function followRoutes(options: FollowRouteOptions): RouteSpec[] {
  return [{
    name: "media_follow",
    methods: ["GET"],
    pathname: "/media/:path(.+)",
    query: "follow",
    handler: followHandler(options),
    streaming: true,
    access: mediaAccess,
  }];
}

function followHandler(options: FollowRouteOptions): Handler {
  const { realRoot, wakeups, drain, heartbeatMs = 15_000 } = options;
  return async (req, params) => {
    const url = new URL(req.url);
    const segments = decodePathSegments(params.path ?? "");
    const real = await resolveInside(realRoot, segments);
    // lstat: a name swapped for a symlink since it was resolved is not followed to its target.
    const info = await Deno.lstat(real);
    if (info.isDirectory) throw new HttpError(400, "A folder cannot be followed; name a file");
    // A FIFO would block the open, and a device is no media file.
    if (!info.isFile || url.pathname.endsWith("/")) throw new HttpError(404, "No such file");
    const name = segments.at(-1)!;
    const type = contentTypeFor(name);
    const sse = preferredType(req, [type, SSE]) === SSE;
    const requested = startOffset(url.searchParams.get("from"), sse ? req : undefined);
    const headers = new Headers({
      "content-type": sse ? `${SSE}; charset=utf-8` : type,
      // A live view: never cached, never compressed (a compressor holds bytes back).
      "cache-control": "no-store, no-transform",
      // nginx would otherwise buffer the response and the lines arrive late.
      "x-accel-buffering": "no",
      "x-content-type-options": "nosniff",
      "content-security-policy": "sandbox",
    });
    if (requested.kind === "offset" && requested.offset > info.size && !sse) {
      throw new HttpError(416, `from=${requested.offset} is past the end (${info.size} bytes)`, {
        headers: { "content-range": `bytes */${info.size}` },
      });
    }
    if (req.method === "HEAD") return new Response(null, { headers });

    const file = await Deno.open(real, { read: true });
    let size: number;
    try {
      const opened = await file.stat();
      // Swapped between the lstat and the open: open followed whatever is there now.
      if (!opened.isFile || opened.ino !== info.ino || opened.dev !== info.dev) {
        throw new HttpError(404, "No such file");
      }
      size = opened.size;
    } catch (error) {
      file.close();
      throw error;
    }
    const stop = new AbortController();
    const wakeup = wakeups.wakeup([...new Set([join(realRoot, ...segments), real])]);
    const start = requested.kind === "suffix"
      ? Math.max(0, size - requested.length)
      : Math.min(requested.offset, size);
    // A resume past the end: the file was truncated or replaced meanwhile.
    const restarted = sse && requested.kind === "offset" && requested.offset > size;
    // followFile closes the file once it runs; a body cancelled before its
    // first read never runs it, so release() closes the file then.
    let started = false;
    const release = () => {
      wakeup[Symbol.dispose]();
      if (!started) file.close();
    };
    const events = (async function* (): AsyncGenerator<FollowEvent, void, undefined> {
      started = true;
      if (restarted) yield { kind: "truncated", size };
      yield* followFile(file, {
        start: restarted ? 0 : start,
        signal: AbortSignal.any([drain, stop.signal]),
        wakeup,
        idleMs: sse ? heartbeatMs : 0,
        resolve: () =>
          resolveInside(realRoot, segments).catch((error) => {
            if (error instanceof HttpError) return undefined;
            throw error;
          }),
      });
    })();
    const encode = sse
      ? sseEncoder(restarted ? 0 : start)
      : plainEncoder(name, isCompressibleType(type) || type.startsWith("text/"));
    return new Response(followBody(events, encode, { stop, release }), { headers });
  };
}

/** Where to start: an offset, or the last N bytes. */
type Start = { kind: "offset"; offset: number } | { kind: "suffix"; length: number };

/**
 * `from=N` (an offset), `from=-N` (the last N bytes), or for SSE a
 * `Last-Event-ID` (an offset, which wins: it is where the client got to).
 */
function startOffset(from: string | null, sse: Request | undefined): Start {
  const lastId = sse?.headers.get("last-event-id")?.trim();
  if (lastId !== undefined && lastId !== "") {
    if (!/^\d{1,15}$/.test(lastId)) {
      throw new HttpError(400, "Last-Event-ID must be a byte offset (the id of an event)");
    }
    return { kind: "offset", offset: Number(lastId) };
  }
  if (from === null || from === "") return { kind: "offset", offset: 0 };
  const match = /^(-?)(\d{1,15})$/.exec(from);
  if (match === null) {
    const shown = from.length > 40 ? `${from.slice(0, 40)}...` : from;
    throw new HttpError(400, `from must be N (an offset) or -N (the last N bytes), not "${shown}"`);
  }
  const n = Number(match[2]);
  return match[1] === "-" ? { kind: "suffix", length: n } : { kind: "offset", offset: n };
}
