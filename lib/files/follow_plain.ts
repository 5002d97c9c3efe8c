/**
 * A followed file as plain bytes, like `tail -F` on a terminal: the file's
 * bytes as they are, with a line of its own when the file is truncated,
 * replaced or gone.
 *
 * @module
 */

import type { FollowEvent } from "./follow_file.ts";

/** A binary file's stream cannot say "start again": it fails instead. */
export class FollowRestartError extends Error {
  override name = "FollowRestartError";
}

const encoder = new TextEncoder();
const EMPTY = new Uint8Array(0);

/**
 * Turns follow events into the bytes of a plain (non-SSE) follow.
 *
 * For text, a truncation, rotation or deletion is a line in `tail`'s own
 * style (`==> sluice: app.log was truncated; following from its start <==`),
 * between newlines. A binary file (a recording) has no such terms: inserted
 * text would corrupt it, so truncation or rotation fails the transfer (the
 * client sees a broken download, not a silently spliced one). Heartbeats are
 * SSE only: a plain body has no bytes to spare.
 *
 * @param name The file's name, for the notices.
 * @param isText Whether the content type is text (notices may be inserted).
 * @returns The encoder.
 * @throws {FollowRestartError} From the encoder, for a binary file that restarts.
 * @example
 * ```ts
 * const encode = plainEncoder("app.log", true);
 * encode({ kind: "truncated", size: 0 });
 * // "\n==> sluice: app.log was truncated; following from its start <==\n"
 * ```
 */
export function plainEncoder(name: string, isText: boolean): (event: FollowEvent) => Uint8Array {
  const notice = (what: string) => encoder.encode(`\n==> sluice: ${name} ${what} <==\n`);
  return (event) => {
    switch (event.kind) {
      case "data":
        return event.bytes;
      case "idle":
        return EMPTY;
      case "gone":
        return isText ? notice("is gone; following ended") : EMPTY;
      default: {
        const what = event.kind === "truncated" ? "was truncated" : "was replaced";
        if (!isText) {
          throw new FollowRestartError(`${name} ${what}; a binary follow cannot restart`);
        }
        return notice(`${what}; following from its start`);
      }
    }
  };
}
