/**
 * An async iterator of chunks as a response body that owns a resource (a
 * file, a cursor): one chunk per pull, and the resource released once, however
 * the body ends.
 *
 * @module
 */

/**
 * Streams the chunks `chunks` yields, producing only when the reader asks
 * (high-water mark 0), and calls `release` once: when the iterator is done,
 * when it throws (before the error reaches the reader) and when the reader
 * cancels (after the iterator's `return()`, so its `finally` blocks ran).
 *
 * Not `ReadableStream.from()`: cancelling that before the first read returns
 * a generator that never started, whose `finally` never runs, so a resource it
 * was handed would stay open. Not a byte stream either: its enqueue() would
 * swap each chunk's buffer for a new one.
 *
 * @param chunks The body's chunks, such as an async generator's.
 * @param release Frees what the body owns; must not throw. @default nothing
 * @returns The stream.
 * @example
 * ```ts
 * const file = await Deno.open("media/a.txt");
 * const body = pullStream(file.readable[Symbol.asyncIterator](), () => {});
 * ```
 */
export function pullStream<T>(
  chunks: AsyncIterator<T>,
  release: () => void = () => {},
): ReadableStream<T> {
  let released = false;
  const releaseOnce = () => {
    if (!released) release();
    released = true;
  };
  return new ReadableStream<T>({
    async pull(controller) {
      let next: IteratorResult<T>;
      try {
        next = await chunks.next();
      } catch (error) {
        releaseOnce();
        throw error;
      }
      if (next.done) {
        releaseOnce();
        controller.close();
      } else {
        controller.enqueue(next.value);
      }
    },
    async cancel(reason) {
      try {
        await chunks.return?.(reason);
      } finally {
        releaseOnce();
      }
    },
  }, { highWaterMark: 0 });
}
