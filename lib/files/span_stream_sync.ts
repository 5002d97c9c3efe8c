/**
 * A body of a few MiB at most, read from the page cache synchronously, chunk
 * by chunk as the client takes it.
 *
 * @module
 */

import { markReleasable } from "../streams/release_chunk.ts";

/**
 * Bodies up to this size are read with blocking calls, one chunk per pull.
 *
 * Why: each async file op is a round trip through Deno's blocking-thread pool,
 * and a streamed body made of them (open, fstat, a read per chunk, the last
 * fstat, close) cost more main-thread time than the reads themselves; reading
 * from the open-file cache's fd with `seekSync` + `readSync` + `fstat` skips
 * the open and every round trip (measured with `deno task bench --only small`:
 * random 1 MiB files took about a fifth less CPU per request, see README
 * "Performance"). Why only up to this size: a blocking read holds up every
 * other request while it runs, which a 256 KiB read from the page cache does
 * for some tens of microseconds but a cold read from a slow disk for
 * milliseconds; a long download (a film, a 1 GiB file) stays on async reads,
 * where a cold disk costs only its own client time.
 */
export const SYNC_BODY_MAX = 4 * 1024 * 1024;

/**
 * Streams bytes `start..end` through `readSync`, one chunk of at most
 * `chunkSize` per pull, so a slow client holds at most one chunk. Each chunk
 * is a fresh buffer, marked releasable (see `markReleasable`).
 *
 * @param readSync Reads a span synchronously and checks the file is still the
 * one the headers describe (it throws otherwise, which errors the body).
 * @param start The first byte.
 * @param end The last byte, inclusive.
 * @param chunkSize Bytes per read. @default 262144
 * @returns The body; cancelling it needs no cleanup (the caller owns the fd).
 * @throws What `readSync` throws for the first chunk, which is read at once.
 * @example
 * ```ts
 * using file = Deno.openSync("media/a.mp4");
 * const info = file.statSync();
 * const body = spanStreamSync((s, n) => readSpanSync(file, s, n, info), 0, info.size - 1);
 * ```
 */
export function spanStreamSync(
  readSync: (start: number, length: number) => Uint8Array<ArrayBuffer>,
  start: number,
  end: number,
  chunkSize = 256 * 1024,
): ReadableStream<Uint8Array> {
  const read = (at: number) => readSync(at, Math.min(chunkSize, end + 1 - at));
  // The first chunk now: a file that changed or went away since its stat fails
  // here, before any header is sent, and the caller can still answer 404.
  let next: Uint8Array<ArrayBuffer> | undefined = read(start);
  let at = start + next.length;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      const chunk = next ?? read(at);
      if (next === undefined) at += chunk.length;
      next = undefined;
      controller.enqueue(markReleasable(chunk));
      if (at > end) controller.close();
    },
  }, { highWaterMark: 0 });
}
