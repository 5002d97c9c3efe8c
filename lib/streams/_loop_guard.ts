/**
 * Keeps a synchronous producer (such as a node:sqlite read) from holding the
 * event loop for long. Private to lib/ (streams/iterator_stream.ts, export/row_batches.ts).
 *
 * @module
 */

/**
 * Makes the producer wait for a timer once it has run for `sliceMs` since its
 * last wait. Only a real wait helps: a producer fed by a fast socket sees the
 * loop turn on its own every few chunks, yet other connections' requests were
 * measured waiting ~30 ms behind it; with a wait every 10 ms they wait a few.
 */
export class LoopGuard {
  readonly #sliceMs: number;
  #lastWait = performance.now();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #waiter: (() => void) | undefined;
  #disposed = false;

  constructor(sliceMs: number) {
    this.#sliceMs = sliceMs;
  }

  /** Resolves at once, or after a timer when a slice was used up. */
  breathe(): Promise<void> | undefined {
    if (this.#disposed || performance.now() - this.#lastWait < this.#sliceMs) return undefined;
    return new Promise((resolve) => {
      this.#waiter = resolve;
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        this.#lastWait = performance.now();
        this.#release();
      }, 0);
    });
  }

  /** Clears the timer and releases a waiting producer. */
  dispose(): void {
    this.#disposed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#release();
  }

  #release(): void {
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.();
  }
}
