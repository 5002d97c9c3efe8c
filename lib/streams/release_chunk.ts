/**
 * Frees a streamed chunk's memory as soon as the runtime has taken the chunk,
 * rather than whenever the garbage collector gets to it.
 *
 * A file body needs a fresh buffer per chunk: `Deno.serve` keeps a reference
 * to each chunk's memory until it is on the wire, so a buffer cannot be
 * reused. At loopback speed V8 collects those buffers late, and a 1 GiB
 * download grew the server's RSS by 75-85 MiB. Detaching a buffer once the
 * runtime holds its own reference hands the memory's lifetime to the runtime,
 * which frees it when the bytes are sent: the same download then grows RSS by
 * about 15 MiB.
 *
 * Two rules keep this safe: only buffers their producer marked as used once
 * are released, and only by the last JS stage before the runtime, once the
 * runtime has asked for the next chunk.
 *
 * @module
 */

const releasable = new WeakSet<ArrayBufferLike>();

/**
 * Marks a chunk whose buffer its producer will neither touch again nor hand
 * out in another chunk, so the last stage may release it.
 *
 * @param chunk A chunk over a buffer of its own.
 * @returns The same chunk.
 * @example
 * ```ts
 * const chunk = new Uint8Array(65536);
 * controller.enqueue(markReleasable(chunk.subarray(0, n)));
 * ```
 */
export function markReleasable<T extends Uint8Array>(chunk: T): T {
  releasable.add(chunk.buffer);
  return chunk;
}

/**
 * Detaches a marked chunk's buffer; unmarked chunks are left alone. After
 * this, JS sees the chunk as empty, so call it only where nothing in JS can
 * read the chunk again: in the body `Deno.serve` reads, once it has asked for
 * the chunk after this one (by then it holds its own reference to the bytes).
 * Never use it on a body that is tee'd.
 *
 * @param chunk A chunk the runtime has taken.
 * @example
 * ```ts
 * releaseChunk(previous); // in the served body's pull(), before reading the next chunk
 * ```
 */
export function releaseChunk(chunk: Uint8Array): void {
  const buffer = chunk.buffer;
  if (!releasable.has(buffer)) return;
  releasable.delete(buffer);
  try {
    (buffer as ArrayBuffer).transfer(0);
  } catch {
    // Not detachable: the garbage collector frees it as before.
  }
}
