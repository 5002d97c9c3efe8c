/**
 * Watches a response body on its way to the client: counts the bytes the
 * client actually took and reports how the body ended, once, when it ended —
 * not when the handler returned.
 *
 * @module
 */

import { releaseChunk } from "./release_chunk.ts";

/** How a response body ended. */
export type Outcome = "complete" | "aborted" | "failed";

/** What {@linkcode meterResponse} reports when the body ends. */
export interface BodyEnd {
  outcome: Outcome;
  /** Bytes handed to the connection. */
  bytes: number;
  /** The error, when the body failed. */
  error?: unknown;
}

/** A metered response and a way to cut it off. */
export interface MeteredResponse {
  response: Response;
  /** Ends the body now, as a failure the client sees (used when draining). */
  abort(reason: unknown): void;
}

/**
 * Wraps a response so that `onEnd` runs exactly once when its body completes,
 * is cancelled by the client, or fails. The wrapper pulls one chunk per read
 * (high-water mark 0), so it adds no buffering of its own.
 *
 * The wrapped body must be the one `Deno.serve` sends, read by nothing else:
 * it releases each chunk marked by `markReleasable` once the runtime has it.
 *
 * @param response The handler's response.
 * @param onEnd Called once with the outcome and the byte count.
 * @returns The response to send, and an `abort` for shutdown.
 * @example
 * ```ts
 * const { response } = meterResponse(new Response("hi"), (end) => console.log(end));
 * ```
 */
export function meterResponse(
  response: Response,
  onEnd: (end: BodyEnd) => void,
): MeteredResponse {
  let ended = false;
  let bytes = 0;
  const finish = (outcome: Outcome, error?: unknown) => {
    if (ended) return;
    ended = true;
    onEnd({ outcome, bytes, error });
  };
  if (response.body === null) {
    // Nothing to stream: it has ended once the caller has it (a microtask
    // later, so the caller can finish its own bookkeeping first).
    queueMicrotask(() => finish("complete"));
    return { response, abort: () => {} };
  }
  const reader = response.body.getReader();
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let previous: Uint8Array | undefined;
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
    },
    async pull(c) {
      // Deno.serve asks for a chunk only once it holds the previous one: a
      // marked buffer can go now instead of at the next garbage collection.
      if (previous !== undefined) releaseChunk(previous);
      previous = undefined;
      let result: ReadableStreamReadResult<Uint8Array>;
      try {
        result = await reader.read();
      } catch (error) {
        finish("failed", error);
        c.error(error);
        return;
      }
      if (result.done) {
        finish("complete");
        c.close();
        return;
      }
      bytes += result.value.byteLength;
      previous = result.value;
      c.enqueue(result.value);
    },
    cancel(reason) {
      finish("aborted", reason);
      return reader.cancel(reason);
    },
  }, { highWaterMark: 0 });
  const metered = new Response(body, { status: response.status, headers: response.headers });
  return {
    response: metered,
    abort(reason) {
      if (ended) return;
      finish("failed", reason);
      controller.error(reason);
      reader.cancel(reason).catch(() => {});
    },
  };
}
