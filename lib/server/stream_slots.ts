/**
 * Admission for streaming responses: at most N at once in all, and at most M
 * per client (an IPv4 address, or an IPv6 /64), decided before a response
 * starts so that a refused request is never half-started. When the server is
 * full, it first asks for room (the pipeline cuts the stream whose client has
 * taken nothing for longest), so a few clients that stopped reading cannot
 * keep everyone else out.
 *
 * @module
 */

import { clientGroup } from "./client_group.ts";

/** A granted slot; release it once, when the body ends. */
export interface Slot {
  release(): void;
}

/** Why a slot was refused. */
export type Refusal = "server-full" | "client-full";

/** With `auto`, one client may hold this fraction of `--max-streams`. */
export const AUTO_CLIENT_SHARE = 1 / 16;

/** Options for {@linkcode StreamSlots}. */
export interface StreamSlotsOptions {
  /**
   * Called when the server is full: frees a slot (synchronously) and returns
   * true, or returns false when nothing may go. @default () => false
   */
  makeRoom?: () => boolean;
}

/**
 * The per-client cap a setting means.
 *
 * @param max Streams at once in all (0: no limit).
 * @param perClient A count (0: no limit), or `auto` for
 * {@linkcode AUTO_CLIENT_SHARE} of `max` (at least 1).
 * @returns The cap, 0 meaning none.
 * @example
 * ```ts
 * perClientCap(256, "auto"); // 16
 * ```
 */
export function perClientCap(max: number, perClient: number | "auto"): number {
  if (perClient !== "auto") return perClient;
  return max === 0 ? 0 : Math.max(1, Math.floor(max * AUTO_CLIENT_SHARE));
}

/** Counts streaming responses in all and per client. */
export class StreamSlots {
  readonly #max: number;
  readonly #perClient: number;
  readonly #makeRoom: () => boolean;
  #active = 0;
  readonly #byClient = new Map<string, number>();

  /**
   * @param max Streams at once in all (0 means no limit).
   * @param perClient Streams at once per client (0 means no limit; `auto`: see {@linkcode perClientCap}).
   * @param options How to make room when full.
   */
  constructor(max: number, perClient: number | "auto", options: StreamSlotsOptions = {}) {
    this.#max = max;
    this.#perClient = perClientCap(max, perClient);
    this.#makeRoom = options.makeRoom ?? (() => false);
  }

  /** Streams now running. */
  get active(): number {
    return this.#active;
  }

  /** The per-client cap in force (0: none). */
  get perClient(): number {
    return this.#perClient;
  }

  /**
   * Takes a slot for `client`, or says why not.
   *
   * @param client The client's address (grouped by {@linkcode clientGroup}).
   * @returns A slot, or the reason it was refused.
   */
  acquire(client: string): Slot | Refusal {
    const key = clientGroup(client);
    const mine = this.#byClient.get(key) ?? 0;
    if (this.#perClient > 0 && mine >= this.#perClient) return "client-full";
    const full = () => this.#max > 0 && this.#active >= this.#max;
    if (full() && (!this.#makeRoom() || full())) return "server-full";
    // Making room may have ended one of this client's own streams.
    const count = this.#byClient.get(key) ?? 0;
    this.#active++;
    this.#byClient.set(key, count + 1);
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.#active--;
        const left = (this.#byClient.get(key) ?? 1) - 1;
        if (left === 0) this.#byClient.delete(key);
        else this.#byClient.set(key, left);
      },
    };
  }
}
