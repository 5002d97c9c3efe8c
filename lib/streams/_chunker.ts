/**
 * Pulls items from a sync or async iterator and gathers them into chunks of
 * about `chunkSize` bytes. Private to lib/iterator_stream.ts.
 *
 * @module
 */

import { ByteBatch } from "./byte_batch.ts";

/** What a source may yield: text (written as UTF-8) or bytes. */
export type StreamItem = string | Uint8Array;

const LINGER = Symbol("linger");

/** Gathers iterator items into chunks. */
export class Chunker {
  readonly isSync: boolean;
  readonly #sync: Iterator<StreamItem> | undefined;
  readonly #async: AsyncIterator<StreamItem> | undefined;
  readonly #chunkSize: number;
  readonly #encoder = new TextEncoder();
  #text = "";
  /** Bytes, and text encoded whenever bytes follow it. */
  #bytes = new ByteBatch({ bytes: Infinity });
  #size = 0;
  #done = false;
  /** An async `next()` that outlived its chunk's linger time. */
  #pending: Promise<IteratorResult<StreamItem>> | undefined;

  constructor(source: Iterable<StreamItem> | AsyncIterable<StreamItem>, chunkSize: number) {
    if (!(chunkSize >= 1)) throw new RangeError(`Cannot use chunk size ${chunkSize}: must be >= 1`);
    this.#chunkSize = chunkSize;
    if (Symbol.asyncIterator in source) {
      this.#async = source[Symbol.asyncIterator]();
      this.isSync = false;
    } else {
      this.#sync = source[Symbol.iterator]();
      this.isSync = true;
    }
  }

  /**
   * Gathers the next chunk.
   *
   * @param lingerMs For async sources, how long gathered items wait for more.
   * @returns The chunk, or undefined once the source is exhausted.
   */
  async fill(lingerMs: number): Promise<Uint8Array | undefined> {
    if (this.#done) return this.#take();
    if (this.#sync !== undefined) {
      while (this.#size < this.#chunkSize) {
        const result = this.#sync.next();
        if (result.done) {
          this.#done = true;
          break;
        }
        this.#add(result.value);
      }
      return this.#take();
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    let linger: Promise<typeof LINGER> | undefined;
    try {
      while (this.#size < this.#chunkSize) {
        const next = this.#pending ?? this.#async!.next();
        this.#pending = undefined;
        let result: IteratorResult<StreamItem>;
        if (this.#size === 0) {
          result = await next;
        } else {
          // One timer per chunk, not per item: it starts with the first item.
          linger ??= new Promise((resolve) => timer = setTimeout(resolve, lingerMs, LINGER));
          const winner = await Promise.race([next, linger]);
          if (winner === LINGER) {
            this.#pending = next;
            next.catch(() => {}); // Awaited by the next fill; don't report it twice.
            break;
          }
          result = winner;
        }
        if (result.done) {
          this.#done = true;
          break;
        }
        this.#add(result.value);
      }
    } finally {
      clearTimeout(timer);
    }
    return this.#take();
  }

  /** Returns what was gathered plus `extra` as one chunk (undefined if empty). */
  takeWith(extra: string | undefined): Uint8Array | undefined {
    if (extra !== undefined) this.#add(extra);
    return this.#take();
  }

  /** Drops what was gathered. */
  discard(): void {
    this.#text = "";
    this.#bytes.take();
    this.#size = 0;
  }

  /** Calls the iterator's `return()` so its `finally` blocks run. */
  async cancel(reason: unknown): Promise<void> {
    this.#done = true;
    try {
      if (this.#sync !== undefined) this.#sync.return?.(reason);
      else await this.#async!.return?.(reason);
    } catch {
      // A cleanup that throws has nobody left to tell: the reader is gone.
    }
  }

  #add(item: StreamItem): void {
    if (typeof item === "string") {
      this.#text += item;
      this.#size += item.length;
      return;
    }
    if (this.#text !== "") this.#bytes.add(this.#encoder.encode(this.#text));
    this.#text = "";
    // Sources yield plain buffers; a shared one would only be passed on as it is.
    this.#bytes.add(item as Uint8Array<ArrayBuffer>);
    this.#size += item.byteLength;
  }

  #take(): Uint8Array | undefined {
    if (this.#size === 0) return undefined;
    if (this.#text !== "") this.#bytes.add(this.#encoder.encode(this.#text));
    const chunk = this.#bytes.take();
    this.discard();
    return chunk;
  }
}
