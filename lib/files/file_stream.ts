/**
 * A stream of the bytes in a span of an open file, which owns the file: it closes it
 * when the span is sent, when the reader cancels (client gone) or on error.
 * `fileChunks` is the one async read loop for file bodies (multipart parts
 * and ZIP entries read through it too); small spans and bodies up to 4 MiB use synchronous `pread`s instead (pread_span_sync.ts).
 *
 * @module
 */

import { pullStream } from "../streams/pull_stream.ts";
import { markReleasable } from "../streams/release_chunk.ts";
import { assertUnchanged, FileEndedError, type FileIdentity } from "./file_identity.ts";

/**
 * How much one read takes from the file. Measured on loopback (bench/): 256 KiB
 * reads sent a 1 GiB file at about twice the rate of the runtime's own
 * 64 KiB path for `new Response(file.readable)`, and keep every byte visible to
 * JS for the access log. 64 KiB reads were as slow as the native path.
 */
export const DEFAULT_CHUNK_SIZE = 256 * 1024;

/**
 * With `expected`, the file's identity is checked before the last chunk and
 * after every this many bytes: often enough that a long download notices a
 * rewrite soon, rarely enough that the `fstat()` costs nothing measurable.
 */
export const CHECK_EVERY = 8 * 1024 * 1024;

/** Options for {@linkcode fileRangeStream}. */
export interface FileRangeOptions {
  /** First byte to send. @default 0 */
  start?: number;
  /** Last byte to send, inclusive. @default the end of the file */
  end?: number;
  /** Bytes per read. @default DEFAULT_CHUNK_SIZE */
  chunkSize?: number;
  /**
   * The stat the response's headers were made from: when the file no longer
   * matches it (rewritten in place, replaced, deleted), the stream errors
   * instead of sending a mix of old and new bytes under the old ETag.
   * @default undefined (not checked)
   */
  expected?: FileIdentity;
  /** Leave the file open at the end and on cancel (the caller owns it). @default false */
  keepOpen?: boolean;
}

/** Closes a file that may be closed already (the end and a cancel can race). */
export function closeQuietly(file: Deno.FsFile): void {
  try {
    file.close();
  } catch {
    // Already closed.
  }
}

/**
 * Streams bytes `start..end` of `file`, reading on demand: nothing is read
 * before the client asks, so a slow client holds at most one chunk.
 *
 * Each chunk is a fresh buffer, marked with {@linkcode markReleasable} so the
 * served body can free it as soon as the runtime has it.
 *
 * @param file An open file; the stream closes it (unless `keepOpen`).
 * @param options Which span to send and how much to read at a time.
 * @returns A stream of `Uint8Array` chunks, suitable as a `Response` body.
 * @example
 * ```ts
 * const file = await Deno.open("media/clip.mp4");
 * const body = fileRangeStream(file, { start: 100, end: 199 });
 * ```
 */
export function fileRangeStream(
  file: Deno.FsFile,
  options: FileRangeOptions = {},
): ReadableStream<Uint8Array> {
  return pullStream(
    fileChunks(file, options),
    options.keepOpen ? undefined : () => closeQuietly(file),
  );
}

/**
 * The read loop behind {@linkcode fileRangeStream}, for bodies that send
 * several spans of one file (multipart/byteranges): it never closes the file.
 *
 * @param file An open file.
 * @param options Which span to read; with `keepOpen` the file may stand
 * anywhere (a part read before), so it seeks even to 0.
 * @returns The span's chunks; fails when the file ends early or changes.
 */
export async function* fileChunks(
  file: Deno.FsFile,
  options: FileRangeOptions = {},
): AsyncGenerator<Uint8Array> {
  const { start = 0, end = Infinity, chunkSize = DEFAULT_CHUNK_SIZE, expected } = options;
  let remaining = end - start + 1;
  let sinceCheck = 0;
  // A fresh file stands at 0; one the caller keeps may stand anywhere.
  if (start !== 0 || options.keepOpen) await file.seek(start, Deno.SeekMode.Start);
  while (remaining > 0) {
    const buffer = new Uint8Array(Math.min(chunkSize, remaining));
    const n = await file.read(buffer);
    if (n === null) {
      // The file shrank under us: fail rather than end short and "complete".
      if (Number.isFinite(remaining)) throw new FileEndedError();
      return;
    }
    remaining -= n;
    sinceCheck += n;
    if (expected !== undefined && (remaining === 0 || sinceCheck >= CHECK_EVERY)) {
      // Before the chunk goes out: a changed file's last bytes are never sent.
      assertUnchanged(await file.stat(), expected);
      sinceCheck = 0;
    }
    yield markReleasable(buffer.subarray(0, n));
  }
}
