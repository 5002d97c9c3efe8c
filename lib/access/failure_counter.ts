/**
 * Failed credentials per client address, per minute: past the limit the
 * address gets 429 until its minute is over, so guessing tokens or
 * signatures costs a minute per few tries.
 *
 * @module
 */

const WINDOW_MS = 60_000;
/** Addresses remembered at once: a flood of spoofed ones cannot grow the map without end. */
const MAX_ADDRESSES = 10_000;

/** Counts failures by address in fixed one-minute windows. */
export class FailureCounter {
  readonly #limit: number;
  readonly #windows = new Map<string, { start: number; failures: number }>();

  /**
   * @param limit Failures one address may make per minute; 0 counts nothing.
   */
  constructor(limit: number) {
    this.#limit = limit;
  }

  /**
   * Seconds until an address may try again, or 0 when it is not blocked.
   *
   * @param address The client's address.
   * @param now `Date.now()`.
   */
  blockedFor(address: string, now = Date.now()): number {
    const window = this.#windows.get(address);
    if (this.#limit === 0 || window === undefined) return 0;
    if (now - window.start >= WINDOW_MS) {
      this.#windows.delete(address);
      return 0;
    }
    return window.failures >= this.#limit
      ? Math.max(1, Math.ceil((window.start + WINDOW_MS - now) / 1000))
      : 0;
  }

  /**
   * Records one failure.
   *
   * @param address The client's address.
   * @param now `Date.now()`.
   */
  fail(address: string, now = Date.now()): void {
    if (this.#limit === 0) return;
    let window = this.#windows.get(address);
    if (window === undefined || now - window.start >= WINDOW_MS) {
      if (this.#windows.size >= MAX_ADDRESSES) this.#forgetOldest(now);
      window = { start: now, failures: 0 };
      this.#windows.delete(address);
      this.#windows.set(address, window);
    }
    window.failures++;
  }

  /** Drops expired windows, or failing that the oldest one (Maps keep insertion order). */
  #forgetOldest(now: number): void {
    for (const [address, window] of this.#windows) {
      if (now - window.start >= WINDOW_MS) this.#windows.delete(address);
    }
    if (this.#windows.size >= MAX_ADDRESSES) {
      this.#windows.delete(this.#windows.keys().next().value!);
    }
  }
}
