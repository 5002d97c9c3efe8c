/**
 * Caps on one export — rows, bytes and seconds — that end it as an honest
 * failure (the client's transfer fails; NDJSON gets an error record first),
 * never as a clean, silently short file.
 *
 * @module
 */

import { HttpError } from "../http/http_error.ts";
import type { RowProgress } from "./row_format.ts";

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

/**
 * Passes an export's text through, failing once it has produced more rows,
 * bytes or seconds than allowed. Rows are read from `progress`, which the
 * serializer updates; bytes are counted only when a byte cap is set.
 *
 * A class, like `SerializedRows`, so that `return()` reaches the source at
 * once even while a `next()` waits on a slow query.
 *
 * @example
 * ```ts
 * const text = new LimitedExport(rows, { maxRows: 0, maxBytes: 0, maxSeconds: 3600 }, progress);
 * ```
 */
export class LimitedExport implements AsyncIterableIterator<string> {
  readonly #text: AsyncIterableIterator<string>;
  readonly #limits: ExportLimits;
  readonly #progress: RowProgress;
  readonly #started = performance.now();
  #bytes = 0;
  /** Rows and last row of what was passed on, to report where to resume. */
  #delivered: RowProgress = { rows: 0, lastRow: undefined };

  /**
   * @param text The export's text, batch by batch.
   * @param limits The caps.
   * @param progress The serializer's row counter.
   */
  constructor(text: AsyncIterableIterator<string>, limits: ExportLimits, progress: RowProgress) {
    this.#text = text;
    this.#limits = limits;
    this.#progress = progress;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /**
   * The next batch.
   *
   * @throws {ExportLimitError} After the batch that passed a cap (the source is released).
   */
  async next(): Promise<IteratorResult<string>> {
    const next = await this.#text.next();
    if (next.done) return next;
    const why = this.#overLimit(next.value);
    if (why !== undefined) {
      // The batch is dropped: progress must say what the client got.
      this.#progress.rows = this.#delivered.rows;
      this.#progress.lastRow = this.#delivered.lastRow;
      await this.#text.return?.();
      throw new ExportLimitError(`The export passed the limit of ${why}`);
    }
    this.#delivered = { rows: this.#progress.rows, lastRow: this.#progress.lastRow };
    return next;
  }

  /** Stops, and releases the source. */
  async return(): Promise<IteratorResult<string>> {
    await this.#text.return?.();
    return { done: true, value: undefined };
  }

  #overLimit(batch: string): string | undefined {
    const { maxRows, maxBytes, maxSeconds } = this.#limits;
    if (maxBytes > 0) this.#bytes += utf8Length(batch);
    if (maxRows > 0 && this.#progress.rows > maxRows) return `${maxRows} rows`;
    if (maxBytes > 0 && this.#bytes > maxBytes) return `${maxBytes} bytes`;
    if (maxSeconds > 0 && performance.now() - this.#started > maxSeconds * 1000) {
      return `${maxSeconds} seconds`;
    }
    return undefined;
  }
}
