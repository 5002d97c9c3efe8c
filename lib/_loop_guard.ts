/**
 * Keeps a synchronous producer (such as a node:sqlite read) from holding the
 * event loop for long. Private to lib/iterator_stream.ts.
 *
 * @module
 */

/**
 * Notices when the event loop last turned, through a zero-delay timer, and
 * makes the producer wait for a turn once `sliceMs` went by without one.
 * When the consumer already lets the loop turn (a socket write usually does),
 * it never waits — a forced timer costs a millisecond or two.
 */
export class LoopGuard {
  readonly #sliceMs: number;
  #lastTurn = performance.now();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #waiter: (() => void) | undefined;
  #disposed = false;

  constructor(sliceMs: number) {
    this.#sliceMs = sliceMs;
  }

  /** Resolves at once, or after the loop turned when a slice was used up. */
  breathe(): Promise<void> | undefined {
    if (this.#disposed) return undefined;
    if (performance.now() - this.#lastTurn < this.#sliceMs) {
      if (this.#timer === undefined) this.#arm();
      return undefined;
    }
    return new Promise((resolve) => {
      this.#waiter = resolve;
      if (this.#timer === undefined) this.#arm();
    });
  }

  /** Clears the timer and releases a waiting producer. */
  dispose(): void {
    this.#disposed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#release();
  }

  #arm(): void {
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#lastTurn = performance.now();
      this.#release();
    }, 0);
  }

  #release(): void {
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.();
  }
}
