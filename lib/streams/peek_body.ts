/**
 * Learns whether a body of unknown length is small, without waiting on a
 * producer that is still working.
 *
 * @module
 */

/** What {@linkcode peekBody} learned, and the body to send in place of the original. */
export interface PeekedBody {
  /** The whole body was read: `size` is its length. */
  complete: boolean;
  /** Bytes read so far. */
  size: number;
  /** The same bytes as the original body, from the start. */
  body: ReadableStream<Uint8Array<ArrayBuffer>>;
}

type Bytes = Uint8Array<ArrayBuffer>;
type ReadResult = ReadableStreamReadResult<Bytes>;

/** The read's result if it settles before the next macrotask, else undefined. */
async function readNow(read: Promise<ReadResult>): Promise<ReadResult | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const tick = new Promise<undefined>((resolve) => timer = setTimeout(() => resolve(undefined), 0));
  try {
    return await Promise.race([read, tick]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Reads the start of `body`, up to `limit` bytes, for as long as its chunks
 * come without waiting: a body made from a string or bytes is read to its
 * end, while a generated stream stops the peek at its first pause, so the
 * response is not held back for it.
 *
 * @param body The body; it must not be read elsewhere afterwards.
 * @param limit Stop once this many bytes are known.
 * @returns What was learned, and a body that replays the bytes read, then the rest.
 * @example
 * ```ts
 * const peeked = await peekBody(new Response('{"status":"ok"}').body!, 1024);
 * peeked.complete; // true
 * peeked.size; // 15
 * ```
 */
export async function peekBody(
  body: ReadableStream<Bytes>,
  limit: number,
): Promise<PeekedBody> {
  const reader = body.getReader();
  const head: Bytes[] = [];
  let size = 0;
  let complete = false;
  // A read that did not settle in time (or failed): the new body starts with it.
  let pending: Promise<ReadResult> | undefined;
  for (let i = 0; i < 10_000 && size < limit; i++) {
    const read = reader.read();
    let result: ReadResult | undefined;
    try {
      result = await readNow(read);
    } catch {
      result = undefined;
    }
    if (result === undefined) {
      read.catch(() => {}); // Handled by whoever pulls it; keep the rejection quiet till then.
      pending = read;
      break;
    }
    if (result.done) {
      complete = true;
      break;
    }
    head.push(result.value);
    size += result.value.byteLength;
  }
  const replay = new ReadableStream<Bytes>({
    async pull(controller) {
      const chunk = head.shift();
      if (chunk !== undefined) return controller.enqueue(chunk);
      if (complete) return controller.close();
      const result = await (pending ?? reader.read());
      pending = undefined;
      if (result.done) controller.close();
      else controller.enqueue(result.value);
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  }, { highWaterMark: 0 });
  return { complete, size, body: replay };
}
