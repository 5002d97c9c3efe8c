/**
 * A stream of the bytes in a span of an open file, which owns the file: it closes it
 * when the span is sent, when the reader cancels (client gone) or on error.
 * This is the one async read loop for file bodies (`multipartByteranges` reads
 * each part through it); small spans use `readSpanSync` instead.
 *
 * @module
 */

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

function closeQuietly(file: Deno.FsFile): void {
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
  const { start = 0, end = Infinity, chunkSize = DEFAULT_CHUNK_SIZE, expected } = options;
  const release = options.keepOpen ? () => {} : () => closeQuietly(file);
  let remaining = end - start + 1;
  // A fresh file stands at 0; one the caller keeps may stand anywhere.
  let sought = start === 0 && !options.keepOpen;
  let sinceCheck = 0;
  // Not a byte stream: its enqueue() would swap each chunk's ArrayBuffer for a
  // new one, and the mark must stay on the buffer that reaches the runtime.
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        if (!sought) {
          await file.seek(start, Deno.SeekMode.Start);
          sought = true;
        }
        const buffer = new Uint8Array(Math.min(chunkSize, remaining));
        const n = buffer.byteLength > 0 ? await file.read(buffer) : null;
        if (n === null) {
          // The file shrank under us: fail rather than end short and "complete".
          if (Number.isFinite(remaining) && remaining > 0) throw new FileEndedError();
          release();
          controller.close();
          return;
        }
        remaining -= n;
        sinceCheck += n;
        if (expected !== undefined && (remaining === 0 || sinceCheck >= CHECK_EVERY)) {
          // Before the chunk goes out: a changed file's last bytes are never sent.
          assertUnchanged(await file.stat(), expected);
          sinceCheck = 0;
        }
        controller.enqueue(markReleasable(buffer.subarray(0, n)));
        if (remaining === 0) {
          // Done: close now rather than on one more pull (a small range is one read).
          release();
          controller.close();
        }
      } catch (error) {
        release();
        throw error;
      }
    },
    cancel() {
      release();
    },
  }, { highWaterMark: 0 });
}
