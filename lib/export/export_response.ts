/**
 * The export chain's last link: its encoded text as a streamed response, and
 * the NDJSON error record a failed export ends with.
 *
 * @module
 */

import { HttpError, statusTitle } from "../http/http_error.ts";
import { streamResponse } from "../streams/stream_response.ts";
import { ExportLimitError } from "./export_limits.ts";
import { ndjsonErrorRecord } from "./row_format.ts";
import type { EncodedRows } from "./row_encoder_stream.ts";

/** Options for {@linkcode exportResponse}. */
export interface ExportResponseOptions {
  headers: Headers;
  /** Bytes per write. @default 65536 */
  chunkSize?: number;
  /** End a failed export with an `$error` record (NDJSON). @default false */
  errorRecord?: boolean;
  /**
   * The resume token of the last row sent (lib/export/resume_token.ts),
   * which the error record offers to resume after; none when undefined.
   */
  resumeToken?: (last: unknown[]) => string | number | undefined;
}

/** What the last link passed on: where a failed export stopped. */
interface Sent {
  rows: number;
  last: unknown[] | undefined;
}

/**
 * Streams an export's text: gathered into writes of `chunkSize` (the chain's
 * one batcher), with the status committed once the first write was produced
 * (a read that fails at once is still a 4xx/5xx), and a failure after that
 * ending the transfer as a failure, after the error record when asked. The
 * record's row count and resume key are those of the rows this link passed
 * on, which are the rows the client got.
 *
 * @param text The encoded rows (after the limits).
 * @param options Headers, write size and the error record.
 * @returns The response.
 * @throws Whatever the chain failed with before its first write.
 * @example
 * ```ts
 * const text = rows.batches.pipeThrough(new RowEncoderStream("ndjson", ["id"]));
 * const res = await exportResponse(text, { headers: new Headers(), errorRecord: true });
 * ```
 */
export function exportResponse(
  text: ReadableStream<EncodedRows>,
  options: ExportResponseOptions,
): Promise<Response> {
  const reader = text.getReader();
  const sent: Sent = { rows: 0, last: undefined };
  // Not an async generator: its return() would wait for a pending read, and
  // the reader's cancel() must reach the database at once.
  const pieces: AsyncIterableIterator<string> = {
    [Symbol.asyncIterator]() {
      return this;
    },
    async next() {
      const result = await reader.read();
      if (result.done) return { done: true, value: undefined };
      sent.rows += result.value.rows;
      sent.last = result.value.last ?? sent.last;
      return { done: false, value: result.value.text };
    },
    async return(reason?: unknown) {
      await reader.cancel(reason);
      return { done: true, value: undefined };
    },
  };
  return streamResponse(pieces, {
    headers: options.headers,
    chunkSize: options.chunkSize,
    finalRecord: options.errorRecord
      ? (error) => failureRecord(error, sent, options.resumeToken)
      : undefined,
  });
}

/** The NDJSON error record: how many rows came before it, and where to resume. */
function failureRecord(
  error: unknown,
  sent: Sent,
  resumeToken: ExportResponseOptions["resumeToken"],
): string {
  const token = sent.last === undefined ? undefined : resumeToken?.(sent.last);
  const resume = token === undefined ? {} : { after: token };
  // An HttpError's message is safe to show; anything else stays in the log.
  const status = error instanceof HttpError ? error.status : 500;
  return ndjsonErrorRecord({
    status,
    title: statusTitle(status),
    detail: (error instanceof ExportLimitError
      ? `${error.message} after ${sent.rows} rows.`
      : error instanceof HttpError
      ? `${error.message}.`
      : `The export failed after ${sent.rows} rows; see the server log.`) +
      (token === undefined ? "" : ` Resume with ?after=${encodeURIComponent(token)}.`),
    rows: sent.rows,
    ...resume,
  });
}
