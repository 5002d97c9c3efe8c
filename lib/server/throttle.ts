/**
 * A per-response throughput cap, like nginx's `limit_rate` with
 * `limit_rate_after`: the first `burst` bytes go at full speed, then the body
 * is held to `bytesPerSecond` on average since the response began.
 *
 * @module
 */

/** Options for {@linkcode Throttle}. */
export interface ThrottleOptions {
  /** The cap, in bytes per second. */
  bytesPerSecond: number;
  /** Bytes sent before the cap applies. @default 0 */
  burst?: number;
}

/** Paces one body. */
export class Throttle {
  readonly #rate: number;
  readonly #burst: number;
  readonly #started = performance.now();

  constructor(options: ThrottleOptions) {
    this.#rate = options.bytesPerSecond;
    this.#burst = options.burst ?? 0;
  }

  /**
   * The largest piece to send at once, so pacing is smooth (about ten
   * pieces a second) rather than one big chunk then a long pause.
   */
  get maxPiece(): number {
    return Math.max(1024, Math.floor(this.#rate / 10));
  }

  /**
   * How long to wait before sending more, having sent `sent` bytes.
   *
   * @param sent Bytes sent so far.
   * @param now The current `performance.now()`.
   * @returns Milliseconds to wait (0 when it may send now).
   */
  delayMs(sent: number, now = performance.now()): number {
    if (sent <= this.#burst) return 0;
    const due = this.#started + ((sent - this.#burst) / this.#rate) * 1000;
    return Math.max(0, due - now);
  }
}
