/**
 * Finds response bodies whose client has stopped taking bytes, and tells a
 * slow reader from a stopped one with what JS can see: when each write
 * completes and how many bytes went before it.
 *
 * Deno.serve has no write timeout, so a client that never reads would hold its
 * file or cursor forever. nginx's `send_timeout` (and Node's
 * `socket.setTimeout`) time the gap between two writes, which cuts live
 * readers: once a socket's buffers are full, Linux wakes the writer only after
 * about a third of the send buffer drained (up to ~1.4 MiB with the default
 * 4 MiB `tcp_wmem`), so a 30 KB/s reader is silent for 45 s or more between
 * runs of writes. Here the gap a wait may last grows with the run the client
 * took just before it: the time a {@linkcode REFERENCE_RATE} reader needs to
 * drain that much again, never less than the stall timeout and never more
 * than three times it — so a stopped client is cut within 3× the timeout.
 *
 * One sweep timer serves every body; it runs only while something is tracked.
 * The watch also answers "which body has waited longest", so that a full
 * server can make room by cutting it (lib/server/stream_slots.ts).
 *
 * @module
 */

/**
 * Bytes per second of the slowest reader the allowance is sized for. With a
 * full run of ~1.4 MiB it earns the ceiling (3T); at `--stall-timeout 150`
 * that is 450 s, more than the ~350 s a 4 KB/s reader is silent.
 */
export const REFERENCE_RATE = 3_000;

/**
 * A full server may cut a body whose client has taken nothing for this long
 * (or the stall timeout, when shorter) to admit a new request.
 */
export const EVICTABLE_AFTER_MS = 10_000;

/** The ceiling of the allowance, as a multiple of the stall timeout. */
export const MAX_ALLOWANCE_FACTOR = 3;

/** The tracking of one body. */
export interface StallTracker {
  /**
   * A chunk was handed over; the clock runs until the client asks for more.
   *
   * @param handed Bytes handed over so far, this chunk included.
   */
  waiting(handed: number): void;
  /** The client asked for more (or the server is producing): the clock stops. */
  busy(): void;
  /** The body ended: stop tracking it. */
  stop(): void;
  /**
   * The largest piece to hand over next: Infinity, or after a long wait (the
   * client reads slower than we write) small pieces, so that each one it takes
   * is a write that completes — all the watch can see of a slow client.
   */
  readonly maxPiece: number;
}

interface Entry {
  /** When the current wait began, or null while busy. */
  since: number | null;
  /** Bytes handed over so far. */
  handed: number;
  /** `handed` when the last long wait ended: the current run began there. */
  runStart: number;
  /** Whether the last wait was long. */
  slow: boolean;
  onStall: OnStall;
}

/** Why a body is cut: it waited past its allowance, or a full server needed its slot. */
export type StallReason = "stalled" | "evicted";

/** Called once when a body is cut, with how long its client had taken nothing. */
export type OnStall = (waitedMs: number, reason: StallReason) => void;

/** Watches bodies and calls their `onStall` once they wait past their allowance. */
export class StallWatch {
  readonly #timeoutMs: number;
  /** A wait at least this long ends a run (the socket was full, not just busy). */
  readonly #pauseMs: number;
  /** What a {@linkcode REFERENCE_RATE} reader takes in an eighth of the timeout. */
  readonly #slowPieceBytes: number;
  readonly #entries = new Set<Entry>();
  #timer: ReturnType<typeof setInterval> | undefined;

  /** @param timeoutMs The least a wait is allowed (0 turns the cut-off off; tracking stays). */
  constructor(timeoutMs: number) {
    this.#timeoutMs = timeoutMs;
    this.#pauseMs = timeoutMs > 0 ? Math.min(1000, timeoutMs / 10) : 1000;
    const piece = timeoutMs > 0 ? (REFERENCE_RATE * timeoutMs) / 8000 : 64 * 1024;
    this.#slowPieceBytes = Math.round(Math.min(256 * 1024, Math.max(1024, piece)));
  }

  /** Bodies tracked now. */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * How long a wait that follows a run of `run` bytes may last.
   *
   * @param run Bytes the client took in one go before the wait.
   * @returns Milliseconds: `run` at {@linkcode REFERENCE_RATE}, clamped to
   * [timeout, 3 × timeout].
   * @example
   * ```ts
   * new StallWatch(60_000).allowanceMs(300_000); // 100_000
   * ```
   */
  allowanceMs(run: number): number {
    const t = this.#timeoutMs;
    return Math.min(MAX_ALLOWANCE_FACTOR * t, Math.max(t, (run / REFERENCE_RATE) * 1000));
  }

  /**
   * Starts tracking a body.
   *
   * @param onStall Called once when the client waited past its allowance or
   * the body is evicted ({@linkcode StallWatch.evictLongest}).
   * @returns The tracker the body reports to.
   */
  track(onStall: OnStall): StallTracker {
    const slowPiece = this.#slowPieceBytes;
    const entry: Entry = { since: null, handed: 0, runStart: 0, slow: false, onStall };
    this.#entries.add(entry);
    if (this.#timeoutMs > 0) {
      this.#timer ??= setInterval(() => this.#sweep(), Math.min(1000, this.#timeoutMs / 4));
    }
    return {
      waiting: (handed) => {
        entry.since = performance.now();
        entry.handed = handed;
      },
      busy: () => {
        if (entry.since === null) return;
        entry.slow = performance.now() - entry.since >= this.#pauseMs;
        if (entry.slow) entry.runStart = entry.handed;
        entry.since = null;
      },
      stop: () => this.#remove(entry),
      get maxPiece() {
        return entry.slow ? slowPiece : Infinity;
      },
    };
  }

  /**
   * Cuts the body that has waited longest for its client, if it has waited
   * at least `minWaitMs`: a full server makes room with it rather than
   * refusing a new request.
   *
   * @param minWaitMs The least wait that makes a body evictable; by default
   * {@linkcode EVICTABLE_AFTER_MS}, or the stall timeout when shorter.
   * @returns True when a body was cut.
   */
  evictLongest(minWaitMs: number = this.#evictableAfterMs()): boolean {
    const now = performance.now();
    let longest: Entry | undefined;
    for (const entry of this.#entries) {
      if (entry.since === null || now - entry.since < minWaitMs) continue;
      if (longest === undefined || entry.since < longest.since!) longest = entry;
    }
    if (longest === undefined) return false;
    this.#remove(longest);
    longest.onStall(now - longest.since!, "evicted");
    return true;
  }

  #evictableAfterMs(): number {
    const t = this.#timeoutMs;
    return t > 0 ? Math.min(EVICTABLE_AFTER_MS, t) : EVICTABLE_AFTER_MS;
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
      if (entry.since === null) continue;
      const waited = now - entry.since;
      if (waited >= this.allowanceMs(entry.handed - entry.runStart)) {
        this.#remove(entry);
        entry.onStall(waited, "stalled");
      }
    }
  }
}
