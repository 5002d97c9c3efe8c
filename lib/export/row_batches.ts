/**
 * A backend's row reader as the `ReadableStream` an export chain starts with.
 *
 * @module
 */

import type { RowReader, RowStream } from "./export_source.ts";
import { LoopGuard } from "../streams/_loop_guard.ts";

/** Options for {@linkcode rowBatches}. */
export interface RowBatchesOptions {
  /**
   * For a synchronous reader (node:sqlite): the longest it reads before it
   * waits for a timer, so other connections are served meanwhile. An
   * asynchronous reader waits on I/O anyway and leaves it out. @default none
   */
  sliceMs?: number;
}

/**
 * Wraps a reader in a pull stream (one batch read per pull, none ahead).
 * Cancelling the stream calls the reader's `return()` at once, even while a
 * `next()` is pending (a slow FETCH is cancelled rather than waited for),
 * which is why readers are plain objects and not async generators: a
 * generator queues `return()` behind a pending `next()`.
 *
 * @param reader The reader; it releases what it holds when it ends or fails.
 * @param options Time slices for a synchronous reader.
 * @returns The rows, and the reader's count.
 * @example
 * ```ts
 * const rows = rowBatches(new TableReader("data/sluice.db", { table: "items", columns: ["id"] }));
 * for await (const batch of rows.batches) console.log(batch.length);
 * ```
 */
export function rowBatches(reader: RowReader, options: RowBatchesOptions = {}): RowStream {
  const guard = options.sliceMs === undefined ? undefined : new LoopGuard(options.sliceMs);
  let cancelled = false;
  const batches = new ReadableStream<unknown[][]>({
    async pull(controller) {
      await guard?.breathe();
      let result: IteratorResult<unknown[][]>;
      try {
        result = await reader.next();
      } catch (error) {
        guard?.dispose();
        if (!cancelled) controller.error(error);
        return;
      }
      if (cancelled) return;
      if (result.done) {
        guard?.dispose();
        controller.close();
      } else {
        controller.enqueue(result.value);
      }
    },
    async cancel() {
      cancelled = true;
      guard?.dispose();
      await reader.return();
    },
  }, { highWaterMark: 0 });
  return { total: reader.total, batches };
}
