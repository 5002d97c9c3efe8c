/**
 * A streamed response whose status is committed only after its first chunk
 * was produced.
 *
 * @module
 */

import {
  type IteratorStreamOptions,
  primedIteratorStream,
  type StreamItem,
} from "./iterator_stream.ts";

/** Options for {@linkcode streamResponse}. */
export interface StreamResponseOptions extends IteratorStreamOptions {
  /** The status when the first chunk was produced. @default 200 */
  status?: number;
  /** Response headers. */
  headers?: HeadersInit;
}

/**
 * Streams an iterator as a response. The first chunk is produced before the
 * response exists, so a source that fails at once rejects this promise and
 * the caller can still answer 4xx/5xx; a failure later errors the body, which
 * the server turns into a failed transfer (no terminating chunk on HTTP/1.1,
 * a stream reset on HTTP/2).
 *
 * Adds `Cache-Control: no-store` (unless set) and `X-Accel-Buffering: no`,
 * so caches and proxies such as nginx pass the stream through unbuffered.
 *
 * @param source A sync or async iterable of strings or bytes.
 * @param options Status, headers and {@linkcode IteratorStreamOptions}.
 * @returns The response.
 * @throws Whatever the source threw before its first chunk.
 * @example
 * ```ts
 * function* rows() { yield '{"id":1}\n'; }
 * const res = await streamResponse(rows(), { headers: { "content-type": "application/x-ndjson" } });
 * ```
 */
export async function streamResponse(
  source: Iterable<StreamItem> | AsyncIterable<StreamItem>,
  options: StreamResponseOptions = {},
): Promise<Response> {
  const headers = new Headers(options.headers);
  if (!headers.has("cache-control")) headers.set("cache-control", "no-store");
  headers.set("x-accel-buffering", "no");
  const body = await primedIteratorStream(source, options);
  return new Response(body, { status: options.status ?? 200, headers });
}
