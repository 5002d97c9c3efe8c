/**
 * A followed file as Server-Sent Events (WHATWG HTML §9.2): one `message`
 * event per line, whose `id` is the byte offset just past that line, so a
 * client that reconnects with `Last-Event-ID: N` resumes at byte N with no
 * line lost or repeated.
 *
 * @module
 */

import type { FollowEvent } from "./follow_file.ts";

/** A line longer than this is sent in pieces rather than held back whole. */
export const MAX_EVENT_LINE = 65536;

const encoder = new TextEncoder();
const NEWLINE = 0x0a;

/**
 * Turns follow events into SSE bytes. A line still being written (no newline
 * yet) is held until its newline comes, it passes {@linkcode MAX_EVENT_LINE},
 * or the file ends, rotates or is truncated.
 *
 * - `truncated` / `rotated`: an event of that name, with `id: 0` (the next
 *   line's offset is in the new file), data `{"size":N}` or `{}`.
 * - `gone`: an event `gone`, after which the stream ends.
 * - `idle`: a comment line, the heartbeat that keeps proxies from timing out.
 *
 * @param start The offset the first event's bytes start at.
 * @returns The encoder: feed it events in order, each gives the bytes to send.
 * @example
 * ```ts
 * const encode = sseEncoder(0);
 * encode({ kind: "data", offset: 0, bytes: new TextEncoder().encode("a\nb") });
 * // "id: 2\ndata: a\n\n" ("b" waits for its newline)
 * ```
 */
export function sseEncoder(start: number): (event: FollowEvent) => Uint8Array {
  let pending = new Uint8Array(0);
  /** The offset just past `pending`. */
  let end = start;
  const decoder = new TextDecoder();

  /** An event for a line (`ended`: it ended at LF) or a piece of one. */
  const lineEvent = (line: Uint8Array, id: number, ended = false): string => {
    // A CRLF's CR goes with the LF. Any other CR would end the SSE field early
    // (CR is an SSE line end too), so it becomes U+FFFD.
    const body = ended && line.at(-1) === 0x0d ? line.subarray(0, -1) : line;
    const text = decoder.decode(body).replaceAll("\r", "\uFFFD");
    return `id: ${id}\ndata: ${text}\n\n`;
  };
  const flushPending = (): string => {
    if (pending.byteLength === 0) return "";
    const text = lineEvent(pending, end);
    pending = new Uint8Array(0);
    return text;
  };

  return (event) => {
    let out = "";
    switch (event.kind) {
      case "data": {
        const bytes = pending.byteLength === 0 ? event.bytes : concat(pending, event.bytes);
        const base = event.offset - pending.byteLength;
        let from = 0;
        // Lines longer than MAX_EVENT_LINE go in pieces of it; a resume continues mid-line.
        const pieces = (to: number) => {
          for (; to - from > MAX_EVENT_LINE; from += MAX_EVENT_LINE) {
            out += lineEvent(
              bytes.subarray(from, from + MAX_EVENT_LINE),
              base + from + MAX_EVENT_LINE,
            );
          }
        };
        for (let i = bytes.indexOf(NEWLINE); i !== -1; i = bytes.indexOf(NEWLINE, from)) {
          pieces(i);
          out += lineEvent(bytes.subarray(from, i), base + i + 1, true);
          from = i + 1;
        }
        pieces(bytes.byteLength);
        pending = bytes.slice(from);
        end = event.offset + event.bytes.byteLength;
        break;
      }
      case "truncated":
        out = flushPending() + `event: truncated\nid: 0\ndata: {"size":${event.size}}\n\n`;
        end = 0;
        break;
      case "rotated":
        out = flushPending() + "event: rotated\nid: 0\ndata: {}\n\n";
        end = 0;
        break;
      case "gone":
        out = flushPending() + "event: gone\ndata: {}\n\n";
        break;
      case "idle":
        out = ": heartbeat\n\n";
        break;
    }
    return encoder.encode(out);
  };
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const joined = new Uint8Array(a.byteLength + b.byteLength);
  joined.set(a);
  joined.set(b, a.byteLength);
  return joined;
}
