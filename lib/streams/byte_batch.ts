/**
 * Size-or-time batching of bytes: the one batcher under `CoalesceStream`, the
 * iterator stream's chunker, the ZIP records and the access-log writer.
 *
 * @module
 */

/** Options for {@linkcode ByteBatch}. */
export interface ByteBatchOptions {
  /** `add()` hands back what is gathered once it reaches this many bytes. */
  bytes: number;
  /**
   * With `onTimeout`: the longest the oldest gathered byte waits, in ms,
   * before `onTimeout` gets the batch. @default 10
   */
  delay?: number;
  /** Takes a batch that waited `delay` ms; none is set: batches wait for `take()`. */
  onTimeout?: (chunk: Uint8Array<ArrayBuffer>) => void;
}

/**
 * Gathers byte chunks into one. A batch of one chunk is that chunk, not a
 * copy, so large chunks pass without being copied.
 *
 * @example
 * ```ts
 * const batch = new ByteBatch({ bytes: 4 });
 * batch.add(new Uint8Array([1, 2])); // undefined: 2 bytes gathered
 * batch.add(new Uint8Array([3, 4])); // Uint8Array [1, 2, 3, 4]
 * ```
 */
export class ByteBatch {
  readonly #bytes: number;
  readonly #delay: number;
  readonly #onTimeout: ((chunk: Uint8Array<ArrayBuffer>) => void) | undefined;
  #parts: Uint8Array<ArrayBuffer>[] = [];
  #size = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;

  /**
   * @param options The size, and the wait with what gets a batch that waited.
   * @throws {RangeError} When `bytes` is below 1 or `delay` is negative.
   */
  constructor(options: ByteBatchOptions) {
    const { bytes, delay = 10 } = options;
    if (!(bytes >= 1)) throw new RangeError(`Cannot batch ${bytes} bytes: must be >= 1`);
    if (!(delay >= 0)) throw new RangeError(`Cannot wait ${delay} ms: must be >= 0`);
    this.#bytes = bytes;
    this.#delay = delay;
    this.#onTimeout = options.onTimeout;
  }

  /** Bytes gathered now. */
  get size(): number {
    return this.#size;
  }

  /**
   * Gathers `chunk`.
   *
   * @param chunk Bytes; an empty chunk is ignored.
   * @returns The whole batch once it reaches `bytes`, else undefined (and the
   * timer runs from the first byte of the batch).
   */
  add(chunk: Uint8Array<ArrayBuffer>): Uint8Array<ArrayBuffer> | undefined {
    if (chunk.byteLength === 0) return undefined;
    this.#parts.push(chunk);
    this.#size += chunk.byteLength;
    if (this.#size >= this.#bytes) return this.take();
    const onTimeout = this.#onTimeout;
    if (onTimeout !== undefined) {
      this.#timer ??= setTimeout(() => {
        const out = this.take();
        if (out !== undefined) onTimeout(out);
      }, this.#delay);
    }
    return undefined;
  }

  /**
   * Empties the batch and stops its timer.
   *
   * @returns What was gathered as one chunk, or undefined when nothing was.
   */
  take(): Uint8Array<ArrayBuffer> | undefined {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#size === 0) return undefined;
    const parts = this.#parts;
    const size = this.#size;
    this.#parts = [];
    this.#size = 0;
    if (parts.length === 1) return parts[0];
    const out = new Uint8Array(size);
    let offset = 0;
    for (const part of parts) {
      out.set(part, offset);
      offset += part.byteLength;
    }
    return out;
  }
}
