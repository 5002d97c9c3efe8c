/**
 * Caps on one export — rows, bytes and seconds — and the row count it
 * announced, which end it as an honest failure (the client's transfer fails;
 * NDJSON gets an error record first), never as a clean, silently short file.
 *
 * @module
 */

import { HttpError } from "../http/http_error.ts";
import type { EncodedRows } from "./row_encoder_stream.ts";

/** The caps; 0 turns one off. */
export interface ExportLimits {
  maxRows: number;
  maxBytes: number;
  maxSeconds: number;
}

/**
 * Thrown into an export's stream when it passes a cap: a 413 when that happens
 * before the first byte, a failed transfer after.
 */
export class ExportLimitError extends HttpError {
  constructor(message: string) {
    super(413, message);
    this.name = "ExportLimitError";
  }
}

const encoder = new TextEncoder();
// deno-lint-ignore no-control-regex
const NON_ASCII = /[^\x00-\x7f]/;

/** UTF-8 length of a string; cheap for ASCII, which exports mostly are. */
function utf8Length(text: string): number {
  return NON_ASCII.test(text) ? encoder.encode(text).byteLength : text.length;
}

/** Options for {@linkcode ExportLimitStream}. */
export interface ExportLimitOptions {
  /**
   * The row count announced to the client (`X-Total-Rows`): an export that
   * ends with another number of rows fails instead of ending cleanly.
   */
  announcedRows?: number;
}

/**
 * Passes an export's encoded text through, failing once it has produced more
 * rows, bytes or seconds than allowed (the piece that passed a cap is not
 * sent), or when it ends with a row count other than the one announced.
 * Bytes are counted only when a byte cap is set. Failing cancels the rows
 * before it, which releases the read.
 *
 * @example
 * ```ts
 * const limited = encoded.pipeThrough(
 *   new ExportLimitStream({ maxRows: 0, maxBytes: 0, maxSeconds: 3600 }, { announcedRows: 1000 }),
 * );
 * ```
 */
export class ExportLimitStream extends TransformStream<EncodedRows, EncodedRows> {
  /**
   * @param limits The caps.
   * @param options The announced row count.
   */
  constructor(limits: ExportLimits, options: ExportLimitOptions = {}) {
    const { maxRows, maxBytes, maxSeconds } = limits;
    const started = performance.now();
    let rows = 0;
    let bytes = 0;
    const overLimit = (piece: EncodedRows): string | undefined => {
      rows += piece.rows;
      if (maxBytes > 0) bytes += utf8Length(piece.text);
      if (maxRows > 0 && rows > maxRows) return `${maxRows} rows`;
      if (maxBytes > 0 && bytes > maxBytes) return `${maxBytes} bytes`;
      if (maxSeconds > 0 && performance.now() - started > maxSeconds * 1000) {
        return `${maxSeconds} seconds`;
      }
      return undefined;
    };
    super({
      transform(piece, controller) {
        const why = overLimit(piece);
        if (why !== undefined) throw new ExportLimitError(`The export passed the limit of ${why}`);
        controller.enqueue(piece);
      },
      flush() {
        const announced = options.announcedRows;
        if (announced !== undefined && rows !== announced) {
          throw new RowCountError(
            `X-Total-Rows announced ${announced} rows, but the export read ${rows} ` +
              "(the rows changed meanwhile, or some were skipped)",
          );
        }
      },
    });
  }
}

/**
 * Thrown into an export's stream when it ends with another number of rows
 * than it announced: its rows changed meanwhile, or a read skipped some.
 */
export class RowCountError extends HttpError {
  constructor(message: string) {
    super(500, message);
    this.name = "RowCountError";
  }
}
