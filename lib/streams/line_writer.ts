/**
 * Log lines written in batches: one write per 20 ms (or per 64 KiB) instead of
 * a synchronous write per line. Under load the access log was a measurable
 * share of a small request's cost (bench/: `op_print` at 3% of CPU samples).
 *
 * @module
 */

import { ByteBatch } from "./byte_batch.ts";

const encoder = new TextEncoder();

/** A batching line writer. */
export interface LineWriter {
  /** Queues one line (without its newline). */
  write(line: string): void;
  /** Writes what is queued now; call it before exiting. */
  flush(): void;
}

/**
 * Batches lines to a synchronous sink such as `Deno.stdout.writeSync`.
 *
 * @param sink Writes bytes; called with whole lines only.
 * @param delayMs How long a line may wait. @default 20
 * @returns The writer.
 * @example
 * ```ts
 * const out = lineWriter((bytes) => Deno.stdout.writeSync(bytes));
 * out.write("hello");
 * ```
 */
export function lineWriter(sink: (bytes: Uint8Array) => unknown, delayMs = 20): LineWriter {
  const write = (chunk: Uint8Array) => {
    let bytes = chunk;
    while (bytes.byteLength > 0) {
      const n = sink(bytes);
      bytes = bytes.subarray(typeof n === "number" && n > 0 ? n : bytes.byteLength);
    }
  };
  const batch = new ByteBatch({ bytes: 65536, delay: delayMs, onTimeout: write });
  return {
    write(line) {
      const full = batch.add(encoder.encode(line + "\n"));
      if (full !== undefined) write(full);
    },
    flush() {
      const queued = batch.take();
      if (queued !== undefined) write(queued);
    },
  };
}
