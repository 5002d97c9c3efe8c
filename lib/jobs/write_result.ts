/**
 * Writes one job's result file: the export's bytes appended to a temporary
 * file with a checkpoint now and then, gzipped at the end when asked for, and
 * renamed into place only when complete. The SHA-256 digest is computed while
 * the bytes are written; a resumed job rebuilds it by re-reading the part of
 * the file its checkpoint vouches for.
 *
 * @module
 */

import { createHash, type Hash } from "node:crypto";
import type { ExportBody } from "./export_body.ts";
import type { JobCheckpoint } from "./job_store.ts";

/** Where the export picks up: undefined for the start. */
export type ResumePoint = JobCheckpoint | undefined;

/** Options for {@linkcode writeResult}. */
export interface WriteResultOptions {
  /** Opens the export from a checkpoint (or the start). */
  open(from: ResumePoint): Promise<ExportBody>;
  /** The temporary file the export is written to (kept between runs). */
  partPath: string;
  /** Where the finished result goes. */
  resultPath: string;
  /** Gzip the result (one member, made after the export ends). */
  gzip: boolean;
  /** The last checkpoint, or undefined to start afresh. */
  from: ResumePoint;
  /** Called after each chunk, with this run's totals so far. */
  onProgress(rows: number, bytes: number): void;
  /** Called once the file holds everything up to `checkpoint` (synced). */
  onCheckpoint(checkpoint: JobCheckpoint): void;
  /** Throws when `bytes` more would pass the disk quota. */
  reserve(bytes: number): void;
  /** Stops the job: the query is released at once. */
  signal: AbortSignal;
  /** Least time between checkpoints. @default 1000 */
  checkpointMs?: number;
}

/** The finished result. */
export interface WrittenResult {
  size: number;
  /** `sha-256=:…:` as RFC 9530's Repr-Digest carries it. */
  digest: string;
  rows: number;
}

const GZIP_PIECE = 128 * 1024;

/**
 * Runs the export into the result file.
 *
 * @param options The export, the files, and the callbacks.
 * @returns The size, digest and rows of the result.
 * @throws The export's error, the quota's, or the signal's reason; the part
 *   file stays for a resume, the result path is untouched.
 */
export async function writeResult(options: WriteResultOptions): Promise<WrittenResult> {
  const { signal } = options;
  signal.throwIfAborted();
  const hash = createHash("sha256");
  let from = options.from;
  const file = await Deno.open(options.partPath, { read: true, write: true, create: true });
  try {
    from = await rewind(file, from, hash);
    let rows = from?.rows ?? 0;
    let bytes = from?.bytes ?? 0;
    const exported = await options.open(from);
    const reader = exported.body.getReader();
    const stop = () => reader.cancel().catch(() => {});
    signal.addEventListener("abort", stop, { once: true });
    let lastCheckpoint = performance.now();
    let key: string | undefined;
    try {
      for (;;) {
        const { done, value } = await reader.read();
        signal.throwIfAborted();
        if (done) break;
        options.reserve(value.byteLength);
        await writeAll(file, value);
        hash.update(value);
        bytes += value.byteLength;
        rows = (from?.rows ?? 0) + exported.rows();
        key = exported.resumeToken();
        options.onProgress(rows, bytes);
        if (
          key !== undefined && performance.now() - lastCheckpoint >= (options.checkpointMs ?? 1000)
        ) {
          await file.syncData();
          options.onCheckpoint({ rows, bytes, after: key });
          lastCheckpoint = performance.now();
        }
      }
    } catch (error) {
      await stop();
      // Stopped on purpose (a drain): everything written so far is a checkpoint.
      if (signal.aborted && key !== undefined) {
        await file.syncData();
        options.onCheckpoint({ rows, bytes, after: key });
      }
      throw error;
    } finally {
      signal.removeEventListener("abort", stop);
    }
    await file.syncData();
    file.close();
    if (!options.gzip) {
      await Deno.rename(options.partPath, options.resultPath);
      return { size: bytes, digest: digestOf(hash), rows };
    }
    const gzipped = await gzipFile(options);
    await Deno.remove(options.partPath);
    return { ...gzipped, rows };
  } finally {
    try {
      file.close();
    } catch {
      // Closed already.
    }
  }
}

/**
 * Cuts the part file back to the checkpoint and feeds what stays to the hash.
 * A checkpoint the file does not hold (it was lost or replaced) means a fresh start.
 */
async function rewind(file: Deno.FsFile, from: ResumePoint, hash: Hash): Promise<ResumePoint> {
  const { size } = await file.stat();
  if (from === undefined || size < from.bytes) {
    await file.truncate(0);
    return undefined;
  }
  await file.truncate(from.bytes);
  await file.seek(0, Deno.SeekMode.Start);
  const buffer = new Uint8Array(256 * 1024);
  let left = from.bytes;
  while (left > 0) {
    const n = await file.read(buffer.subarray(0, Math.min(buffer.byteLength, left)));
    if (n === null) throw new Error("The part file ended before its checkpoint");
    hash.update(buffer.subarray(0, n));
    left -= n;
  }
  await file.seek(0, Deno.SeekMode.End);
  return from;
}

async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < bytes.byteLength) offset += await file.write(bytes.subarray(offset));
}

/**
 * Gzips the part file into the result, in fixed-size pieces so the same text
 * always makes the same bytes (CompressionStream flushes at each chunk).
 */
async function gzipFile(options: WriteResultOptions): Promise<Omit<WrittenResult, "rows">> {
  const temp = `${options.resultPath}.part`;
  const hash = createHash("sha256");
  let size = 0;
  using input = await Deno.open(options.partPath);
  using output = await Deno.open(temp, { write: true, create: true, truncate: true });
  const pieces = new ReadableStream<BufferSource>({
    async pull(controller) {
      const piece = new Uint8Array(GZIP_PIECE);
      let filled = 0;
      while (filled < GZIP_PIECE) {
        const n = await input.read(piece.subarray(filled));
        if (n === null) break;
        filled += n;
      }
      if (filled > 0) controller.enqueue(piece.subarray(0, filled));
      if (filled < GZIP_PIECE) controller.close();
    },
  }, { highWaterMark: 0 });
  for await (const chunk of pieces.pipeThrough(new CompressionStream("gzip"))) {
    options.signal.throwIfAborted();
    options.reserve(chunk.byteLength);
    await writeAll(output, chunk);
    hash.update(chunk);
    size += chunk.byteLength;
  }
  await output.syncData();
  await Deno.rename(temp, options.resultPath);
  return { size, digest: digestOf(hash) };
}

function digestOf(hash: Hash): string {
  return `sha-256=:${hash.digest("base64")}:`;
}
