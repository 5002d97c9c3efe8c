/**
 * Finds response bodies whose client has stopped taking bytes, like nginx's
 * `send_timeout`: Deno.serve has no write timeout, so a client that never
 * reads would hold its file or cursor forever.
 *
 * One sweep timer serves every body; it runs only while something is tracked.
 *
 * @module
 */

/** The tracking of one body. */
export interface StallTracker {
  /** A chunk was handed over; the clock runs until the client asks for more. */
  waiting(): void;
  /** The client asked for more (or the server is producing): the clock stops. */
  busy(): void;
  /** The body ended: stop tracking it. */
  stop(): void;
}

interface Entry {
  since: number | null;
  onStall: () => void;
}

/** Watches bodies and calls their `onStall` once they wait too long. */
export class StallWatch {
  readonly #timeoutMs: number;
  readonly #entries = new Set<Entry>();
  #timer: ReturnType<typeof setInterval> | undefined;

  /** @param timeoutMs How long a client may take nothing (0 turns the watch off). */
  constructor(timeoutMs: number) {
    this.#timeoutMs = timeoutMs;
  }

  /** Bodies tracked now. */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * Starts tracking a body.
   *
   * @param onStall Called once when the client has taken nothing for the timeout.
   * @returns The tracker the body reports to.
   */
  track(onStall: () => void): StallTracker {
    const entry: Entry = { since: null, onStall };
    if (this.#timeoutMs <= 0) return { waiting() {}, busy() {}, stop() {} };
    this.#entries.add(entry);
    this.#timer ??= setInterval(() => this.#sweep(), Math.min(1000, this.#timeoutMs / 4));
    return {
      waiting: () => {
        entry.since = performance.now();
      },
      busy: () => {
        entry.since = null;
      },
      stop: () => this.#remove(entry),
    };
  }

  #remove(entry: Entry): void {
    this.#entries.delete(entry);
    if (this.#entries.size === 0 && this.#timer !== undefined) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }

  #sweep(): void {
    const now = performance.now();
    for (const entry of [...this.#entries]) {
      if (entry.since !== null && now - entry.since >= this.#timeoutMs) {
        this.#remove(entry);
        entry.onStall();
      }
    }
  }
}
