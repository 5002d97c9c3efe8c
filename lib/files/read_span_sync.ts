/**
 * Reads a small span of an open file synchronously, checking afterwards that
 * the file is still the one the response describes.
 *
 * @module
 */

import { assertUnchanged, FileEndedError, type FileIdentity } from "./file_identity.ts";

/**
 * Spans up to this size are read with one blocking call and sent from memory.
 *
 * Why blocking: a read of a few KiB from the page cache costs a few
 * microseconds, while an async file op costs a round trip through Deno's
 * blocking-thread pool (measured 10-30 µs each for open, stat, seek and read on
 * this project's machine, see README "Figures"). nginx reads the same way.
 * Why only small spans: a blocking call stops every other request meanwhile, so
 * its length must stay bounded; a cold read from a slow disk blocks too, and
 * 64 KiB bounds that to one small I/O. Larger bodies stream with async reads.
 */
export const SMALL_SPAN = 64 * 1024;

/**
 * Reads `length` bytes at `start` of `file` with `seekSync` + `readSync`, then
 * `fstat`s it. Because both calls are synchronous, no other request's seek can
 * come between them in JS's single thread: one fd may be shared by every
 * request (as the open-file cache does).
 *
 * @param file An open file; left open.
 * @param start The first byte.
 * @param length How many bytes (keep it at most {@linkcode SMALL_SPAN}, or one
 * chunk of a body read this way: see `span_stream_sync.ts`).
 * @param expected The stat the response's headers were made from.
 * @returns The bytes.
 * @throws {FileEndedError} When the file is shorter than the span.
 * @throws {FileChangedError} When the file changed or was deleted since `expected`.
 * @example
 * ```ts
 * using file = Deno.openSync("media/a.mp4");
 * const bytes = readSpanSync(file, 0, 4096, file.statSync());
 * ```
 */
export function readSpanSync(
  file: Deno.FsFile,
  start: number,
  length: number,
  expected: FileIdentity,
): Uint8Array<ArrayBuffer> {
  file.seekSync(start, Deno.SeekMode.Start);
  const bytes = new Uint8Array(length);
  // Bounded: every pass reads at least one byte or throws.
  for (let got = 0; got < length;) {
    const n = file.readSync(bytes.subarray(got));
    if (n === null || n === 0) throw new FileEndedError();
    got += n;
  }
  assertUnchanged(file.statSync(), expected);
  return bytes;
}
