/**
 * CRC-32s of files already read, shared by every ZIP response: a resumed or
 * parallel range download needs the CRCs of entries it does not send (for
 * their data descriptors and the central directory), and this saves reading
 * those files again.
 *
 * @module
 */

import type { ZipSource } from "./zip_layout.ts";

/**
 * The key says which bytes the CRC is of: the same path, device, inode, size,
 * mtime and ctime (any write moves ctime, even one that restores the mtime).
 */
function keyOf(e: ZipSource): string {
  return `${e.dev}:${e.ino}:${e.size}:${e.mtimeMs}:${e.ctimeMs}:${e.path}`;
}

/** A bounded map of CRC-32s, oldest dropped first, with computations shared while in flight. */
export class CrcCache {
  readonly #max: number;
  readonly #crcs = new Map<string, number>();
  readonly #pending = new Map<string, Promise<number>>();

  /** @param max How many CRCs to keep (about 150 bytes each). @default 200000 */
  constructor(max = 200_000) {
    this.#max = max;
  }

  /** CRCs kept now. */
  get size(): number {
    return this.#crcs.size;
  }

  /** The CRC of this entry's bytes when known. */
  get(entry: ZipSource): number | undefined {
    return this.#crcs.get(keyOf(entry));
  }

  /** Keeps a CRC computed while the entry's bytes were sent. */
  set(entry: ZipSource, crc: number): void {
    const key = keyOf(entry);
    this.#crcs.delete(key);
    this.#crcs.set(key, crc);
    if (this.#crcs.size > this.#max) this.#crcs.delete(this.#crcs.keys().next().value!);
  }

  /**
   * The CRC of an entry: kept, being computed for another response, or
   * computed now with `compute` (and kept when it succeeds).
   */
  async crcOf(entry: ZipSource, compute: (e: ZipSource) => Promise<number>): Promise<number> {
    const key = keyOf(entry);
    const known = this.#crcs.get(key);
    if (known !== undefined) return known;
    let pending = this.#pending.get(key);
    if (pending === undefined) {
      pending = compute(entry).finally(() => this.#pending.delete(key));
      this.#pending.set(key, pending);
    }
    const crc = await pending;
    this.set(entry, crc);
    return crc;
  }
}
