/**
 * An adapter from a sync or async iterator of text or bytes to a pull
 * `ReadableStream`: it produces only when the reader asks, gathers small
 * items into writes of tens of KiB, and calls the iterator's `return()` when
 * the reader cancels, so the producer's `finally` blocks run.
 *
 * @module
 */

import { Chunker, type StreamItem } from "./_chunker.ts";
import { LoopGuard } from "./_loop_guard.ts";

export type { StreamItem };

/** Options for {@linkcode primedIteratorStream}. */
export interface IteratorStreamOptions {
  /** Bytes (counted as UTF-16 code units for text) to gather per write. @default 65536 */
  chunkSize?: number;
  /**
   * For async sources: the longest a gathered item waits for more before it
   * is written, so a slow producer's output is not held back. @default 10
   */
  lingerMs?: number;
  /**
   * For sync sources: the longest the producer runs before it waits for a
   * timer, so that other connections are served meanwhile. Each wait costs
   * 1–3 ms, about 10% of throughput at 20. @default 20
   */
  sliceMs?: number;
  /**
   * Called once if the source throws after the first chunk was produced. The
   * text it returns is written after what was gathered so far, before the
   * stream errors; return `undefined` to write nothing extra.
   */
  finalRecord?: (error: unknown) => string | undefined;
  /**
   * How long the final record may take through transforms downstream (a
   * compressor that batches writes drops what it holds when the stream
   * errors) before the stream errors. @default 50
   */
  errorDelayMs?: number;
}

/** A stream whose first chunk was produced ahead of time. */
export type PrimedStream = ReadableStream<Uint8Array>;

/**
 * Turns an iterator into a pull stream (high-water mark 0: at most one chunk
 * is produced ahead of the reader), producing the first chunk before it
 * returns, so a source that fails at once fails here — while a handler can
 * still answer with an error status instead of a truncated 200. Cancelling
 * the stream calls the iterator's `return()`.
 *
 * @param source A sync or async iterable of strings (UTF-8 encoded) or bytes.
 * @param options Chunk size, time slices and the final error record.
 * @returns The stream, its first chunk already produced.
 * @throws Whatever the source threw while producing the first chunk (after
 * calling its `return()`).
 * @example
 * ```ts
 * const body = await primedIteratorStream(["a", "b"]);
 * ```
 */
export async function primedIteratorStream(
  source: Iterable<StreamItem> | AsyncIterable<StreamItem>,
  options: IteratorStreamOptions = {},
): Promise<PrimedStream> {
  const chunker = new Chunker(source, options.chunkSize ?? 65536);
  let first: Uint8Array | undefined;
  try {
    first = await chunker.fill(options.lingerMs ?? 10);
  } catch (error) {
    chunker.discard();
    await chunker.cancel(error).catch(() => {});
    throw error;
  }
  return makeStream(chunker, options, first);
}

/** The stream over a chunker whose `first` chunk was produced already. */
function makeStream(
  chunker: Chunker,
  options: IteratorStreamOptions,
  first: Uint8Array | undefined,
): ReadableStream<Uint8Array> {
  const guard = chunker.isSync ? new LoopGuard(options.sliceMs ?? 20) : undefined;
  const lingerMs = options.lingerMs ?? 10;
  let failure: { error: unknown } | undefined;
  let pending: { chunk: Uint8Array | undefined } | undefined = { chunk: first };
  let delay: { timer: ReturnType<typeof setTimeout>; resolve: () => void } | undefined;
  const stopDelay = () => {
    clearTimeout(delay?.timer);
    delay?.resolve();
    delay = undefined;
  };
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (failure !== undefined) {
        // The final record went out with the last chunk; let it drain, then fail the body.
        guard?.dispose();
        await new Promise<void>((resolve) => {
          delay = { timer: setTimeout(resolve, options.errorDelayMs ?? 50), resolve };
        });
        delay = undefined;
        controller.error(failure.error);
        return;
      }
      let chunk: Uint8Array | undefined;
      if (pending !== undefined) {
        chunk = pending.chunk;
        pending = undefined;
      } else {
        await guard?.breathe();
        try {
          chunk = await chunker.fill(lingerMs);
        } catch (error) {
          // Deliver what was gathered and the record, then error on the next
          // pull: erroring now would discard the queued chunk.
          const record = options.finalRecord?.(error);
          const last = chunker.takeWith(record);
          if (last === undefined) {
            guard?.dispose();
            controller.error(error);
          } else {
            failure = { error };
            controller.enqueue(last);
          }
          return;
        }
      }
      if (chunk === undefined) {
        guard?.dispose();
        controller.close();
      } else {
        controller.enqueue(chunk);
      }
    },
    async cancel(reason) {
      guard?.dispose();
      stopDelay();
      chunker.discard();
      await chunker.cancel(reason);
    },
  }, { highWaterMark: 0 });
}
