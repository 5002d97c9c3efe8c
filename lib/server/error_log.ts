/**
 * One log line for an unexpected error (a 500 the handler did not mean):
 * in text a line with the stack escaped, in JSON one record with the stack
 * as a field, so neither a stack's newlines nor a client's name in the
 * message can split it.
 *
 * @module
 */

import { escapeControls, logJson } from "./log_escape.ts";

/** What one error line records. */
export interface ErrorEntry {
  time: Date;
  /** The request's id, or `-` for an error outside any request. */
  requestId: string;
  error: unknown;
}

/**
 * Formats an error as text (`2026-11-24T21:00:00.000Z 3f2a error: Error: …\n    at …`
 * with `\n` escaped) or as one JSON object (`time`, `request_id`, `error`, `stack`).
 *
 * @param entry The entry.
 * @param format `text` for people, `json` for log pipelines.
 * @returns The line, without a newline.
 * @example
 * ```ts
 * formatErrorLog({ time: new Date(), requestId: "3f2a", error: new Error("x") }, "json");
 * ```
 */
export function formatErrorLog(entry: ErrorEntry, format: "text" | "json"): string {
  const { error } = entry;
  const message = error instanceof Error ? error.message : String(error);
  const stack = error instanceof Error ? error.stack : undefined;
  if (format === "json") {
    return logJson({
      time: entry.time.toISOString(),
      request_id: entry.requestId,
      error: message,
      ...(stack === undefined ? {} : { stack }),
    });
  }
  return `${entry.time.toISOString()} ${entry.requestId} error: ${
    escapeControls(stack ?? message)
  }`;
}
