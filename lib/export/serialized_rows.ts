/**
 * An export's text, read from an async {@linkcode RowReader} a batch at a time.
 *
 * @module
 */

import type { RowReader } from "./export_source.ts";
import {
  type RowEncoder,
  rowEncoder,
  type RowFormatName,
  type SerializeOptions,
} from "./row_format.ts";

/**
 * The async counterpart of `serializeRows()`: yields the head, one string per
 * batch, then the tail. It is a class rather than an async generator because a
 * generator queues `return()` behind a pending `next()`: here `return()` goes
 * straight to the reader, so a client that leaves while a slow query runs
 * cancels that query instead of waiting for it.
 *
 * @example
 * ```ts
 * const reader = await source.openReader({ table: "items", columns: ["id"], key: "id" });
 * const text = new SerializedRows("ndjson", ["id"], reader);
 * const res = await streamResponse(text, { headers: { "content-type": "application/x-ndjson" } });
 * ```
 */
export class SerializedRows implements AsyncIterableIterator<string> {
  readonly #encoder: RowEncoder;
  readonly #rows: RowReader;
  #step: "head" | "rows" | "tail" | "done" = "head";

  /**
   * @param format The format.
   * @param columns The column names (at least one).
   * @param rows The reader; `return()` and the end of the text release it.
   * @param options BOM and progress, as for `serializeRows()`.
   */
  constructor(
    format: RowFormatName,
    columns: string[],
    rows: RowReader,
    options: SerializeOptions = {},
  ) {
    this.#encoder = rowEncoder(format, columns, options);
    this.#rows = rows;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  async next(): Promise<IteratorResult<string>> {
    if (this.#step === "head") {
      this.#step = "rows";
      const head = this.#encoder.head();
      if (head !== "") return { done: false, value: head };
    }
    if (this.#step === "rows") {
      let result: IteratorResult<unknown[][]>;
      try {
        result = await this.#rows.next();
      } catch (error) {
        this.#step = "done";
        throw error;
      }
      if (this.#step !== "rows") return { done: true, value: undefined };
      if (!result.done) return { done: false, value: this.#encoder.batch(result.value) };
      this.#step = "tail";
    }
    if (this.#step === "tail") {
      this.#step = "done";
      const tail = this.#encoder.tail();
      if (tail !== "") return { done: false, value: tail };
    }
    return { done: true, value: undefined };
  }

  /** Stops, and releases the reader (cancelling its query if one runs). */
  async return(): Promise<IteratorResult<string>> {
    this.#step = "done";
    await this.#rows.return();
    return { done: true, value: undefined };
  }
}
