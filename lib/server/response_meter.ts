/**
 * Watches a response body on its way to the client: counts the bytes the
 * client actually took and reports how the body ended, once, when it ended —
 * not when the handler returned.
 *
 * @module
 */

import { isInMemory } from "../http/in_memory.ts";
import { releaseChunk } from "../streams/release_chunk.ts";
import type { StallWatch } from "./stall_watch.ts";
import type { Throttle } from "./throttle.ts";

/**
 * How a response body ended: sent in full, cancelled by the client, failed
 * (a source error or a shutdown), cut off because the client stopped taking
 * bytes, or cut off to make room on a full server.
 */
export type Outcome = "complete" | "aborted" | "failed" | "stalled" | "evicted";

/** What {@linkcode meterResponse} reports when the body ends. */
export interface BodyEnd {
  outcome: Outcome;
  /** Bytes handed to the connection. */
  bytes: number;
  /** The error, when the body failed. */
  error?: unknown;
}

/** Options for {@linkcode meterResponse}. */
export interface MeterOptions {
  /** Drops the body when the client takes nothing for the watch's timeout. @default undefined */
  stallWatch?: StallWatch;
  /** Paces the body (`--rate-limit`). @default undefined */
  throttle?: Throttle;
}

/**
 * The error a body is cut off with on purpose (a stalled client, a shutdown):
 * expected, already in the access log, not a bug to report.
 */
export class CutOffError extends Error {
  override name = "CutOffError";
}

/** A metered response and a way to cut it off. */
export interface MeteredResponse {
  response: Response;
  /**
   * Ends the body now, as a failure the client sees (a truncated transfer):
   * used when draining and when the client stalls.
   */
  abort(reason: unknown, outcome?: Outcome): void;
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
  options: MeterOptions = {},
): MeteredResponse {
  if (isInMemory(response)) {
    const bytes = Number(response.headers.get("content-length") ?? 0);
    queueMicrotask(() => onEnd({ outcome: "complete", bytes, error: undefined }));
    return { response, abort: () => {} };
  }
  if (response.body === null) {
    // Nothing to stream: it has ended once the caller has it (a microtask
    // later, so the caller can finish its own bookkeeping first).
    queueMicrotask(() => onEnd({ outcome: "complete", bytes: 0, error: undefined }));
    return { response, abort: () => {} };
  }
  const { throttle } = options;
  const reader = response.body.getReader();
  let ended = false;
  let bytes = 0;
  // Wakes a throttled pull that is sleeping when the body ends.
  const pacing = new AbortController();
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let previous: Uint8Array | undefined;
  // A big chunk may go out in pieces (a throttle, a slow client); `rest` is what is left.
  let rest: Uint8Array | undefined;
  const finish = (outcome: Outcome, error?: unknown) => {
    if (ended) return;
    ended = true;
    stall?.stop();
    pacing.abort();
    onEnd({ outcome, bytes, error });
  };
  const abort = (reason: unknown, outcome: Outcome = "failed") => {
    if (ended) return;
    finish(outcome, reason);
    controller.error(reason);
    reader.cancel(reason).catch(() => {});
  };
  const stall = options.stallWatch?.track((waitedMs, reason) => {
    const seconds = (waitedMs / 1000).toFixed(1);
    const message = reason === "stalled"
      ? `The client took no bytes for ${seconds} s, past its stall allowance`
      : `Cut off to make room: the server was full and this client had taken no bytes for ${seconds} s`;
    abort(new CutOffError(message), reason);
  });
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
    },
    async pull(c) {
      stall?.busy();
      // Deno.serve asks for a chunk only once it holds the previous one: a
      // marked buffer can go now instead of at the next garbage collection.
      if (previous !== undefined) releaseChunk(previous);
      previous = undefined;
      let chunk = rest;
      rest = undefined;
      if (chunk === undefined) {
        let result: ReadableStreamReadResult<Uint8Array>;
        try {
          result = await reader.read();
        } catch (error) {
          if (ended) return;
          finish("failed", error);
          c.error(error);
          return;
        }
        // Cut off while it waited for the source: the body is errored already.
        if (ended) return;
        if (result.done) {
          finish("complete");
          c.close();
          return;
        }
        chunk = result.value;
      }
      // A slow client gets small pieces: each one it takes is a write that
      // completes, which is all the stall watch can see of it.
      const piece = Math.min(throttle?.maxPiece ?? Infinity, stall?.maxPiece ?? Infinity);
      if (chunk.byteLength > piece) {
        rest = chunk.subarray(piece);
        chunk = chunk.subarray(0, piece);
      }
      if (throttle !== undefined) {
        const wait = throttle.delayMs(bytes);
        if (wait > 0 && !(await sleep(wait, pacing.signal))) return;
      }
      bytes += chunk.byteLength;
      // Release the buffer only after its last piece went out.
      if (rest === undefined) previous = chunk;
      c.enqueue(chunk);
      stall?.waiting(bytes);
    },
    cancel(reason) {
      finish("aborted", reason);
      return reader.cancel(reason);
    },
  }, { highWaterMark: 0 });
  const metered = new Response(body, { status: response.status, headers: response.headers });
  return { response: metered, abort };
}

/** Waits `ms`, or less when `signal` aborts; resolves false when it did. */
function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve(true);
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
