/**
 * One access-log line per response, written when its body ended.
 *
 * @module
 */

import { logJson, logText } from "./log_escape.ts";
import type { Outcome } from "./response_meter.ts";

/** What one log line records. */
export interface AccessEntry {
  time: Date;
  requestId: string;
  /** Who made it: a token's name, `#link` for a signed link, `-` for nobody. */
  user: string;
  method: string;
  path: string;
  status: number;
  bytes: number;
  durationMs: number;
  outcome: Outcome;
  /** The error's message, for failed bodies. */
  error?: string;
}

/**
 * Formats an entry as text (`2026-11-24T21:00:00.000Z 3f2a alice GET
 * /media/a.mp4 206 1048576B 12.3ms complete`) or as one JSON object, on one line either
 * way (lib/server/log_escape.ts).
 *
 * @param entry The entry.
 * @param format `text` for people, `json` for log pipelines.
 * @returns The line, without a newline.
 */
export function formatAccessLog(entry: AccessEntry, format: "text" | "json"): string {
  const durationMs = Math.round(entry.durationMs * 10) / 10;
  if (format === "json") {
    return logJson({
      time: entry.time.toISOString(),
      request_id: entry.requestId,
      user: entry.user,
      method: entry.method,
      path: entry.path,
      status: entry.status,
      bytes: entry.bytes,
      duration_ms: durationMs,
      outcome: entry.outcome,
      ...(entry.error === undefined ? {} : { error: entry.error }),
    });
  }
  const error = entry.error === undefined ? "" : ` error="${logText(entry.error)}"`;
  return `${entry.time.toISOString()} ${entry.requestId} ${logText(entry.user)} ${
    logText(entry.method)
  } ${
    logText(entry.path)
  } ${entry.status} ${entry.bytes}B ${durationMs}ms ${entry.outcome}${error}`;
}
