/**
 * Admission for streaming responses: at most N at once in all, and at most M
 * per client address, decided before a response starts so that a refused
 * request is never half-started.
 *
 * @module
 */

/** A granted slot; release it once, when the body ends. */
export interface Slot {
  release(): void;
}

/** Why a slot was refused. */
export type Refusal = "server-full" | "client-full";

/** Counts streaming responses in all and per client. */
export class StreamSlots {
  readonly #max: number;
  readonly #perClient: number;
  #active = 0;
  readonly #byClient = new Map<string, number>();

  /**
   * @param max Streams at once in all (0 means no limit).
   * @param perClient Streams at once per client address (0 means no limit).
   */
  constructor(max: number, perClient: number) {
    this.#max = max;
    this.#perClient = perClient;
  }

  /** Streams now running. */
  get active(): number {
    return this.#active;
  }

  /**
   * Takes a slot for `client`, or says why not.
   *
   * @param client The client's address.
   * @returns A slot, or the reason it was refused.
   */
  acquire(client: string): Slot | Refusal {
    if (this.#max > 0 && this.#active >= this.#max) return "server-full";
    const mine = this.#byClient.get(client) ?? 0;
    if (this.#perClient > 0 && mine >= this.#perClient) return "client-full";
    this.#active++;
    this.#byClient.set(client, mine + 1);
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.#active--;
        const left = (this.#byClient.get(client) ?? 1) - 1;
        if (left === 0) this.#byClient.delete(client);
        else this.#byClient.set(client, left);
      },
    };
  }
}
