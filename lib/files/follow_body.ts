/**
 * The response body of a follow: pulls events from a follower only as fast
 * as the client takes bytes, encodes them, and stops the follower (closing
 * its file) when the client leaves.
 *
 * @module
 */

import type { FollowEvent } from "./follow_file.ts";
import { markReleasable } from "../streams/release_chunk.ts";

/** What {@linkcode followBody} calls on the way out. */
export interface FollowBodyHooks {
  /** Aborted when the client cancels or the encoder fails. */
  stop: AbortController;
  /** Runs once when the body ends (closes what the follower has not). */
  release(): void;
}

/**
 * A pull stream over a follower (high-water mark 0: nothing is read ahead of
 * the client, so memory stays one chunk per follower however slow the reader).
 *
 * @param events The follower (see `followFile`); its `return()` closes its file.
 * @param encode Turns an event into bytes (empty bytes send nothing), in a
 * buffer of their own that nothing touches once returned.
 * @param hooks `stop` is aborted when the client cancels, so a follower
 * waiting for news wakes and ends instead of holding its file until the next
 * change; `release` runs once when the body ends, however it ends.
 * @returns The body; it closes when the events end (file gone, or a drain).
 * @example
 * ```ts
 * const stop = new AbortController();
 * const events = followFile(file, { signal: stop.signal, ...rest });
 * const body = followBody(events, encode, { stop, release: () => {} });
 * ```
 */
export function followBody(
  events: AsyncGenerator<FollowEvent, void, undefined>,
  encode: (event: FollowEvent) => Uint8Array,
  hooks: FollowBodyHooks,
): ReadableStream<Uint8Array> {
  const { stop } = hooks;
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    hooks.release();
  };
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      // Events that encode to nothing (a plain follow's heartbeat) send nothing.
      for (;;) {
        let result: IteratorResult<FollowEvent, void>;
        let bytes: Uint8Array;
        try {
          result = await events.next();
          if (result.done) {
            release();
            return controller.close();
          }
          bytes = encode(result.value);
        } catch (error) {
          stop.abort();
          await events.return();
          release();
          return controller.error(error);
        }
        // Each chunk is a buffer of its own, used once: freed as soon as Deno holds it.
        if (bytes.byteLength > 0) return controller.enqueue(markReleasable(bytes));
      }
    },
    async cancel() {
      stop.abort();
      await events.return();
      release();
    },
  }, { highWaterMark: 0 });
}
