/**
 * The requests a server is still answering, so that a shutdown can wait for
 * them for a while and then cut off the rest.
 *
 * `Deno.serve`'s own `shutdown()` cannot be used for this: it waits for every
 * body to be written, with no timeout, and a body blocked on a client that
 * reads nothing never is; aborting the server's `signal` after `shutdown()`
 * throws `BadResource` (Deno 2.9.6). So the server drains with this, then
 * aborts its signal, which closes every connection at once.
 *
 * @module
 */

/** One tracked request. */
export interface InFlightRequest {
  /** Sets how to cut the response off (once the handler has made it). */
  setAbort(abort: (reason: unknown) => void): void;
  /**
   * The response will send nothing more: it was aborted, so waiting for its
   * delivery (a write the client may never take) is pointless.
   */
  done(): void;
}

interface Entry {
  abort?: (reason: unknown) => void;
  settled: Promise<void>;
  settle(): void;
}

/** Tracks requests from arrival until their response is delivered or given up. */
export class InFlight {
  readonly #entries = new Set<Entry>();

  /** Requests being answered now. */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * Starts tracking a request.
   *
   * @param delivered Settles when the response's last byte was written or the
   * response failed, like `Deno.ServeHandlerInfo.completed`.
   * @returns The entry, to attach the response's abort to.
   * @example
   * ```ts
   * const entry = inFlight.track(info.completed);
   * ```
   */
  track(delivered: Promise<void>): InFlightRequest {
    let settle!: () => void;
    const entry: Entry = {
      settled: new Promise<void>((resolve) => settle = resolve),
      settle: () => {
        this.#entries.delete(entry);
        settle();
      },
    };
    this.#entries.add(entry);
    delivered.then(entry.settle, entry.settle);
    return {
      setAbort: (abort) => {
        entry.abort = abort;
      },
      done: entry.settle,
    };
  }

  /**
   * Waits until every request tracked now has settled (later ones are not
   * waited for: while draining, they are refused quickly anyway).
   *
   * @param timeoutMs How long to wait at most.
   * @returns True when all settled in time.
   */
  async settle(timeoutMs: number): Promise<boolean> {
    const pending = [...this.#entries].map((e) => e.settled);
    if (pending.length === 0) return true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    try {
      return await Promise.race([Promise.all(pending).then(() => true), timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Cuts off every response still tracked, so its client sees a truncated
   * transfer rather than a clean end.
   *
   * @param reason The error their bodies fail with.
   */
  abortAll(reason: unknown): void {
    for (const entry of [...this.#entries]) entry.abort?.(reason);
  }
}
